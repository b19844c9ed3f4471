import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { tlsAsk } from "../rest/tls-ask";
import type { Services } from "../server";
import { TEST_BASE_DOMAIN, tenantWithOwner, testServices } from "../testing";
import type { DomainTenant } from "./domain-service";
import { DomainService } from "./domain-service";

/** TXT records the test publishes (name → value). */
const published = new Map<string, string>();
let services: Services;
let domains: DomainService;

beforeAll(async () => {
  services = await testServices({ ENABLE_CUSTOM_DOMAINS: "true" });
  domains = new DomainService({
    db: services.db,
    config: { enabled: true, allowlist: [], baseDomain: TEST_BASE_DOMAIN },
    resolveTxt: async (name) => {
      const value = published.get(name);
      if (!value) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: "ENOTFOUND" });
      return [[value]];
    },
    onTenantChanged: (t) => services.resolver.invalidate(t),
  });
});
afterAll(() => services.close());

const ask = async (domain: string | null, caller = "203.0.113.7") => {
  const url = new URL("http://127.0.0.1/api/tls/ask");
  if (domain !== null) url.searchParams.set("domain", domain);
  const res = await tlsAsk(services, new Request(url, { headers: { "x-nchat-client-address": caller } }));
  return { status: res.status, body: (await res.json()) as { allowed?: boolean; reason?: string } };
};

async function workspaceWithDomain(prefix: string, verified: boolean) {
  const { tenant } = await tenantWithOwner(services, uniqueSlug(prefix));
  const t: DomainTenant = { ...tenant, slug: tenant.slug };
  const name = `chat.${t.slug}.example`;
  const view = await domains.addDomain(t, name, SYSTEM);
  if (verified) {
    published.set(view.record.name, view.record.value);
    expect((await domains.verifyDomain(t, view.id, SYSTEM)).status).toBe("verified");
  }
  return { tenant: t, name, id: view.id };
}

describe("GET /api/tls/ask (the front server's on-demand TLS hook)", () => {
  it("allows a verified custom domain and a tenant's subdomain", async () => {
    const { tenant, name } = await workspaceWithDomain("tlsok", true);
    expect(await ask(name)).toEqual({ status: 200, body: { allowed: true } });
    expect(await ask(name.toUpperCase())).toEqual({ status: 200, body: { allowed: true } });
    expect(await ask(`${tenant.slug}.${TEST_BASE_DOMAIN}`)).toEqual({ status: 200, body: { allowed: true } });
  });

  it("refuses unknown and unverified names, the base domain, reserved names and addresses", async () => {
    const { name } = await workspaceWithDomain("tlspend", false);
    expect(await ask(name)).toEqual({ status: 403, body: { allowed: false, reason: "unknown" } });
    expect((await ask("nobody-has-this.example")).body.reason).toBe("unknown");
    expect((await ask(`no-such-tenant-${uniqueSlug("x")}.${TEST_BASE_DOMAIN}`)).body.reason).toBe("unknown");
    expect((await ask(TEST_BASE_DOMAIN)).body.reason).toBe("not_a_tenant");
    expect((await ask(`admin.${TEST_BASE_DOMAIN}`)).body.reason).toBe("not_a_tenant");
    expect((await ask("127.0.0.1")).body.reason).toBe("invalid");
    expect((await ask("bad..name")).body.reason).toBe("invalid");
    expect((await ask(null)).status).toBe(400);
  });

  it("refuses a suspended workspace's custom domain (its subdomain still shows the suspended page) and a deleted one's", async () => {
    const suspended = await workspaceWithDomain("tlssusp", true);
    await services.tenants.updateTenant(suspended.tenant.id, { status: "suspended" }, SYSTEM);
    expect(await ask(suspended.name)).toEqual({ status: 403, body: { allowed: false, reason: "suspended" } });
    expect((await ask(`${suspended.tenant.slug}.${TEST_BASE_DOMAIN}`)).status).toBe(200);

    const deleted = await workspaceWithDomain("tlsdel", true);
    await services.tenants.deleteTenant(deleted.tenant.id, SYSTEM);
    expect((await ask(deleted.name)).status).toBe(403);
    expect((await ask(`${deleted.tenant.slug}.${TEST_BASE_DOMAIN}`)).status).toBe(403);
  });

  it("stops allowing a domain once it is removed", async () => {
    const { tenant, name, id } = await workspaceWithDomain("tlsrm", true);
    expect((await ask(name)).status).toBe(200);
    await domains.removeDomain(tenant, id, SYSTEM);
    expect(await ask(name)).toEqual({ status: 403, body: { allowed: false, reason: "unknown" } });
  });

  it("limits how often one caller may ask", async () => {
    const caller = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 610; i++) statuses.push((await ask("nobody-has-this.example", caller)).status);
    expect(statuses.filter((s) => s === 403)).toHaveLength(600);
    expect(statuses.slice(600).every((s) => s === 429)).toBe(true);
    // Another caller is not affected.
    expect((await ask("nobody-has-this.example", "192.0.2.1")).status).toBe(403);
  });
});
