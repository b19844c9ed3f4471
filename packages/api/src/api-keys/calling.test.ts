import { withTenant } from "@nchat/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { TestClient } from "../testing";
import { authedProcedure, createCallerFactory, createContext, router } from "../trpc";
import { createKey, keyClient, keyRows, proTenant, rejects, services, superAdmin, useKit } from "./test-kit";

/** Requests authorized by an API key: which tenant, which user and role, scopes, plan, last use. */

useKit();

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

  it("an admin key acts with an admin's permissions over tRPC too, never the owner's", async () => {
    const { client, tenant } = await proTenant("keyown");
    const admin = keyClient(client.host, (await createKey(client, "admin")).key);
    // Admin-only reads are open to it…
    expect(await admin.call((c) => c.audit.list({ limit: 5 }))).toMatchObject({ items: expect.any(Array) });
    // …the owner's powers are not: name and branding, deletion, billing.
    // One at a time (thunks): a refusal must never be left unawaited.
    for (const call of [
      () => admin.call((c) => c.tenant.update({ name: "Via admin key" })),
      () => admin.call((c) => c.tenant.delete({ confirmSlug: tenant.slug })),
      () => admin.call((c) => c.billing.cancel()),
    ]) {
      expect(await rejects(call)).toMatchObject({ code: "FORBIDDEN", appCode: "FORBIDDEN" });
    }
    const now = await services.tenants.getTenantById(tenant.id);
    expect(now).toMatchObject({ name: tenant.name, status: tenant.status, billingPlan: "pro" });
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
