import { withTenant } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../auth/cookies";
import { hashToken } from "../auth/tokens";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";
import { authedProcedure, createCallerFactory, createContext, router } from "../trpc";
import type { Actor } from "./actor";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

const superAdmin: Actor = { type: "super_admin", id: "sa" };

async function rejects(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    const err = e as { code: string; message: string; cause?: { code?: string; details?: unknown } };
    return { code: err.code, appCode: err.cause?.code, message: err.message, details: err.cause?.details };
  }
  throw new Error("expected a rejection");
}

/** A Pro tenant (API access) with its signed-in owner. */
async function proTenant(base = "key") {
  const owned = await tenantWithOwner(services, uniqueSlug(base));
  await services.tenants.updateTenant(owned.tenant.id, { billingPlan: "pro" }, superAdmin);
  return owned;
}

/** A client of `host` that authenticates with an API key instead of a cookie. */
const keyClient = (host: string, key: string, over: Record<string, string> = {}) =>
  new TestClient(services, host, "web", { authorization: `Bearer ${key}`, ...over });

async function createKey(client: TestClient, scope: "read" | "write", name = `${scope} key`) {
  return client.call((c) => c.apiKeys.create({ name, scope }));
}

async function keyRows(tenant: { schemaName: string }) {
  return services.db.admin.unsafe<
    { id: string; key_hash: string; prefix: string; service_user_id: string }[]
  >(`select id, key_hash, prefix, service_user_id, last_used_at from "${tenant.schemaName}".api_keys`);
}

/** Adds a user with `role` to the tenant and returns a client signed in as them. */
async function signedInAs(
  tenant: { id: string; schemaName: string; dbRole: string },
  host: string,
  role: "admin" | "member" | "guest",
) {
  const [user] = await withTenant(services.db, tenant, ({ db, t }) =>
    db
      .insert(t.users)
      .values({ email: `${role}-${uniqueSlug("u")}@x.test`, name: role, role })
      .returning({ id: t.users.id }),
  );
  const { token } = await services.auth.createSession(tenant, user!.id, { ip: null, userAgent: null });
  const client = new TestClient(services, host);
  client.cookies.set(SESSION_COOKIE, token);
  return client;
}

async function auditOf(tenantId: string, action: string) {
  return services.db.admin<
    { actor_type: string; actor_id: string; resource_id: string; before: unknown; after: unknown }[]
  >`select actor_type, actor_id, resource_id, before, after from public.tenant_audit_logs
    where tenant_id = ${tenantId} and action = ${action} order by id`;
}

