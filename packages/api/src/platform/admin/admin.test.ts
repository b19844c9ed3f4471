import { randomBytes } from "node:crypto";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../../audit/actor";
import { ADMIN_SESSION_COOKIE, SESSION_COOKIE } from "../../auth/cookies";
import { appRouter } from "../../root";
import type { Services } from "../../server";
import { TestClient, tenantWithOwner, testServices } from "../../testing";

const ADMIN_HOST = "localhost:3001";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

/** Every procedure of the admin router, found at run time: new procedures are covered automatically. */
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
)
  .filter(([path]) => path.startsWith("admin."))
  .map(([path, p]) => ({ path, type: p._def.type as "query" | "mutation" | "subscription" }));

/** Calls a procedure by its dotted path with an arbitrary input; returns the tRPC and app error codes. */
async function attempt(client: TestClient, path: string, input: unknown = {}) {
  try {
    await client.call((caller) => {
      let fn: unknown = caller;
      for (const key of path.split(".")) fn = (fn as Record<string, unknown>)[key];
      return (fn as (input: unknown) => Promise<unknown>)(input);
    });
    return { ok: true as const };
  } catch (e) {
    const err = e as { code?: string; cause?: { code?: string } };
    return { ok: false as const, code: err.code, appCode: err.cause?.code };
  }
}

async function superAdmin() {
  const email = `sa-${randomBytes(4).toString("hex")}@platform.test`;
  const password = "super-admin-password-1";
  await services.superAdmins.create({ email, name: "Root", password }, SYSTEM);
  const client = new TestClient(services, ADMIN_HOST, "admin");
  await client.call((c) => c.adminAuth.signIn({ email, password }));
  expect(client.cookies.has(ADMIN_SESSION_COOKIE)).toBe(true);
  return { client, email };
}

describe("every admin procedure refuses anyone but a super admin on the admin app", () => {
  it("finds the admin router's procedures", () => {
    const paths = procedures.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "admin.tenants.list",
        "admin.tenants.get",
        "admin.tenants.changePlan",
        "admin.tenants.suspend",
        "admin.tenants.purge",
        "admin.overview.stats",
        "admin.logs.audit",
        "admin.logs.webhooks",
        "admin.logs.retryWebhook",
      ]),
    );
    expect(procedures.length).toBeGreaterThanOrEqual(17);
  });

  it("refuses calls without a session (UNAUTHORIZED), over HTTP too", async () => {
    const anon = new TestClient(services, ADMIN_HOST, "admin");
    for (const { path, type } of procedures) {
      expect({ path, ...(await attempt(anon, path)) }).toEqual({
        path,
        ok: false,
        code: "UNAUTHORIZED",
        appCode: "UNAUTHORIZED",
      });
      const res = await anon.http(path, type === "mutation" ? { body: {} } : {});
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }
  });

  it("refuses a tenant owner's session cookie, whatever cookie name carries it", async () => {
    const { client: owner } = await tenantWithOwner(services, uniqueSlug("own"));
    const token = owner.cookies.get(SESSION_COOKIE)!;
    expect(token).toBeTruthy();
    const intruder = new TestClient(services, ADMIN_HOST, "admin");
    intruder.cookies.set(SESSION_COOKIE, token);
    intruder.cookies.set(ADMIN_SESSION_COOKIE, token);
    for (const { path } of procedures) {
      expect({ path, ...(await attempt(intruder, path)) }).toMatchObject({
        path,
        ok: false,
        code: "UNAUTHORIZED",
      });
    }
    // The owner's own client (tenant host, web app) is refused as well.
    for (const { path } of procedures) {
      expect({ path, ...(await attempt(owner, path)) }).toMatchObject({
        path,
        ok: false,
        appCode: "FORBIDDEN",
      });
    }
  });

  it("refuses calls from the web app, even with a valid super-admin session", async () => {
    const { client } = await superAdmin();
    const fromWeb = new TestClient(services, "localhost:3000", "web");
    fromWeb.cookies.set(ADMIN_SESSION_COOKIE, client.cookies.get(ADMIN_SESSION_COOKIE)!);
    for (const { path } of procedures) {
      expect({ path, ...(await attempt(fromWeb, path)) }).toEqual({
        path,
        ok: false,
        code: "FORBIDDEN",
        appCode: "FORBIDDEN",
      });
    }
  });

  it("lets a super admin on the admin app through the gate (inputs are validated after it)", async () => {
    const { client } = await superAdmin();
    for (const { path } of procedures) {
      const r = await attempt(client, path, { id: "00000000-0000-4000-8000-000000000000", bogus: 1 });
      if (!r.ok) expect({ path, appCode: r.appCode }).not.toMatchObject({ appCode: "UNAUTHORIZED" });
      if (!r.ok) expect({ path, appCode: r.appCode }).not.toMatchObject({ appCode: "FORBIDDEN" });
    }
  });

  it("refuses after sign-out and for disabled super admins", async () => {
    const { client, email } = await superAdmin();
    const stolen = client.cookies.get(ADMIN_SESSION_COOKIE)!;
    expect(await attempt(client, "admin.overview.catalog")).toEqual({ ok: true });
    await services.db.admin`update public.super_admins set disabled_at = now() where email = ${email}`;
    expect(await attempt(client, "admin.overview.catalog")).toMatchObject({ code: "UNAUTHORIZED" });
    await services.db.admin`update public.super_admins set disabled_at = null where email = ${email}`;
    await client.call((c) => c.adminAuth.signOut());
    const replay = new TestClient(services, ADMIN_HOST, "admin");
    replay.cookies.set(ADMIN_SESSION_COOKIE, stolen);
    expect(await attempt(replay, "admin.overview.catalog")).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("refuses cross-origin mutations from a signed-in super admin's browser (CSRF)", async () => {
    const { client } = await superAdmin();
    const { tenant } = await tenantWithOwner(services, uniqueSlug("csrf"));
    const evil = new TestClient(services, ADMIN_HOST, "admin", { origin: "http://evil.example" });
    evil.cookies.set(ADMIN_SESSION_COOKIE, client.cookies.get(ADMIN_SESSION_COOKIE)!);
    expect(
      await attempt(evil, "admin.tenants.suspend", { id: tenant.id, reason: "csrf attempt" }),
    ).toMatchObject({ ok: false, appCode: "FORBIDDEN" });
    expect((await services.tenants.getTenantById(tenant.id))?.status).toBe("active");
  });
});

