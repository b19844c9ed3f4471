import { createHmac } from "node:crypto";
import { testDatabase, testMasterKey, uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { LocalPubSub } from "../infra/pubsub";
import { getTenantByDomain, getTenantBySlug } from "../rest/tenants-public";
import type { Services } from "../server";
import { TenantService } from "../tenants/tenant-service";
import { testServices } from "../testing";
import { createContext } from "../trpc";
import {
  CONTEXT_CLOCK_SKEW_MS,
  CONTEXT_TTL_MS,
  contextKey,
  readTenantHeaders,
  setTenantHeaders,
  TENANT_HEADERS,
} from "./context";
import { forwardRequest } from "./forward";
import { TenantResolver } from "./resolver";
import { routeRequest } from "./routing";

const db = testDatabase();
const resolver = new TenantResolver({ db, pubsub: new LocalPubSub(), namespace: "fwd" });
const service = new TenantService({
  db,
  masterKey: testMasterKey,
  onTenantChanged: (t) => resolver.invalidate(t),
});
const key = contextKey(testMasterKey);
const tenancy = {
  baseDomain: "nchat.test",
  multiTenant: true,
  defaultTenantSlug: "demo",
  customDomains: true,
};
const deps = { resolver, tenancy, contextKey: key };
afterAll(() => db.close());

let a: Awaited<ReturnType<typeof service.createTenant>>["tenant"];
let b: typeof a;
beforeAll(async () => {
  const make = async (name: string) =>
    (
      await service.createTenant(
        {
          name,
          slug: uniqueSlug("fw"),
          ownerEmail: "o@x.test",
          ownerName: "O",
          ownerPassword: "0123456789ab",
        },
        SYSTEM,
      )
    ).tenant;
  a = await make("Café Ångström");
  b = await make("Bravo Corp");
});

const hostOf = (t: { slug: string }) => `${t.slug}.nchat.test:3000`;

function spoofed(host: string) {
  // Everything a client could send to pretend to be tenant B.
  return new Headers({
    host,
    "x-tenant-id": b.id,
    "X-Tenant-Slug": b.slug,
    "x-tenant-schema": b.schemaName,
    "x-tenant-context": JSON.stringify({ id: b.id, slug: b.slug, schema: b.schemaName, dbRole: b.dbRole }),
    "x-tenant-signature": "forged",
    "x-tenant-anything": "x",
    "x-forwarded-host": `${b.slug}.nchat.test`,
  });
}

describe("forwardRequest: client-supplied tenant headers never win", () => {
  it.each(["/", "/api/trpc/chat.send"])(
    "on tenant A's host, a spoofed X-Tenant-* for B is replaced by A (%s)",
    async (pathname) => {
      const { decision, headers } = await forwardRequest(deps, { headers: spoofed(hostOf(a)), pathname });
      expect(decision.type).not.toBe("json");
      expect(headers.get(TENANT_HEADERS.id)).toBe(a.id);
      expect(headers.get(TENANT_HEADERS.slug)).toBe(a.slug);
      expect(headers.get(TENANT_HEADERS.schema)).toBe(a.schemaName);
      expect(headers.get("x-tenant-anything")).toBeNull();
      const ctx = readTenantHeaders(headers, key);
      expect(ctx).toMatchObject({
        id: a.id,
        slug: a.slug,
        name: "Café Ångström",
        schemaName: a.schemaName,
        status: "active",
        plan: "free",
      });
    },
  );

  it.each(["/", "/api/tenants/by-slug"])(
    "on the base domain, spoofed headers are dropped and no tenant is set (%s)",
    async (pathname) => {
      const { decision, headers } = await forwardRequest(deps, { headers: spoofed("nchat.test"), pathname });
      expect(decision).toEqual({ type: "continue", tenant: null });
      for (const name of Object.values(TENANT_HEADERS)) expect(headers.get(name)).toBeNull();
      expect(readTenantHeaders(headers, key)).toBeNull();
    },
  );

  it("X-Forwarded-Host does not select a tenant", async () => {
    const headers = new Headers({ host: "nchat.test", "x-forwarded-host": hostOf(b) });
    const { decision } = await forwardRequest(deps, { headers, pathname: "/" });
    expect(decision).toEqual({ type: "continue", tenant: null });
  });

  it("a context signed with another key, or altered after signing, is rejected", async () => {
    const { headers } = await forwardRequest(deps, {
      headers: new Headers({ host: hostOf(a) }),
      pathname: "/",
    });
    expect(readTenantHeaders(headers, contextKey({ id: "x", key: Buffer.alloc(32, 1) }))).toBeNull();
    const altered = new Headers(headers);
    altered.set(TENANT_HEADERS.context, headers.get(TENANT_HEADERS.context)!.replace(a.id, b.id));
    expect(readTenantHeaders(altered, key)).toBeNull();
    const swappedId = new Headers(headers);
    swappedId.set(TENANT_HEADERS.id, b.id);
    expect(readTenantHeaders(swappedId, key)).toBeNull();
  });

  it("a correctly signed context that is not a tenant (resolvedTenantSchema) is no context", async () => {
    const tenant = (await resolver.bySlug(a.slug))!;
    const headers = new Headers({ host: hostOf(a) });
    setTenantHeaders(headers, tenant, key);
    expect(readTenantHeaders(headers, key)?.id).toBe(a.id);
    for (const odd of [{ status: "superuser" }, { plan: "platinum" }, { features: { sso: "yes" } }]) {
      setTenantHeaders(headers, { ...tenant, ...odd } as never, key);
      expect(readTenantHeaders(headers, key)).toBeNull();
    }
  });

  it("answers malformed and overlong hosts with a 400 JSON decision, caching nothing", async () => {
    for (const host of [`${"a".repeat(300)}.nchat.test`, "bad host", "x.nchat.test\u0000"]) {
      const headers = new Headers();
      try {
        headers.set("host", host);
      } catch {
        continue; // not even representable as a header value
      }
      const { decision } = await forwardRequest(deps, { headers, pathname: "/" });
      expect(decision).toMatchObject({ type: "json", status: 400, code: "VALIDATION_FAILED" });
    }
  });
});

describe("the signed context is bound to its host and expires", () => {
  const forwarded = async (host: string, now = new Date()) =>
    (await forwardRequest(deps, { headers: new Headers({ host }), pathname: "/" }, now)).headers;

  it("a fresh context is accepted on the host it was made for, until it expires", async () => {
    const issued = new Date();
    const headers = await forwarded(hostOf(a), issued);
    expect(readTenantHeaders(headers, key, issued)?.id).toBe(a.id);
    expect(readTenantHeaders(headers, key)?.id).toBe(a.id);
    const later = new Date(issued.getTime() + CONTEXT_TTL_MS - 1);
    expect(readTenantHeaders(headers, key, later)?.id).toBe(a.id);
    // The Host is compared case-insensitively (the header is the same request's).
    const upper = new Headers(headers);
    upper.set("host", hostOf(a).toUpperCase());
    expect(readTenantHeaders(upper, key, issued)?.id).toBe(a.id);
  });

  it("a context replayed on another host is refused, like a bad signature", async () => {
    const headers = await forwarded(hostOf(a));
    for (const host of [hostOf(b), `${a.slug}.nchat.test`, `${a.slug}.nchat.test:3001`, "nchat.test"]) {
      const replayed = new Headers(headers);
      replayed.set("host", host);
      expect(readTenantHeaders(replayed, key)).toBeNull();
    }
    const hostless = new Headers(headers);
    hostless.delete("host");
    expect(readTenantHeaders(hostless, key)).toBeNull();
    // Rebinding it means changing the signed context: the signature no longer matches.
    const rebound = new Headers(headers);
    rebound.set("host", hostOf(b));
    rebound.set(
      TENANT_HEADERS.context,
      headers.get(TENANT_HEADERS.context)!.replace(`"host":"${hostOf(a)}"`, `"host":"${hostOf(b)}"`),
    );
    expect(rebound.get(TENANT_HEADERS.context)).toContain(hostOf(b));
    expect(readTenantHeaders(rebound, key)).toBeNull();
  });

  it("an expired context is refused, and so is one issued beyond the clock skew in the future", async () => {
    const issued = new Date();
    const headers = await forwarded(hostOf(a), issued);
    const at = (ms: number) => new Date(issued.getTime() + ms);
    expect(readTenantHeaders(headers, key, at(CONTEXT_TTL_MS + CONTEXT_CLOCK_SKEW_MS))?.id).toBe(a.id);
    expect(readTenantHeaders(headers, key, at(CONTEXT_TTL_MS + CONTEXT_CLOCK_SKEW_MS + 1))).toBeNull();
    expect(readTenantHeaders(headers, key, at(3_600_000))).toBeNull();
    // Signed by a process whose clock runs ahead: tolerated within the skew, refused beyond.
    expect(readTenantHeaders(headers, key, at(-CONTEXT_CLOCK_SKEW_MS))?.id).toBe(a.id);
    expect(readTenantHeaders(headers, key, at(-CONTEXT_CLOCK_SKEW_MS - 1))).toBeNull();
  });

  it("a context without a host binding or lifetime (an older format) is refused", async () => {
    const headers = await forwarded(hostOf(a));
    const parsed = JSON.parse(headers.get(TENANT_HEADERS.context)!) as Record<string, unknown>;
    for (const drop of ["host", "iat", "exp"]) {
      const { [drop]: _dropped, ...rest } = parsed;
      const context = JSON.stringify(rest);
      const old = new Headers(headers);
      old.set(TENANT_HEADERS.context, context);
      old.set(TENANT_HEADERS.signature, createHmac("sha256", key).update(context).digest("base64url"));
      expect(readTenantHeaders(old, key)).toBeNull();
    }
  });

  describe("in createContext", () => {
    let services: Services;
    beforeAll(async () => {
      services = await testServices({}, { crossProcess: false });
    });
    afterAll(() => services?.close());

    const tenantOf = async (headers: Headers) =>
      (await createContext({ services, headers, app: "web" })).tenant?.id ?? null;

    it("a context replayed on another tenant's host is ignored: the Host decides", async () => {
      const headers = await forwarded(hostOf(a));
      expect(await tenantOf(headers)).toBe(a.id);
      const replayed = new Headers(headers);
      replayed.set("host", hostOf(b));
      expect(await tenantOf(replayed)).toBe(b.id);
    });

    it("a context is used on a host that names no tenant only while it is fresh", async () => {
      const resolved = await resolver.bySlug(a.slug);
      const made = (now: Date) =>
        setTenantHeaders(new Headers({ host: "nchat.test" }), resolved!, services.contextKey, { now });
      expect(await tenantOf(made(new Date()))).toBe(a.id);
      const stale = new Date(Date.now() - CONTEXT_TTL_MS - CONTEXT_CLOCK_SKEW_MS - 1_000);
      expect(await tenantOf(made(stale))).toBeNull();
    });
  });
});

describe("routeRequest status handling", () => {
  const base = {
    id: "t",
    slug: "acme",
    name: "Acme",
    schemaName: "tenant_acme",
    dbRole: "r",
    plan: "free" as const,
    branding: {},
    features: {},
    trialEndsAt: null,
  };
  const sub = { kind: "subdomain" as const, slug: "acme" };

  it("unknown, deleted and reserved → 404 page, or JSON on API routes", () => {
    expect(routeRequest({ target: sub, tenant: null }, "/")).toMatchObject({
      type: "rewrite",
      pathname: "/tenant-not-found",
      status: 404,
    });
    expect(
      routeRequest({ target: sub, tenant: { ...base, status: "deleted" } }, "/api/trpc/x"),
    ).toMatchObject({
      type: "json",
      status: 404,
      code: "TENANT_NOT_FOUND",
    });
    expect(routeRequest({ target: { kind: "reserved", label: "admin" }, tenant: null }, "/")).toMatchObject({
      status: 404,
    });
  });

  it("suspended → the suspended page; API routes get the tenant and decide per operation", () => {
    const t = { ...base, status: "suspended" as const };
    expect(routeRequest({ target: sub, tenant: t }, "/channels/x")).toMatchObject({
      type: "rewrite",
      pathname: "/w/suspended",
      status: 403,
    });
    expect(routeRequest({ target: sub, tenant: t }, "/api/trpc/x")).toEqual({ type: "continue", tenant: t });
  });

  it("trial over, past due or cancelled → billing page, but billing and sign-in stay reachable", () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const expired = { ...base, status: "trial" as const, trialEndsAt: "2026-05-31T00:00:00Z" };
    const running = { ...base, status: "trial" as const, trialEndsAt: "2026-06-30T00:00:00Z" };
    expect(routeRequest({ target: sub, tenant: expired }, "/", now)).toMatchObject({
      pathname: "/w/billing",
      status: 402,
    });
    expect(routeRequest({ target: sub, tenant: running }, "/", now)).toMatchObject({ pathname: "/w" });
    for (const status of ["past_due", "cancelled"] as const) {
      expect(routeRequest({ target: sub, tenant: { ...base, status } }, "/settings", now)).toMatchObject({
        pathname: "/w/billing",
      });
      expect(routeRequest({ target: sub, tenant: { ...base, status } }, "/billing", now)).toMatchObject({
        pathname: "/w/billing",
      });
      expect(routeRequest({ target: sub, tenant: { ...base, status } }, "/login", now)).toMatchObject({
        pathname: "/w/login",
      });
    }
  });

  it("the internal /w tree is never reachable directly", () => {
    expect(routeRequest({ target: { kind: "base" }, tenant: null }, "/w/billing")).toMatchObject({
      status: 404,
    });
    expect(routeRequest({ target: sub, tenant: { ...base, status: "active" } }, "/w")).toMatchObject({
      status: 404,
    });
  });
});

