import { uniqueSlug } from "@nchat/db/testing";
import { describe, expect, it } from "vitest";
import { normalizeCustomDomain, verificationRecord } from "./domain-service";
import {
  auditActions,
  BASE,
  createTenant,
  db,
  domains,
  expectCode,
  publish,
  resolver,
  service,
  storedFor,
  uniqueDomain,
} from "./test-kit";

/** Custom domains: the TXT record, adding a domain (claims, races, who may), tenant isolation. */

describe("verificationRecord and normalizeCustomDomain", () => {
  it("builds the TXT record under _nchat-verify", () => {
    expect(verificationRecord("chat.acme.com", "tok")).toEqual({
      type: "TXT",
      name: "_nchat-verify.chat.acme.com",
      value: "nchat-verify=tok",
    });
  });

  it.each([
    ["Chat.Acme.COM.", "chat.acme.com"],
    ["  chat.acme.com ", "chat.acme.com"],
    ["bücher.example", "xn--bcher-kva.example"],
    [`evil${BASE}`, `evil${BASE}`],
    [`${BASE}.evil.com`, `${BASE}.evil.com`],
  ])("normalises %j to %j", (raw, domain) => {
    expect(normalizeCustomDomain(raw, BASE)).toEqual({ domain });
  });
});

describe("DomainService.addDomain", () => {
  it("stores a pending domain and returns the TXT record to publish, audited", async () => {
    const { tenant, owner } = await createTenant();
    const domain = uniqueDomain();
    const added = await domains.addDomain(tenant, `  ${domain.toUpperCase()}. `, owner);
    expect(added).toMatchObject({
      id: expect.any(String),
      domain,
      status: "pending",
      verifiedAt: null,
      lastCheckedAt: null,
      lastError: null,
      record: { type: "TXT", name: `_nchat-verify.${domain}` },
    });
    expect(added.record.value).toMatch(/^nchat-verify=[A-Za-z0-9_-]{22}$/);
    const [row] =
      await db.admin`select tenant_id, verification_token from public.tenant_domains where id = ${added.id}`;
    expect(row!.tenant_id).toBe(tenant.id);
    expect(added.record.value).toBe(`nchat-verify=${row!.verification_token}`);
    expect(await auditActions(tenant.id)).toEqual([
      expect.objectContaining({
        action: "domain.add",
        actor_type: "user",
        actor_id: owner.id,
        resource_id: added.id,
        before: null,
        after: { domain },
      }),
    ]);
    // Another domain gets another token.
    const other = await domains.addDomain(tenant, uniqueDomain("www"), owner);
    expect(other.record.value).not.toBe(added.record.value);
    expect((await domains.listDomains(tenant)).map((d) => d.id)).toEqual([other.id, added.id]);
  });

  it("stores IDNs as punycode", async () => {
    const { tenant, owner } = await createTenant();
    const label = uniqueSlug("b");
    const added = await domains.addDomain(tenant, `Bücher.${label}.example`, owner);
    expect(added.domain).toBe(`xn--bcher-kva.${label}.example`);
    expect(added.record.name).toBe(`_nchat-verify.xn--bcher-kva.${label}.example`);
  });

  it("refuses with FORBIDDEN when custom domains are disabled, storing nothing", async () => {
    const { tenant, owner } = await createTenant();
    const err = await expectCode(
      service({ enabled: false }).addDomain(tenant, uniqueDomain(), owner),
      "FORBIDDEN",
    );
    // The error says what the operator must do, with a stable reason.
    expect(err.message).toBe(
      "Custom domains are turned off on this platform, whatever the plan. The platform operator must set ENABLE_CUSTOM_DOMAINS=true and restart the app servers.",
    );
    expect(err.details).toEqual({
      reason: "platform_disabled",
      feature: "customDomains",
      setting: "ENABLE_CUSTOM_DOMAINS",
    });
    expect(await storedFor(tenant.id)).toHaveLength(0);
  });

  it("accepts only allowlisted domains when an allowlist is set", async () => {
    const { tenant, owner } = await createTenant();
    const allowed = uniqueDomain();
    const restricted = service({ allowlist: [`${allowed.toUpperCase()}.`] });
    const err = await expectCode(restricted.addDomain(tenant, uniqueDomain(), owner), "FORBIDDEN");
    expect(err.message).toBe("This domain is not on the platform's allowlist.");
    expect((await restricted.addDomain(tenant, allowed, owner)).domain).toBe(allowed);
    expect((await storedFor(tenant.id)).map((r) => r.domain)).toEqual([allowed]);
  });

  it.each([
    ["an IPv4 address", "192.0.2.10"],
    ["an IPv6 address", "[2001:db8::1]"],
    ["a single label", "localhost"],
    ["a single label with a trailing dot", "intranet."],
    ["a .localhost name", "chat.localhost"],
    ["the base domain", BASE],
    ["a workspace address", `acme.${BASE}`],
    ["a nested platform address", `chat.acme.${BASE}`],
    ["a 300-character name", `${`${"a".repeat(49)}.`.repeat(5)}${"b".repeat(46)}.com`],
    ["a name too long for its verification record", `${`${"a".repeat(59)}.`.repeat(4)}example.com`],
    ["an empty label", "a..b.com"],
    ["a leading hyphen", "-chat.acme.com"],
    ["an underscore", "chat_1.acme.com"],
    ["a wildcard", "*.acme.com"],
    ["a port", "chat.acme.com:8443"],
    ["a URL", "https://chat.acme.com/"],
    ["a numeric top-level label", "1.2.3"],
    ["SQL", "x'; drop table tenant_domains; --"],
    ["SQL without spaces", "a.com';delete/**/from/**/tenant_domains;--"],
    ["nothing", "   "],
    ["not a string", 42],
  ])("refuses %s with VALIDATION_FAILED and stores nothing", async (_why, raw) => {
    const { tenant, owner } = await createTenant();
    const err = await expectCode(domains.addDomain(tenant, raw as string, owner), "VALIDATION_FAILED");
    expect(err.status).toBe(400);
    expect(err.message.length).toBeGreaterThan(10);
    expect(err.details?.fields).toEqual([{ path: "domain", message: err.message }]);
    expect(await storedFor(tenant.id)).toHaveLength(0);
    expect(await auditActions(tenant.id)).toHaveLength(0);
  });

  it("explains what is wrong", async () => {
    const { tenant, owner } = await createTenant();
    const message = async (raw: string) =>
      (await expectCode(domains.addDomain(tenant, raw, owner), "VALIDATION_FAILED")).message;
    expect(await message("192.0.2.10")).toMatch(/not an IP address/);
    expect(await message("localhost")).toMatch(/full domain name/);
    expect(await message(`acme.${BASE}`)).toMatch(/belong to the platform/);
    expect(await message("a".repeat(300))).toMatch(/at most 253 characters/);
  });

  it("lets an unverified claim block nobody: the workspace that proves control owns the domain", async () => {
    const squatter = await createTenant();
    const owner = await createTenant();
    const domain = uniqueDomain();
    // The squatter claims first and can never publish the TXT record of the real owner's claim.
    const squat = await domains.addDomain(squatter.tenant, domain, squatter.owner);
    const real = await domains.addDomain(owner.tenant, domain.toUpperCase(), owner.owner);
    expect(real.domain).toBe(domain);
    expect(real.record.value).not.toBe(squat.record.value);
    publish(domain, [real.record.value]);
    expect(await domains.verifyDomain(owner.tenant, real.id, owner.owner)).toMatchObject({
      status: "verified",
    });
    expect(await resolver.byDomain(domain)).toMatchObject({ id: owner.tenant.id });
    // The squatter's claim stays pending (its token is not published).
    expect(await domains.verifyDomain(squatter.tenant, squat.id, squatter.owner)).toMatchObject({
      status: "pending",
    });

    // Even with its own token published too, a second workspace cannot take a verified domain.
    publish(domain, [real.record.value], [squat.record.value]);
    const err = await expectCode(domains.verifyDomain(squatter.tenant, squat.id, squatter.owner), "CONFLICT");
    expect(err.status).toBe(409);
    expect(err.message).toBe("Another workspace has already verified this domain.");
    expect(await resolver.byDomain(domain)).toMatchObject({ id: owner.tenant.id });
    const [claim] = await storedFor(squatter.tenant.id);
    expect(claim).toMatchObject({ status: "pending" });
  });

  it("verifies one of two racing workspaces that both publish their records, never both", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const domain = uniqueDomain();
    const ca = await domains.addDomain(a.tenant, domain, a.owner);
    const cb = await domains.addDomain(b.tenant, domain, b.owner);
    publish(domain, [ca.record.value], [cb.record.value]);
    const results = await Promise.allSettled([
      domains.verifyDomain(a.tenant, ca.id, a.owner),
      domains.verifyDomain(b.tenant, cb.id, b.owner),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({
      code: "CONFLICT",
    });
    const [n] = await db.admin`
      select count(*)::int as n from public.tenant_domains where domain = ${domain} and status = 'verified'`;
    expect(n!.n).toBe(1);
  });

  it("answers CONFLICT when the workspace already added the domain", async () => {
    const { tenant, owner } = await createTenant();
    const domain = uniqueDomain();
    await domains.addDomain(tenant, domain, owner);
    const err = await expectCode(domains.addDomain(tenant, domain.toUpperCase(), owner), "CONFLICT");
    expect(err.status).toBe(409);
    expect(err.message).toBe("This domain is already added to this workspace.");
    expect(await storedFor(tenant.id)).toHaveLength(1);
  });

  it("lets owners and admins manage domains, not members", async () => {
    const { tenant, owner } = await createTenant();
    await expectCode(
      domains.addDomain(tenant, uniqueDomain(), { type: "user", id: owner.id, role: "member" }),
      "FORBIDDEN",
    );
    const added = await domains.addDomain(tenant, uniqueDomain(), {
      type: "user",
      id: owner.id,
      role: "admin",
    });
    await expectCode(
      domains.removeDomain(tenant, added.id, { type: "user", id: owner.id, role: "guest" }),
      "FORBIDDEN",
    );
    expect(await storedFor(tenant.id)).toHaveLength(1);
  });
});

describe("DomainService tenant isolation", () => {
  it("hides a tenant's domains from every other tenant: list, verify and remove see nothing", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const domain = uniqueDomain();
    const added = await domains.addDomain(a.tenant, domain, a.owner);
    publish(domain, [added.record.value]);

    expect(await domains.listDomains(b.tenant)).toEqual([]);
    await expectCode(domains.verifyDomain(b.tenant, added.id, b.owner), "NOT_FOUND");
    await expectCode(domains.removeDomain(b.tenant, added.id, b.owner), "NOT_FOUND");
    // A's id with B's role: the database agrees with neither.
    await expectCode(
      domains.verifyDomain({ ...b.tenant, id: a.tenant.id, slug: a.tenant.slug }, added.id, b.owner),
      "NOT_FOUND",
    );
    for (const bad of ["not-a-uuid", "", "00000000-0000-4000-8000-000000000000", "' or 1=1 --"]) {
      await expectCode(domains.verifyDomain(a.tenant, bad, a.owner), "NOT_FOUND");
      await expectCode(domains.removeDomain(a.tenant, bad, a.owner), "NOT_FOUND");
    }

    expect(await domains.listDomains(a.tenant)).toEqual([
      expect.objectContaining({ id: added.id, status: "pending", lastCheckedAt: null }),
    ]);
    expect(await auditActions(b.tenant.id)).toEqual([]);
    expect((await auditActions(a.tenant.id)).map((r) => r.action)).toEqual(["domain.add"]);
  });
});
