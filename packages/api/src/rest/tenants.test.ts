import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { ADMIN_SESSION_COOKIE, SESSION_COOKIE } from "../auth/cookies";
import type { Services } from "../server";
import { randomIp, TEST_BASE_DOMAIN, type TestClient, tenantWithOwner, testServices } from "../testing";
import { createTenantRoute, tenantByIdRoute } from "./tenants";

let services: Services;
let adminCookie: string;
beforeAll(async () => {
  services = await testServices();
  const email = `root-${uniqueSlug("a")}@nchat.test`;
  await services.superAdmins.create({ email, name: "Root", password: "super-admin-password" }, SYSTEM);
  const { token } = await services.superAdmins.signIn(
    { email, password: "super-admin-password" },
    { ip: null, userAgent: null },
  );
  adminCookie = `${ADMIN_SESSION_COOKIE}=${token}`;
});
afterAll(() => services.close());

const createBody = (slug: string, over: Record<string, unknown> = {}) => ({
  name: "Acme Inc",
  slug,
  ownerEmail: `owner@${slug}.test`,
  ownerName: "Olivia",
  ownerPassword: "owner-password-1",
  ...over,
});

function post(body: unknown, host = TEST_BASE_DOMAIN, raw = false) {
  return createTenantRoute(
    services,
    new Request(`http://${host}/api/tenants/create`, {
      method: "POST",
      headers: { host, "content-type": "application/json", "x-nchat-client-address": randomIp() },
      body: raw ? (body as string) : JSON.stringify(body),
    }),
  );
}

function byId(
  id: string,
  init: { method?: string; host: string; cookie?: string; body?: unknown; headers?: Record<string, string> },
  app: "web" | "admin" = "web",
) {
  const headers = new Headers({ host: init.host, ...(init.headers ?? {}) });
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  return tenantByIdRoute(
    services,
    app,
    new Request(`http://${init.host}/api/tenants/${id}`, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
    id,
  );
}

const sessionCookie = (c: TestClient) => `${SESSION_COOKIE}=${c.cookies.get(SESSION_COOKIE)}`;

describe("POST /api/tenants/create", () => {
  it("answers 201 with the public fields and a continue link; plan, limits and features in the body are ignored", async () => {
    const slug = uniqueSlug("rest");
    const res = await post(
      createBody(slug, {
        plan: "enterprise",
        billingPlan: "custom",
        limits: { users: -1 },
        features: { sso: true },
      }),
    );
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      "continueUrl",
      "id",
      "name",
      "plan",
      "schemaName",
      "slug",
      "status",
      "url",
    ]);
    expect(body).toMatchObject({
      slug,
      plan: "free",
      status: "active",
      schemaName: `tenant_${slug.replaceAll("-", "_")}`,
    });
    expect(String(body.continueUrl)).toMatch(
      new RegExp(`^http://${slug}\\.${TEST_BASE_DOMAIN}/auth/continue\\?token=`),
    );
    const tenant = await services.tenants.getTenantById(String(body.id));
    expect(tenant).toMatchObject({ billingPlan: "free", features: expect.objectContaining({ sso: false }) });
  });

  it.each([
    ["invalid slug", createBody("Bad_Slug"), 400, "SLUG_INVALID"],
    ["reserved slug", createBody("admin"), 400, "SLUG_RESERVED"],
    ["bad email", createBody(uniqueSlug("e"), { ownerEmail: "nope" }), 400, "VALIDATION_FAILED"],
    ["missing fields", { slug: uniqueSlug("m") }, 400, "VALIDATION_FAILED"],
    ["non-object", [1, 2, 3], 400, "VALIDATION_FAILED"],
  ])("answers %s with a typed error", async (_why, body, status, code) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code, message: expect.any(String) } });
  });

  it("answers malformed JSON with 400", async () => {
    const res = await post("{not json", TEST_BASE_DOMAIN, true);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_FAILED");
  });

  it("answers a taken slug with 409", async () => {
    const slug = uniqueSlug("dup");
    expect((await post(createBody(slug))).status).toBe(201);
    const res = await post(createBody(slug));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: "SLUG_TAKEN" } });
  });

  it("is refused on a tenant host, whatever X-Tenant-* headers say", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("th"));
    const res = await post(createBody(uniqueSlug("x")), `${tenant.slug}.${TEST_BASE_DOMAIN}`);
    expect(res.status).toBe(403);
  });
});

