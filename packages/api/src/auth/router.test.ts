import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { TEST_BASE_DOMAIN, TestClient, tenantWithOwner, testServices } from "../testing";
import { SESSION_COOKIE } from "./cookies";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

const base = () => new TestClient(services, `${TEST_BASE_DOMAIN}:3000`);
const signUpInput = (slug: string, over: Record<string, unknown> = {}) => ({
  name: "Acme Inc",
  slug,
  ownerEmail: `owner@${slug}.test`,
  ownerName: "Olivia",
  ownerPassword: "owner-password-1",
  ...over,
});

async function rejects(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    const err = e as { code: string; cause?: { code?: string } };
    return { code: err.code, appCode: err.cause?.code };
  }
  throw new Error("expected a rejection");
}

describe("sign-up on the base domain", () => {
  it("creates a Free workspace and a single-use link that signs the owner in on the tenant host", async () => {
    const slug = uniqueSlug("su");
    const res = await base().call((c) =>
      c.auth.signUp(signUpInput(slug, { plan: "enterprise", limits: { users: -1 } })),
    );
    expect(res.tenant).toMatchObject({
      slug,
      plan: "free",
      status: "active",
      url: `http://${slug}.${TEST_BASE_DOMAIN}:3000/`,
    });
    const url = new URL(res.continueUrl);
    expect(url.host).toBe(`${slug}.${TEST_BASE_DOMAIN}:3000`);
    const token = url.searchParams.get("token")!;

    const tenant = (await services.resolver.bySlug(slug))!;
    const { token: sessionToken } = await services.auth.exchangeLoginToken(tenant, token, {
      ip: null,
      userAgent: null,
    });
    const client = new TestClient(services, `${slug}.${TEST_BASE_DOMAIN}`);
    client.cookies.set(SESSION_COOKIE, sessionToken);
    expect(await client.call((c) => c.auth.me())).toMatchObject({
      user: { email: `owner@${slug}.test`, role: "owner" },
    });

    await expect(
      services.auth.exchangeLoginToken(tenant, token, { ip: null, userAgent: null }),
    ).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  it("is refused on a tenant host", async () => {
    const { client } = await tenantWithOwner(services, uniqueSlug("host"));
    expect(await rejects(client.call((c) => c.auth.signUp(signUpInput(uniqueSlug("x")))))).toMatchObject({
      appCode: "FORBIDDEN",
    });
  });

  it("reports slug availability live", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("av"));
    const c = base();
    expect(await c.call((x) => x.auth.slugAvailable({ slug: tenant.slug }))).toEqual({
      available: false,
      reason: expect.any(String),
    });
    expect(await c.call((x) => x.auth.slugAvailable({ slug: "admin" }))).toMatchObject({ available: false });
    expect(await c.call((x) => x.auth.slugAvailable({ slug: "Bad_Slug" }))).toMatchObject({
      available: false,
    });
    expect(await c.call((x) => x.auth.slugAvailable({ slug: uniqueSlug("free") }))).toEqual({
      available: true,
      reason: null,
    });
  });
});

describe("sessions are per tenant host", () => {
  it("signs in and out with an httpOnly, host-only cookie", async () => {
    const slug = uniqueSlug("in");
    const { client } = await tenantWithOwner(services, slug);
    const res = await client.http("auth.signIn", {
      body: { email: `owner@${slug}.test`, password: "owner-password-1" },
    });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Domain=/i);
    expect(await client.call((c) => c.auth.me())).toMatchObject({ user: { role: "owner" } });
    await client.call((c) => c.auth.signOut());
    expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(await client.call((c) => c.auth.me())).toBeNull();
  });

  it("refuses a wrong password or unknown email with the same UNAUTHORIZED", async () => {
    const slug = uniqueSlug("pw");
    const { client } = await tenantWithOwner(services, slug);
    const wrong = await rejects(
      client.call((c) => c.auth.signIn({ email: `owner@${slug}.test`, password: "nope" })),
    );
    const unknown = await rejects(
      client.call((c) => c.auth.signIn({ email: "ghost@x.test", password: "nope" })),
    );
    expect(wrong).toEqual({ code: "UNAUTHORIZED", appCode: "UNAUTHORIZED" });
    expect(unknown).toEqual(wrong);
  });

  it("rejects tenant A's session cookie on tenant B's host", async () => {
    const a = await tenantWithOwner(services, uniqueSlug("a"));
    const b = await tenantWithOwner(services, uniqueSlug("b"));
    const intruder = new TestClient(services, b.client.host);
    intruder.cookies.set(SESSION_COOKIE, a.client.cookies.get(SESSION_COOKIE)!);
    expect(await intruder.call((c) => c.auth.me())).toBeNull();
    expect(await rejects(intruder.call((c) => c.tenant.get()))).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await rejects(intruder.call((c) => c.tenant.update({ name: "Pwned" })))).toMatchObject({
      code: "UNAUTHORIZED",
    });
    expect((await services.tenants.getTenantById(b.tenant.id))?.name).toBe(b.tenant.name);
  });

  it("refuses cross-origin mutations (CSRF), even with a valid cookie", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("csrf"));
    const evil = new TestClient(services, client.host, "web", { origin: `http://evil.${TEST_BASE_DOMAIN}` });
    for (const [k, v] of client.cookies) evil.cookies.set(k, v);
    expect(await rejects(evil.call((c) => c.tenant.update({ name: "CSRF" })))).toMatchObject({
      code: "FORBIDDEN",
    });
    const sibling = new TestClient(services, client.host, "web", {
      "sec-fetch-site": "same-site",
      origin: `http://${client.host}`,
    });
    for (const [k, v] of client.cookies) sibling.cookies.set(k, v);
    expect(await rejects(sibling.call((c) => c.tenant.update({ name: "CSRF" })))).toMatchObject({
      code: "FORBIDDEN",
    });
    expect((await services.tenants.getTenantById(tenant.id))?.name).toBe(tenant.name);
  });
});