describe("the admin API end to end", () => {
  it("finds a tenant, changes its plan and suspends it; the audit log shows both as the super admin", async () => {
    const { client, email } = await superAdmin();
    const { tenant, client: owner } = await tenantWithOwner(services, uniqueSlug("e2e"));

    const found = await client.call((c) => c.admin.tenants.list({ q: tenant.slug }));
    expect(found.items.map((t) => t.id)).toEqual([tenant.id]);

    expect(
      await client.call((c) => c.admin.tenants.changePlan({ id: tenant.id, plan: "pro" })),
    ).toMatchObject({
      plan: "pro",
    });
    const bad = await client.http("admin.tenants.suspend", { body: { id: tenant.id, reason: "" } });
    expect(bad.status).toBe(400);
    await client.call((c) => c.admin.tenants.suspend({ id: tenant.id, reason: "Abuse report #42" }));

    // The tenant's own host now sees the suspension (caches were invalidated).
    expect(await owner.call((c) => c.tenant.public())).toMatchObject({ status: "suspended", plan: "pro" });

    const log = await client.call((c) => c.admin.logs.audit({ tenant: tenant.slug }));
    expect(log.items.slice(0, 2)).toEqual([
      expect.objectContaining({
        action: "tenant.status_suspended",
        actorType: "super_admin",
        actorEmail: email,
        userAgent: "vitest",
        after: expect.objectContaining({ reason: "Abuse report #42" }),
      }),
      expect.objectContaining({ action: "tenant.plan_change", actorEmail: email }),
    ]);

    const detail = await client.call((c) => c.admin.tenants.get({ id: tenant.id }));
    expect(detail.suspension?.reason).toBe("Abuse report #42");
  });

  it("validates Custom limits in the procedure input", async () => {
    const { client } = await superAdmin();
    const { tenant } = await tenantWithOwner(services, uniqueSlug("val"));
    const res = await client.http("admin.tenants.setCustomPlan", {
      body: { id: tenant.id, limits: { users: "many" }, features: {} },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { json: { data: { appCode: string; fields?: unknown[] } } } };
    expect(body.error.json.data.appCode).toBe("VALIDATION_FAILED");
    expect(body.error.json.data.fields?.length).toBeGreaterThan(0);
  });

  it("offline billing has no Stripe events to retry: no Retry button, and the call is refused", async () => {
    const { client } = await superAdmin();
    const list = await client.call((c) => c.admin.logs.webhooks({ limit: 1 }));
    expect(services.billing.mode).toBe("offline");
    expect(list.retryAvailable).toBe(false);
    await services.db.admin`insert into public.stripe_webhooks (id, type, status, payload)
      values ('evt_offline_retry', 'invoice.paid', 'failed', '{}') on conflict do nothing`;
    expect(await attempt(client, "admin.logs.retryWebhook", { id: "evt_offline_retry" })).toMatchObject({
      appCode: "CONFLICT",
    });
  });
});