describe("GET/PUT/DELETE /api/tenants/:id", () => {
  let a: Awaited<ReturnType<typeof tenantWithOwner>>;
  let b: Awaited<ReturnType<typeof tenantWithOwner>>;
  beforeAll(async () => {
    a = await tenantWithOwner(services, uniqueSlug("ra"));
    b = await tenantWithOwner(services, uniqueSlug("rb"));
  });

  it("the owner reads their tenant on its host, without Stripe ids", async () => {
    const res = await byId(a.tenant.id, { host: a.client.host, cookie: sessionCookie(a.client) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: a.tenant.id,
      slug: a.tenant.slug,
      plan: "free",
      settings: { sessionTimeoutMinutes: expect.any(Number) },
    });
    expect(body.stripe).toBeUndefined();
  });

  it("401 without a session, 403 for a non-owner, 404 for another tenant's id (not 403), 404 for junk ids", async () => {
    expect((await byId(a.tenant.id, { host: a.client.host })).status).toBe(401);
    expect((await byId(b.tenant.id, { host: a.client.host, cookie: sessionCookie(a.client) })).status).toBe(
      404,
    );
    expect((await byId("not-a-uuid", { host: a.client.host, cookie: sessionCookie(a.client) })).status).toBe(
      404,
    );
    // A's cookie on B's host, asking for B: unknown session there.
    expect((await byId(b.tenant.id, { host: b.client.host, cookie: sessionCookie(a.client) })).status).toBe(
      401,
    );
  });

  it("ignores spoofed X-Tenant-* headers: the host decides", async () => {
    const res = await byId(b.tenant.id, {
      host: a.client.host,
      cookie: sessionCookie(a.client),
      headers: {
        "x-tenant-id": b.tenant.id,
        "x-tenant-slug": b.tenant.slug,
        "x-tenant-context": JSON.stringify({ id: b.tenant.id }),
        "x-tenant-signature": "x",
      },
    });
    expect(res.status).toBe(404);
  });

  it("PUT by the owner changes name, branding and settings; plan, limits, features, status and Stripe fields are refused", async () => {
    const ok = await byId(a.tenant.id, {
      method: "PUT",
      host: a.client.host,
      cookie: sessionCookie(a.client),
      headers: { origin: `http://${a.client.host}` },
      body: {
        name: "Acme Renamed",
        branding: { primaryColor: "#123456" },
        settings: { sessionTimeoutMinutes: 120 },
      },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      name: "Acme Renamed",
      branding: { primaryColor: "#123456" },
      settings: { sessionTimeoutMinutes: 120 },
    });
    for (const patch of [
      { billingPlan: "enterprise" },
      { limits: { users: -1 } },
      { features: { sso: true } },
      { status: "active" },
      { stripeCustomerId: "cus_x" },
    ]) {
      const res = await byId(a.tenant.id, {
        method: "PUT",
        host: a.client.host,
        cookie: sessionCookie(a.client),
        body: patch,
      });
      expect(res.status, JSON.stringify(patch)).toBe(400);
    }
    const after = await services.tenants.getTenantById(a.tenant.id);
    expect(after).toMatchObject({ billingPlan: "free", status: "active", stripeCustomerId: null });
    const actions = await services.db
      .admin`select action from public.tenant_audit_logs where tenant_id = ${a.tenant.id} order by id`;
    expect(actions.map((r) => r.action)).toEqual(
      expect.arrayContaining(["tenant.update", "settings.update"]),
    );
  });

  it("a super admin on the admin app reads and changes any tenant, including the plan; a tenant owner's cookie there is refused", async () => {
    const get = await byId(b.tenant.id, { host: "admin.example", cookie: adminCookie }, "admin");
    expect(get.status).toBe(200);
    expect(((await get.json()) as { stripe: unknown }).stripe).toEqual({
      customerId: null,
      subscriptionId: null,
    });
    const put = await byId(
      b.tenant.id,
      { method: "PUT", host: "admin.example", cookie: adminCookie, body: { billingPlan: "pro" } },
      "admin",
    );
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ plan: "pro" });
    expect(
      (await byId(b.tenant.id, { host: "admin.example", cookie: sessionCookie(b.client) }, "admin")).status,
    ).toBe(401);
    expect((await byId(b.tenant.id, { host: b.client.host, cookie: adminCookie })).status).toBe(401);
  });

  it("DELETE soft-deletes: 204, the tenant stops resolving, the data stays, a super admin can restore", async () => {
    const c = await tenantWithOwner(services, uniqueSlug("rdel"));
    const res = await byId(c.tenant.id, {
      method: "DELETE",
      host: c.client.host,
      cookie: sessionCookie(c.client),
    });
    expect(res.status).toBe(204);
    expect((await services.resolver.bySlug(c.tenant.slug))?.status).toBe("deleted");
    expect((await byId(c.tenant.id, { host: c.client.host, cookie: sessionCookie(c.client) })).status).toBe(
      404,
    );
    const [schema] = await services.db
      .admin`select 1 from pg_namespace where nspname = ${c.tenant.schemaName}`;
    expect(schema).toBeDefined();
    await services.tenants.restoreTenant(c.tenant.id, { type: "super_admin", id: "sa" });
    expect((await byId(c.tenant.id, { host: c.client.host, cookie: sessionCookie(c.client) })).status).toBe(
      200,
    );
  });

  it("405 for other methods", async () => {
    expect(
      (await byId(a.tenant.id, { method: "PATCH", host: a.client.host, cookie: sessionCookie(a.client) }))
        .status,
    ).toBe(405);
  });
});
