import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { servicesWithTempFiles } from "../attachments/testkit";
import { generalId, type Workspace, workspace } from "../chat/test-kit";
import { ERROR_STATUS } from "../errors";
import { unsubscribeKey, unsubscribeToken } from "../mail/unsubscribe";
import { publicApiHandler } from "../openapi/handler";
import { fetchAvatar, picture, uploadAvatar } from "../profile/testkit";
import { downloadAttachmentRoute, uploadAttachmentRoute } from "../rest/attachments";
import { billingPortalRoute } from "../rest/billing";
import { tenantByIdRoute } from "../rest/tenants";
import { unsubscribeRoute } from "../rest/unsubscribe";
import type { Services } from "../server";
import { TestClient } from "../testing";
import { EFFECTIVE_STATUSES, type EffectiveStatus, STATUS_POLICY, type StatusAction } from "./status-policy";

/**
 * Every cell of the status table, through every way in that serves its action: tRPC procedures
 * (HTTP adapter), `GET/PUT/DELETE /api/tenants/:id`, the billing REST routes, attachments REST, the
 * public REST API (`/api/v1`, API keys), profile pictures and the unsubscribe link.
 */

let services: Services;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ services, cleanup } = await servicesWithTempFiles());
  vi.spyOn(console, "info").mockImplementation(() => {});
});
afterAll(() => cleanup());

type Fixture = Workspace & {
  channelId: string;
  attachmentId: string;
  readKey: string;
  writeKey: string;
  unsubscribe: string;
};

const cookieOf = (c: TestClient) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
const headersOf = (c: TestClient, extra: Record<string, string> = {}) =>
  new Headers({
    host: c.host,
    origin: `http://${c.host}`,
    "x-nchat-client-address": c.ip,
    cookie: cookieOf(c),
    ...extra,
  });

type Way = { action: StatusAction; name: string; call: (f: Fixture) => Promise<Response> };

const WAYS: Way[] = [
  {
    action: "public",
    name: "tRPC tenant.public (anonymous)",
    call: (f) => anonymous(f).http("tenant.public"),
  },
  { action: "public", name: "tRPC auth.me", call: (f) => f.client.http("auth.me") },
  {
    action: "signIn",
    name: "tRPC auth.signIn",
    call: (f) =>
      anonymous(f).http("auth.signIn", {
        body: { email: `owner@${f.slug}.test`, password: "owner-password-1" },
      }),
  },
  { action: "billing", name: "tRPC billing.status", call: (f) => f.client.http("billing.status") },
  { action: "billing", name: "tRPC ui.limits", call: (f) => f.client.http("ui.limits") },
  {
    action: "billing",
    name: "REST POST /api/billing/portal",
    call: (f) =>
      billingPortalRoute(
        services,
        new Request(`http://${f.client.host}/api/billing/portal`, {
          method: "POST",
          headers: headersOf(f.client),
        }),
      ),
  },
  { action: "billing", name: "REST GET /api/tenants/:id", call: (f) => byId(f, "GET") },
  {
    action: "public",
    name: "REST POST /api/unsubscribe (anonymous, signed link)",
    call: (f) =>
      unsubscribeRoute(
        services,
        new Request(`http://${f.client.host}/api/unsubscribe?t=${f.unsubscribe}`, {
          method: "POST",
          headers: { host: f.client.host, "x-nchat-client-address": f.client.ip },
        }),
      ),
  },
  { action: "read", name: "tRPC chat.channels", call: (f) => f.client.http("chat.channels") },
  {
    action: "read",
    name: "REST GET /api/attachments/:id",
    call: (f) =>
      downloadAttachmentRoute(
        services,
        new Request(`http://${f.client.host}/api/attachments/${f.attachmentId}`, {
          headers: headersOf(f.client),
        }),
        f.attachmentId,
      ),
  },
  { action: "read", name: "REST GET /api/v1/channels (read key)", call: (f) => v1(f, "GET", "/channels") },
  {
    action: "read",
    name: "REST GET /api/avatars/:userId",
    call: (f) => fetchAvatar(services, f.client, f.ownerId),
  },
  {
    action: "write",
    name: "REST POST /api/v1/channels/:id/messages (write key)",
    call: (f) => v1(f, "POST", `/channels/${f.channelId}/messages`, { body: "hello over the API" }),
  },
  {
    action: "write",
    name: "REST POST /api/profile/avatar",
    call: async (f) => uploadAvatar(services, f.client, await picture("png", { width: 64, height: 64 })),
  },
  {
    action: "write",
    name: "tRPC chat.send",
    call: (f) => f.client.http("chat.send", { body: { channelId: f.channelId, body: "hello" } }),
  },
  { action: "write", name: "REST PUT /api/tenants/:id", call: (f) => byId(f, "PUT", { name: "Renamed" }) },
  { action: "write", name: "REST POST /api/attachments", call: (f) => upload(f) },
  // Last: it ends the workspace when allowed.
  { action: "delete", name: "REST DELETE /api/tenants/:id", call: (f) => byId(f, "DELETE") },
];

const anonymous = (f: Fixture) => new TestClient(services, f.client.host);

