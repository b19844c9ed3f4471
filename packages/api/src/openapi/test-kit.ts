/** The public REST API's test kit: a typed client of a workspace's host and Pro workspaces with keys (tests only). */
import { uniqueSlug } from "@nchat/db/testing";
import createClient from "openapi-fetch";
import { afterAll, beforeAll } from "vitest";
import type { Actor } from "../audit/actor";
import type { Services } from "../server";
import { randomIp, type TestClient, tenantWithOwner, testServices } from "../testing";
import { publicApiHandler } from "./handler";
import type { paths } from "./v1-types";

/*
 * Requests go through a client generated from the API's own document (openapi-typescript's types,
 * committed in v1-types.ts + openapi-fetch), against the real handler, PostgreSQL and Redis of the
 * test run. They reach the handler as the app server hands them over: with the tenant's Host and the
 * client address set by the server.
 */

/** This test file's services and workspaces (live bindings: made before its tests by `useKit`). */
export let services: Services;
export let a: Workspace;
/** Only when `useKit` was asked for two workspaces. */
export let b: Workspace;

/** Registers the file's hooks: its services and a Pro workspace per base name before the tests (`a`, `b`), services closed after them. */
export function useKit(...bases: string[]) {
  beforeAll(async () => {
    services = await testServices();
    const made = await Promise.all(bases.map((base) => workspace(base)));
    a = made[0]!;
    if (made[1]) b = made[1];
  });
  afterAll(() => services.close());
}

export const superAdmin: Actor = { type: "super_admin", id: "sa" };

export type Workspace = {
  tenant: { id: string; slug: string; schemaName: string; dbRole: string };
  owner: TestClient;
  host: string;
  readKey: string;
  writeKey: string;
  readKeyId: string;
  general: string;
};

/** The app server's side: Host from the URL, the socket's address (one per client). */
function serverFetch(ip = randomIp()) {
  return (request: Request) => {
    const headers = new Headers(request.headers);
    headers.set("host", new URL(request.url).host);
    headers.set("x-nchat-client-address", ip);
    return publicApiHandler(services, new Request(request, { headers }));
  };
}

/** A typed client of the workspace at `host` with this API key (or none). */
export function api(host: string, key?: string | null, extra: Record<string, string> = {}) {
  return createClient<paths>({
    baseUrl: `http://${host}/api/v1`,
    fetch: serverFetch(),
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra },
  });
}

/** A Pro workspace (API access) with its owner, a read key and a write key. */
export async function workspace(base: string): Promise<Workspace> {
  const { tenant, client: owner } = await tenantWithOwner(services, uniqueSlug(base));
  await services.tenants.updateTenant(tenant.id, { billingPlan: "pro" }, superAdmin);
  await services.resolver.invalidate({ slug: tenant.slug });
  const read = await owner.call((c) => c.apiKeys.create({ name: "reader", scope: "read" }));
  const write = await owner.call((c) => c.apiKeys.create({ name: "writer", scope: "write" }));
  const { channels } = await owner.call((c) => c.chat.channels());
  const general = channels.find((c) => c.isDefault)!.id;
  return {
    tenant,
    owner,
    host: owner.host,
    readKey: read.key,
    writeKey: write.key,
    readKeyId: read.id,
    general,
  };
}

/** A request to the handler without the typed client (bodies and paths it would not send). */
export const raw = (host: string, path: string, init: RequestInit = {}) =>
  serverFetch()(new Request(`http://${host}/api/v1${path}`, init));

export async function storedBodies(ws: Workspace, channelId: string): Promise<string[]> {
  const rows = await services.db.admin.unsafe<{ body: string }[]>(
    `select body from "${ws.tenant.schemaName}".messages where channel_id = $1 order by id`,
    [channelId],
  );
  return rows.map((r) => r.body);
}
