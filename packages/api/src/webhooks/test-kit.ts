/** Helpers for the webhook tests (real database, a receiver on loopback; imported by *.test.ts only). */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TenantRef } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll } from "vitest";
import { TenantKeyring } from "../attachments/keys";
import type { Actor } from "../audit/actor";
import type { Services } from "../server";
import { tenantWithOwner, testServices } from "../testing";
import { WebhookService, type WebhookServiceDeps } from "./service";
import type { Resolver } from "./ssrf";

export let services: Services;
export function useKit() {
  beforeAll(async () => {
    services = await testServices();
  });
  afterAll(() => services.close());
}

export { rejects } from "../testing";

const superAdmin: Actor = { type: "super_admin", id: "sa" };

/** A tenant on `plan` (Pro includes integrations) with its owner. */
export async function tenantOn(plan: "free" | "pro", base = "hook") {
  const owned = await tenantWithOwner(services, uniqueSlug(base));
  if (plan !== "free")
    await services.tenants.updateTenant(owned.tenant.id, { billingPlan: plan }, superAdmin);
  return owned;
}

/** A clock the test moves by hand: the service reads it for every decision. */
export class Clock {
  constructor(public at = new Date()) {}
  now = () => this.at;
  advance(ms: number) {
    this.at = new Date(this.at.getTime() + ms);
  }
  set(at: Date) {
    this.at = new Date(at);
  }
}

export type Notified = { tenantId: string; endpointId: string; reason: string };

/** A WebhookService over the test's database: loopback allowed (the receiver is on 127.0.0.1), jitter fixed at 1×. */
export function webhookService(over: Partial<WebhookServiceDeps> & { notified?: Notified[] } = {}) {
  const { notified, ...rest } = over;
  return new WebhookService({
    db: services.db,
    keyring: new TenantKeyring(services.masterKey),
    allowLoopback: true,
    timeoutMs: 2_000,
    random: () => 0.5,
    log: services.log,
    notifyDisabled: async (tenant, ep) => {
      notified?.push({ tenantId: tenant.id, endpointId: ep.id, reason: ep.reason });
    },
    ...rest,
  });
}

export type Received = { path: string; headers: IncomingHttpHeaders; body: string };
/** What the receiver does with a request: answer with a status, or never answer (a timeout). */
export type Behaviour = number | "hang";

/**
 * An HTTP receiver on 127.0.0.1: records every request, answers each path by its script (a list of
 * behaviours used in turn, the last one repeating; 200 by default).
 */
export async function startReceiver() {
  const received: Received[] = [];
  const scripts = new Map<string, Behaviour[]>();
  const hanging = new Set<import("node:http").ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const script = scripts.get(path) ?? [200];
      const next = script.length > 1 ? script.shift()! : script[0]!;
      if (next === "hang") {
        hanging.add(res);
        return;
      }
      res.writeHead(next, { "content-type": "text/plain" });
      res.end(next >= 200 && next < 300 ? "ok" : `failure ${next} ${"x".repeat(10_000)}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    /** The same receiver under a host name (resolved by an injected resolver). */
    urlAt: (host: string, path: string) => `http://${host}:${port}${path}`,
    script: (path: string, behaviours: Behaviour[]) => scripts.set(path, [...behaviours]),
    at: (path: string) => received.filter((r) => r.path === path),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export const resolverOf =
  (map: Record<string, string>): Resolver =>
  async (host) => {
    const a = map[host];
    if (!a) throw new Error(`ENOTFOUND ${host}`);
    return [{ address: a, family: a.includes(":") ? 6 : 4 }];
  };

/** The delivery rows of a tenant as stored (status, attempts, next try). */
export async function deliveryRows(tenant: TenantRef) {
  return services.db.admin.unsafe<
    {
      id: string;
      event_type: string;
      status: string;
      attempts: number;
      next_attempt_at: string;
      last_error: string | null;
    }[]
  >(
    `select id, event_type, status, attempts, next_attempt_at, last_error from "${tenant.schemaName}".webhook_deliveries order by created_at, id`,
  );
}