describe("tenant procedures", () => {
  it("owner updates name and branding; plan, limits and Stripe fields are refused", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("upd"));
    expect(
      await client.call((c) => c.tenant.update({ name: "New Name", branding: { appName: "Chatty" } })),
    ).toMatchObject({
      name: "New Name",
      branding: { appName: "Chatty" },
    });
    for (const patch of [
      { billingPlan: "enterprise" },
      { limits: { users: -1 } },
      { stripeCustomerId: "cus_1" },
      { status: "active" },
    ]) {
      expect(await rejects(client.call((c) => c.tenant.update(patch as never)))).toMatchObject({
        code: "BAD_REQUEST",
        appCode: "VALIDATION_FAILED",
      });
    }
    expect((await services.tenants.getTenantById(tenant.id))?.billingPlan).toBe("free");
  });

  it("a suspended tenant is read-only", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("susp"));
    await services.tenants.updateTenant(
      tenant.id,
      { status: "suspended" },
      { type: "super_admin", id: "sa" },
    );
    expect(await client.call((c) => c.tenant.get())).toMatchObject({ status: "suspended" });
    expect(await rejects(client.call((c) => c.tenant.update({ name: "x" })))).toMatchObject({
      code: "FORBIDDEN",
      appCode: "TENANT_SUSPENDED",
    });
  });

  it("soft delete needs the slug typed and makes the host stop resolving", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("del"));
    expect(await rejects(client.call((c) => c.tenant.delete({ confirmSlug: "wrong" })))).toMatchObject({
      appCode: "VALIDATION_FAILED",
    });
    await client.call((c) => c.tenant.delete({ confirmSlug: tenant.slug }));
    expect(await rejects(client.call((c) => c.tenant.public()))).toMatchObject({
      code: "NOT_FOUND",
      appCode: "TENANT_NOT_FOUND",
    });
    expect((await services.tenants.getTenantById(tenant.id))?.status).toBe("deleted");
  });

  it("unknown hosts answer TENANT_NOT_FOUND", async () => {
    const ghost = new TestClient(services, `no-such-${uniqueSlug("g")}.${TEST_BASE_DOMAIN}`);
    expect(await rejects(ghost.call((c) => c.tenant.public()))).toMatchObject({
      code: "NOT_FOUND",
      appCode: "TENANT_NOT_FOUND",
    });
  });
});

describe("audit log", () => {
  it("owners read their own tenant's entries only", async () => {
    const a = await tenantWithOwner(services, uniqueSlug("aud"));
    const b = await tenantWithOwner(services, uniqueSlug("aud"));
    await a.client.call((c) => c.tenant.update({ name: "Audited" }));
    await b.client.call((c) => c.tenant.update({ name: "Other" }));
    const log = await a.client.call((c) => c.audit.list({ limit: 50 }));
    expect(log.items.map((i) => i.action)).toEqual(["tenant.update", "tenant.create"]);
    expect(log.items.every((i) => i.tenantId === a.tenant.id)).toBe(true);
    expect(log.items[0]).toMatchObject({
      actorType: "user",
      actorId: a.ownerId,
      userAgent: "vitest",
      after: { name: "Audited" },
    });
    const page1 = await a.client.call((c) => c.audit.list({ limit: 1 }));
    const page2 = await a.client.call((c) => c.audit.list({ limit: 1, cursor: page1.nextCursor! }));
    expect([...page1.items, ...page2.items].map((i) => i.action)).toEqual(["tenant.update", "tenant.create"]);
  });
});

describe("over HTTP", () => {
  it("maps typed errors to statuses and stable codes, without stacks", async () => {
    const { client } = await tenantWithOwner(services, uniqueSlug("http"));
    const anon = new TestClient(services, client.host);
    const res = await anon.http("tenant.get");
    expect(res.status).toBe(401);
    const body = (await res.json()) as {
      error: { json: { message: string; data: Record<string, unknown> } };
    };
    expect(body.error.json.data).toMatchObject({ appCode: "UNAUTHORIZED", httpStatus: 401 });
    expect(JSON.stringify(body)).not.toMatch(/stack|node_modules|at \w+ \(/);

    const bad = await client.http("tenant.update", { body: { billingPlan: "enterprise" } });
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as {
      error: { json: { data: { appCode: string; details?: unknown } } };
    };
    expect(badBody.error.json.data.appCode).toBe("VALIDATION_FAILED");

    const ghost = await new TestClient(services, `nobody-${uniqueSlug("x")}.${TEST_BASE_DOMAIN}`).http(
      "tenant.public",
    );
    expect(ghost.status).toBe(404);
  });
});

describe("cookie security follows the services' environment", () => {
  it("production: the session cookie is Secure; development: it is not (plain http on localhost)", async () => {
    const production = await testServices({ NODE_ENV: "production", BILLING_MODE: "offline" });
    try {
      for (const [s, secure] of [
        [services, false],
        [production, true],
      ] as const) {
        const slug = uniqueSlug("sec");
        const { client } = await tenantWithOwner(s, slug);
        const res = await client.http("auth.signIn", {
          body: { email: `owner@${slug}.test`, password: "owner-password-1" },
        });
        expect(res.status).toBe(200);
        const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
        expect(cookie).toBeDefined();
        expect(/;\s*Secure/i.test(cookie!)).toBe(secure);
      }
    } finally {
      await production.close();
    }
  });
});