/** The public REST API as a program calls it: the read key for GET, the write key otherwise. */
function v1(f: Fixture, method: string, path: string, body?: unknown) {
  return publicApiHandler(
    services,
    new Request(`http://${f.client.host}/api/v1${path}`, {
      method,
      headers: {
        host: f.client.host,
        "x-nchat-client-address": f.client.ip,
        authorization: `Bearer ${method === "GET" ? f.readKey : f.writeKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

function byId(f: Fixture, method: string, body?: unknown) {
  const headers = headersOf(f.client, body === undefined ? {} : { "content-type": "application/json" });
  return tenantByIdRoute(
    services,
    "web",
    new Request(`http://${f.client.host}/api/tenants/${f.tenant.id}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    f.tenant.id,
  );
}

function upload(f: Fixture, bytes = Buffer.from("status table")) {
  return uploadAttachmentRoute(
    services,
    new Request(`http://${f.client.host}/api/attachments?channelId=${f.channelId}`, {
      method: "POST",
      headers: headersOf(f.client, {
        "content-type": "text/plain",
        "content-length": String(bytes.length),
        "x-file-name": "notes.txt",
      }),
      body: bytes,
      duplex: "half",
    } as RequestInit),
  );
}

/** Puts the workspace in `status` as the platform would, and drops the cached resolution of its host. */
async function setStatus(f: Fixture, status: EffectiveStatus) {
  const platform = { type: "super_admin" as const, id: "sa" };
  if (status === "deleted") await services.tenants.deleteTenant(f.tenant.id, platform);
  else if (status === "trial_expired")
    await services.db.admin`
      update public.tenants set status = 'trial', trial_ends_at = now() - interval '1 day' where id = ${f.tenant.id}`;
  else if (status !== "active") await services.tenants.updateTenant(f.tenant.id, { status }, platform);
  await services.resolver.invalidate({ slug: f.slug });
}

/** The app code of an error response (tRPC or REST body), or null. */
async function appCode(res: Response): Promise<string | null> {
  const body = (await res.json().catch(() => null)) as {
    error?: { code?: string; json?: { data?: { appCode?: string } } };
    data?: { appCode?: string };
  } | null;
  return body?.error?.json?.data?.appCode ?? body?.error?.code ?? body?.data?.appCode ?? null;
}

describe.each(EFFECTIVE_STATUSES)("a %s workspace", (status) => {
  let f: Fixture;
  beforeAll(async () => {
    // Pro: the public API needs API access.
    const ws = await workspace(services, `st-${status.replace("_", "-")}`, "pro");
    await services.tenants.updateTenant(
      ws.tenant.id,
      { status: "active" },
      { type: "super_admin", id: "sa" },
    );
    await services.resolver.invalidate({ slug: ws.slug });
    const key = (scope: "read" | "write") => ws.client.call((c) => c.apiKeys.create({ name: scope, scope }));
    const fx: Fixture = {
      ...ws,
      channelId: await generalId(services, ws),
      attachmentId: "",
      readKey: (await key("read")).key,
      writeKey: (await key("write")).key,
      unsubscribe: unsubscribeToken(
        unsubscribeKey(services.masterKey),
        "mention-emails",
        ws.tenant.id,
        ws.ownerId,
      ),
    };
    // The write key's service user posts in the channel it joined.
    expect((await v1(fx, "POST", `/channels/${fx.channelId}/join`)).status).toBe(200);
    const up = await upload(fx);
    expect(up.status).toBe(201);
    fx.attachmentId = ((await up.json()) as { id: string }).id;
    expect((await uploadAvatar(services, ws.client, await picture("png"))).status).toBe(200);
    f = fx;
    await setStatus(f, status);
  });

  it.each(WAYS.map((w) => ({ ...w, cell: STATUS_POLICY[status][w.action] })))(
    "$action via $name → $cell",
    async ({ call, cell }) => {
      const res = await call(f);
      if (cell === "ok") {
        expect(res.status, await res.clone().text()).toBeLessThan(300);
      } else {
        expect(res.status).toBe(ERROR_STATUS[cell]);
        expect(await appCode(res)).toBe(cell);
      }
    },
  );
});

describe("the table itself, written out", () => {
  // The cases above prove every way in obeys the table; this pins what the table says, so a wrong
  // entry (a suspended workspace that may write, a cancelled one that may chat) fails here.
  it("says, for every status and action, what the product promises", () => {
    expect(STATUS_POLICY).toEqual({
      trial: { public: "ok", signIn: "ok", billing: "ok", read: "ok", write: "ok", delete: "ok" },
      active: { public: "ok", signIn: "ok", billing: "ok", read: "ok", write: "ok", delete: "ok" },
      trial_expired: {
        public: "ok",
        signIn: "ok",
        billing: "ok",
        read: "PAYMENT_REQUIRED",
        write: "PAYMENT_REQUIRED",
        delete: "ok",
      },
      past_due: {
        public: "ok",
        signIn: "ok",
        billing: "ok",
        read: "PAYMENT_REQUIRED",
        write: "PAYMENT_REQUIRED",
        delete: "ok",
      },
      cancelled: {
        public: "ok",
        signIn: "ok",
        billing: "ok",
        read: "PAYMENT_REQUIRED",
        write: "PAYMENT_REQUIRED",
        delete: "ok",
      },
      suspended: {
        public: "ok",
        signIn: "TENANT_SUSPENDED",
        billing: "ok",
        read: "ok",
        write: "TENANT_SUSPENDED",
        delete: "TENANT_SUSPENDED",
      },
      deleted: {
        public: "TENANT_NOT_FOUND",
        signIn: "TENANT_NOT_FOUND",
        billing: "TENANT_NOT_FOUND",
        read: "TENANT_NOT_FOUND",
        write: "TENANT_NOT_FOUND",
        delete: "TENANT_NOT_FOUND",
      },
    });
  });
});