describe("creating keys", () => {
  it("needs the apiAccess feature of the plan", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("free"));
    expect(await rejects(createKey(client, "read"))).toMatchObject({
      code: "FORBIDDEN",
      appCode: "FEATURE_NOT_IN_PLAN",
      message: "API access is not included in your plan.",
      details: { feature: "apiAccess" },
    });
    expect(await keyRows(tenant)).toHaveLength(0);
    expect(await auditOf(tenant.id, "api_key.create")).toHaveLength(0);

    await services.tenants.updateTenant(tenant.id, { billingPlan: "pro" }, superAdmin);
    expect(await createKey(client, "read")).toMatchObject({ scope: "read" });
  });

  it("returns the key once and stores only its hash, with a service user of role member", async () => {
    const { client, tenant, ownerId } = await proTenant();
    const created = await createKey(client, "write", "  CI bot ");
    expect(created).toEqual({
      key: expect.stringMatching(/^nck_[A-Za-z0-9_-]{43}$/),
      id: expect.any(String),
      name: "CI bot",
      scope: "write",
      prefix: created.key.slice(0, 12),
      createdAt: expect.any(Date),
    });

    const [row, ...others] = await keyRows(tenant);
    expect(others).toHaveLength(0);
    expect(row).toMatchObject({ id: created.id, key_hash: hashToken(created.key), prefix: created.prefix });
    const [dump] = await services.db.admin.unsafe(
      `select (select json_agg(k) from "${tenant.schemaName}".api_keys k)::text as keys,
              (select json_agg(u) from "${tenant.schemaName}".users u)::text as users`,
    );
    expect(`${dump!.keys}${dump!.users}`).not.toContain(created.key);

    const [user] = await services.db.admin.unsafe(
      `select email, name, role::text, is_service, password_hash from "${tenant.schemaName}".users where id = $1`,
      [row!.service_user_id],
    );
    expect(user).toEqual({
      email: `api-key+${created.id}@service.invalid`,
      name: "API key: CI bot",
      role: "member",
      is_service: true,
      password_hash: null,
    });
    // Service users do not count against the plan's user limit.
    const limits = await services.tenants.checkLimits(tenant);
    expect(limits.resources.find((r) => r.resource === "users")?.used).toBe(1);

    expect((await client.call((c) => c.apiKeys.list()))[0]).toMatchObject({ createdBy: ownerId });
  });

  it("validates name and scope", async () => {
    const { client } = await proTenant();
    for (const input of [
      { name: " ", scope: "read" },
      { name: "x".repeat(101), scope: "read" },
      { name: "ok", scope: "admin" },
    ]) {
      expect(
        await rejects(client.call((c) => c.apiKeys.create(input as { name: string; scope: "read" }))),
      ).toMatchObject({ code: "BAD_REQUEST", appCode: "VALIDATION_FAILED" });
    }
    // Validated once, by the procedure: its message names the field's rule.
    expect(await rejects(client.call((c) => c.apiKeys.create({ name: "", scope: "read" })))).toMatchObject({
      appCode: "VALIDATION_FAILED",
      message: "Give the key a name.",
      details: { fields: [{ path: "name", message: "Give the key a name." }] },
    });
  });

  it("is for owners and admins only", async () => {
    const { client, tenant } = await proTenant();
    for (const role of ["member", "guest"] as const) {
      const user = await signedInAs(tenant, client.host, role);
      expect(await rejects(createKey(user, "read"))).toMatchObject({
        code: "FORBIDDEN",
        appCode: "FORBIDDEN",
      });
      expect(await rejects(user.call((c) => c.apiKeys.list()))).toMatchObject({ code: "FORBIDDEN" });
    }
    const admin = await signedInAs(tenant, client.host, "admin");
    expect(await createKey(admin, "read")).toMatchObject({ scope: "read" });
    // The service refuses on its own too.
    await expect(
      services.apiKeys.create(tenant, { type: "user", role: "member" }, { name: "x", scope: "read" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await keyRows(tenant)).toHaveLength(1);
  });

  it("anonymous callers are refused", async () => {
    const { client } = await proTenant();
    const anon = new TestClient(services, client.host);
    expect(await rejects(createKey(anon, "read"))).toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("listing and revoking", () => {
  it("lists keys without hashes or keys, newest first", async () => {
    const { client, tenant } = await proTenant();
    const a = await createKey(client, "read", "first");
    const b = await createKey(client, "write", "second");
    const list = await client.call((c) => c.apiKeys.list());
    expect(list.map((k) => k.id)).toEqual([b.id, a.id]);
    for (const k of list) {
      expect(Object.keys(k).sort()).toEqual(
        ["createdAt", "createdBy", "id", "lastUsedAt", "name", "prefix", "revokedAt", "scope"].sort(),
      );
    }
    const json = JSON.stringify(list);
    for (const secret of [a.key, b.key, hashToken(a.key), hashToken(b.key)])
      expect(json).not.toContain(secret);
    expect(list[0]).toMatchObject({ name: "second", scope: "write", prefix: b.prefix, revokedAt: null });
    // Another tenant sees none of them.
    const other = await proTenant();
    expect(await other.client.call((c) => c.apiKeys.list())).toEqual([]);
    expect(await services.apiKeys.list(tenant)).toHaveLength(2);
  });

  it("revokes a key: it stops working at once; unknown, foreign and malformed ids are NOT_FOUND", async () => {
    const { client, tenant } = await proTenant();
    const key = await createKey(client, "read");
    const api = keyClient(client.host, key.key);
    await api.call((c) => c.tenant.get());

    const revoked = await client.call((c) => c.apiKeys.revoke({ id: key.id }));
    expect(revoked).toMatchObject({ id: key.id, revokedAt: expect.any(Date) });
    expect(await rejects(api.call((c) => c.tenant.get()))).toMatchObject({
      code: "UNAUTHORIZED",
      message: "Invalid API key.",
    });
    expect(await services.apiKeys.authenticate(tenant, key.key)).toBeNull();
    // Revoking again changes nothing.
    expect(await client.call((c) => c.apiKeys.revoke({ id: key.id }))).toEqual(revoked);
    expect(await auditOf(tenant.id, "api_key.revoke")).toHaveLength(1);

    const other = await proTenant();
    const foreign = await createKey(other.client, "read");
    for (const id of [foreign.id, "00000000-0000-4000-8000-000000000000", "not-a-uuid", "1' or '1'='1"]) {
      expect(await rejects(client.call((c) => c.apiKeys.revoke({ id })))).toMatchObject({
        code: "NOT_FOUND",
        appCode: "NOT_FOUND",
      });
    }
    expect(await other.client.call((c) => c.apiKeys.list())).toMatchObject([
      { id: foreign.id, revokedAt: null },
    ]);
  });

  it("writes audit rows for create and revoke, never with the key", async () => {
    const { client, tenant, ownerId } = await proTenant();
    const key = await createKey(client, "write", "audited");
    await client.call((c) => c.apiKeys.revoke({ id: key.id }));
    const [create] = await auditOf(tenant.id, "api_key.create");
    const [revoke] = await auditOf(tenant.id, "api_key.revoke");
    expect(create).toMatchObject({
      actor_type: "user",
      actor_id: ownerId,
      resource_id: key.id,
      after: { name: "audited", scope: "write", prefix: key.prefix },
    });
    expect(revoke).toMatchObject({ actor_type: "user", actor_id: ownerId, resource_id: key.id });
    const all = JSON.stringify(
      await services.db.admin`select * from public.tenant_audit_logs where tenant_id = ${tenant.id}`,
    );
    expect(all).not.toContain(key.key);
    expect(all).not.toContain(hashToken(key.key));
    // The owner reads them through the audit log.
    const log = await client.call((c) => c.audit.list({ limit: 10 }));
    expect(log.items.map((i) => i.action).slice(0, 2)).toEqual(["api_key.revoke", "api_key.create"]);
  });
});

describe("calling with a key", () => {
  it("authenticates on its own tenant's host as the service user", async () => {
    const { client, tenant } = await proTenant();
    const key = await createKey(client, "read");
    const api = keyClient(client.host, key.key);
    expect(await api.call((c) => c.tenant.get())).toMatchObject({ id: tenant.id, plan: "pro" });
    // Auth-protected queries run with the service user's role (member): admin-only ones are refused.
    expect(await rejects(api.call((c) => c.audit.list({ limit: 5 })))).toMatchObject({
      code: "FORBIDDEN",
      appCode: "FORBIDDEN",
    });
    expect(await rejects(api.call((c) => c.apiKeys.list()))).toMatchObject({ code: "FORBIDDEN" });
    // A bearer key is not a browser session.
    expect(await api.call((c) => c.auth.me())).toBeNull();

    // Over HTTP too.
    const res = await api.http("tenant.get");
    expect(res.status).toBe(200);
  });

  it("stops working while the plan lacks API access (downgrade) and works again after an upgrade", async () => {
    const { client, tenant } = await proTenant("keydown");
    const key = await createKey(client, "write");
    const api = keyClient(client.host, key.key);
    expect(await api.call((c) => c.tenant.get())).toMatchObject({ plan: "pro" });
    await services.tenants.updateTenant(tenant.id, { billingPlan: "free" }, superAdmin);
    expect(await rejects(api.call((c) => c.tenant.get()))).toMatchObject({
      code: "FORBIDDEN",
      appCode: "FEATURE_NOT_IN_PLAN",
    });
    expect((await api.http("tenant.get")).status).toBe(403);
    await services.tenants.updateTenant(tenant.id, { billingPlan: "pro" }, superAdmin);
    expect(await api.call((c) => c.tenant.get())).toMatchObject({ plan: "pro" });
  });

  it("a read key may only query; a write key may mutate within the member role", async () => {
    const { client, tenant } = await proTenant();
    const read = keyClient(client.host, (await createKey(client, "read")).key);
    const write = keyClient(client.host, (await createKey(client, "write")).key);

    expect(await rejects(read.call((c) => c.tenant.update({ name: "Via read key" })))).toMatchObject({
      code: "FORBIDDEN",
      appCode: "FORBIDDEN",
      message: "This API key is read-only.",
    });
    expect(await rejects(write.call((c) => c.tenant.update({ name: "Via write key" })))).toMatchObject({
      code: "FORBIDDEN",
      appCode: "FORBIDDEN",
      message: "You do not have permission to do this.",
    });
    expect((await services.tenants.getTenantById(tenant.id))?.name).toBe(tenant.name);

    const res = await read.http("tenant.update", { body: { name: "x" } });
    expect(res.status).toBe(403);
  });

  it("puts the key (or null for cookie sessions) into the context, and never falls back to the cookie", async () => {
    const whoami = router({
      who: authedProcedure.query(({ ctx }) => ({
        apiKey: ctx.apiKey,
        sessionId: ctx.session.id,
        user: ctx.user,
        expiresAt: ctx.session.expiresAt,
      })),
      touch: authedProcedure.mutation(({ ctx }) => ctx.apiKey?.scope ?? "cookie"),
    });
    const caller = async (c: TestClient) =>
      createCallerFactory(whoami)(await createContext({ services, headers: c.headers(), app: "web" }));
    const { client, tenant } = await proTenant();
    const read = await createKey(client, "read");
    const write = await createKey(client, "write");

    expect(await (await caller(client)).who()).toMatchObject({ apiKey: null, user: { role: "owner" } });
    expect(await (await caller(client)).touch()).toBe("cookie");

    const [row] = (await keyRows(tenant)).filter((r) => r.id === read.id);
    const who = await (await caller(keyClient(client.host, read.key))).who();
    expect(who).toEqual({
      apiKey: { id: read.id, scope: "read" },
      sessionId: read.id,
      user: {
        id: row!.service_user_id,
        email: `api-key+${read.id}@service.invalid`,
        name: "API key: read key",
        role: "member",
        isService: true,
      },
      expiresAt: expect.any(Date),
    });
    expect(who.expiresAt.getTime()).toBeGreaterThan(Date.now() + 100 * 365 * 86_400_000);
    expect(await (await caller(keyClient(client.host, write.key))).touch()).toBe("write");
    expect(await rejects((await caller(keyClient(client.host, read.key))).touch())).toMatchObject({
      code: "FORBIDDEN",
    });

    // An invalid key with a valid owner cookie is still refused: the key decides.
    const both = keyClient(client.host, `${read.key}x`);
    for (const [k, v] of client.cookies) both.cookies.set(k, v);
    expect(await rejects(both.call((c) => c.tenant.get()))).toMatchObject({
      code: "UNAUTHORIZED",
      message: "Invalid API key.",
    });
    // Other Authorization schemes leave cookie sessions alone.
    const basic = new TestClient(services, client.host, "web", { authorization: "Basic Zm9vOmJhcg==" });
    for (const [k, v] of client.cookies) basic.cookies.set(k, v);
    expect(await basic.call((c) => c.tenant.get())).toMatchObject({ id: tenant.id });
  });

  it("the key of tenant A is unknown on tenant B's host", async () => {
    const a = await proTenant("ka");
    const b = await proTenant("kb");
    const key = await createKey(a.client, "write");
    const intruder = keyClient(b.client.host, key.key);
    expect(await rejects(intruder.call((c) => c.tenant.get()))).toMatchObject({
      code: "UNAUTHORIZED",
      appCode: "UNAUTHORIZED",
    });
    expect(await rejects(intruder.call((c) => c.tenant.update({ name: "Pwned" })))).toMatchObject({
      code: "UNAUTHORIZED",
    });
    expect(await services.apiKeys.authenticate(b.tenant, key.key)).toBeNull();
    expect(await services.apiKeys.authenticate(a.tenant, key.key)).not.toBeNull();
  });

  it("refuses garbage, and keys whose service user was deactivated", async () => {
    const { client, tenant } = await proTenant();
    for (const bad of ["nck_", "nck_nope", `nck_${"a".repeat(500)}`]) {
      expect(await rejects(keyClient(client.host, bad).call((c) => c.tenant.get()))).toMatchObject({
        code: "UNAUTHORIZED",
      });
    }
    expect(await services.apiKeys.authenticate(tenant, "not-a-key")).toBeNull();
    expect(await services.apiKeys.authenticate(tenant, null)).toBeNull();

    const key = await createKey(client, "read");
    const [row] = await keyRows(tenant);
    await withTenant(services.db, tenant, ({ db, t }) =>
      db.update(t.users).set({ deactivatedAt: new Date() }).where(eq(t.users.id, row!.service_user_id)),
    );
    expect(await rejects(keyClient(client.host, key.key).call((c) => c.tenant.get()))).toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  it("records last use at most once a minute", async () => {
    const { client, tenant } = await proTenant();
    const key = await createKey(client, "read");
    expect((await client.call((c) => c.apiKeys.list()))[0]?.lastUsedAt).toBeNull();
    await services.apiKeys.authenticate(tenant, key.key);
    const first = (await client.call((c) => c.apiKeys.list()))[0]?.lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    await services.apiKeys.authenticate(tenant, key.key);
    expect((await client.call((c) => c.apiKeys.list()))[0]?.lastUsedAt).toEqual(first);

    await withTenant(services.db, tenant, ({ db, t }) =>
      db
        .update(t.apiKeys)
        .set({ lastUsedAt: new Date(Date.now() - 2 * 60_000) })
        .where(eq(t.apiKeys.id, key.id)),
    );
    await services.apiKeys.authenticate(tenant, key.key);
    const later = (await client.call((c) => c.apiKeys.list()))[0]?.lastUsedAt;
    expect(later!.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});