describe("GET /api/tenants/by-slug and by-domain", () => {
  const get = (fn: typeof getTenantBySlug, query: string) =>
    fn(resolver, new Request(`http://nchat.test/api/tenants/x?${query}`));

  it("returns only public fields", async () => {
    const res = await get(getTenantBySlug, `slug=${a.slug}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: a.id,
      slug: a.slug,
      name: a.name,
      status: "active",
      branding: {},
    });
  });

  it.each([
    ["unknown", "slug=no-such-tenant-here", 404, "TENANT_NOT_FOUND"],
    ["reserved", "slug=admin", 404, "TENANT_NOT_FOUND"],
    ["SQL-looking", `slug=${encodeURIComponent("x' or 1=1 --")}`, 404, "TENANT_NOT_FOUND"],
    ["missing", "", 400, "VALIDATION_FAILED"],
    ["overlong", `slug=${"a".repeat(300)}`, 400, "VALIDATION_FAILED"],
  ])("answers %s slugs with a typed JSON error", async (_why, query, status, code) => {
    const res = await get(getTenantBySlug, query);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { code, message: expect.any(String) } });
  });

  it("404s a deleted tenant", async () => {
    const t = (
      await service.createTenant(
        {
          name: "Gone",
          slug: uniqueSlug("gone"),
          ownerEmail: "o@x.test",
          ownerName: "O",
          ownerPassword: "0123456789ab",
        },
        SYSTEM,
      )
    ).tenant;
    await service.deleteTenant(t.id, SYSTEM);
    expect((await get(getTenantBySlug, `slug=${t.slug}`)).status).toBe(404);
  });

  it("resolves verified domains only", async () => {
    const domain = `chat.${b.slug}.example`;
    await db.admin`insert into public.tenant_domains (tenant_id, domain, verification_token) values (${b.id}, ${domain}, 't')`;
    expect((await get(getTenantByDomain, `domain=${domain}`)).status).toBe(404);
    await db.admin`update public.tenant_domains set status = 'verified' where domain = ${domain}`;
    await resolver.invalidate({ domains: [domain] });
    const res = await get(getTenantByDomain, `domain=${domain.toUpperCase()}.`);
    expect(await res.json()).toMatchObject({ id: b.id });
    expect((await get(getTenantByDomain, "domain=127.0.0.1")).status).toBe(400);
  });
});
