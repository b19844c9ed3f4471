import type { AddressInfo } from "node:net";
import { testDatabase, testMasterKey, uniqueSlug } from "@nchat/db/testing";
import dns2 from "dns2";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Actor, SYSTEM } from "../audit/actor";
import { AppError } from "../errors";
import { LocalPubSub } from "../infra/pubsub";
import { createRedis, redisReady } from "../infra/redis";
import { TenantResolver } from "../tenancy/resolver";
import { TenantService } from "../tenants/tenant-service";
import {
  type CustomDomainConfig,
  DomainService,
  dnsTxtResolver,
  normalizeCustomDomain,
  verificationRecord,
} from "./domain-service";

const BASE = "nchat.test";
const db = testDatabase();
const redisUrl = inject("redisUrl");
const tenantService = new TenantService({ db, masterKey: testMasterKey });

/**
 * A DNS server on loopback answering TXT queries from `txt` (name → records, each record a list of
 * character-strings). Names in `rcode` answer with that response code; names in `silent` get no
 * answer at all. Anything else is NXDOMAIN.
 */
const txt = new Map<string, string[][]>();
const rcode = new Map<string, number>();
const silent = new Set<string>();
const { Packet } = dns2;
const dnsServer = dns2.createUDPServer((request, send) => {
  const response = Packet.createResponseFromRequest(request);
  const question = request.questions[0];
  const name = question?.name.toLowerCase() ?? "";
  if (silent.has(name)) return;
  const records = txt.get(name);
  if (rcode.has(name)) response.header.rcode = rcode.get(name)!;
  else if (!records) response.header.rcode = Packet.RCODE.NXDOMAIN;
  else if (question?.type === Packet.TYPE.TXT)
    for (const data of records)
      response.answers.push(
        new Packet.Resource({
          name: question.name,
          type: Packet.TYPE.TXT,
          class: Packet.CLASS.IN,
          ttl: 1,
          data,
        }),
      );
  void send(response);
});

let resolveTxt: ReturnType<typeof dnsTxtResolver>;
let resolver: TenantResolver;
const redis = redisUrl ? createRedis(redisUrl) : null;
const changes: { id: string; slug: string; domains: string[] }[] = [];

beforeAll(async () => {
  await dnsServer.listen(0, "127.0.0.1");
  const { port } = dnsServer.address() as AddressInfo;
  resolveTxt = dnsTxtResolver([`127.0.0.1:${port}`], { timeoutMs: 300, tries: 1 });
  if (redis) await redisReady(redis);
  resolver = await new TenantResolver({
    db,
    redis,
    pubsub: new LocalPubSub(),
    namespace: `${inject("testDb").rolePrefix}_domains`,
  }).start();
});

afterAll(async () => {
  await resolver.stop();
  redis?.disconnect();
  await new Promise<void>((resolve) => dnsServer.close(() => resolve()));
  await db.close();
});

function service(config: Partial<CustomDomainConfig> = {}) {
  return new DomainService({
    db,
    config: { enabled: true, allowlist: [], baseDomain: BASE, ...config },
    resolveTxt: (name) => resolveTxt(name),
    onTenantChanged: async (t) => {
      changes.push(t);
      await resolver.invalidate(t);
    },
  });
}
const domains = service();

async function createTenant() {
  const { tenant, ownerId } = await tenantService.createTenant(
    {
      name: "Domain Co",
      slug: uniqueSlug("dom"),
      ownerEmail: "o@x.test",
      ownerName: "O",
      ownerPassword: "0123456789ab",
    },
    SYSTEM,
  );
  const owner: Actor = { type: "user", id: ownerId, role: "owner" };
  return { tenant, owner };
}

/** A domain no other test (or test run sharing the DNS names) uses. */
const uniqueDomain = (sub = "chat") => `${sub}.${uniqueSlug("acme")}.example.com`;

function publish(domain: string, ...records: string[][]) {
  txt.set(`_nchat-verify.${domain}`, records);
}
function unpublish(domain: string) {
  txt.delete(`_nchat-verify.${domain}`);
}

async function expectCode(p: Promise<unknown>, code: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

async function storedFor(tenantId: string) {
  return db.admin`select domain, status, last_error from public.tenant_domains where tenant_id = ${tenantId}`;
}

async function auditActions(tenantId: string) {
  const rows = await db.admin`
    select action, actor_type, actor_id, resource_type, resource_id, before, after from public.tenant_audit_logs
    where tenant_id = ${tenantId} and resource_type = 'domain' order by id`;
  return rows;
}

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

describe("DomainService.verifyDomain", () => {
  it("stays pending until the TXT record is published, then verifies and starts resolving", async () => {
    const { tenant, owner } = await createTenant();
    const domain = uniqueDomain();
    const added = await domains.addDomain(tenant, domain, owner);
    const unverified = await domains.addDomain(tenant, uniqueDomain("www"), owner);
    expect(await resolver.byDomain(domain)).toBeNull(); // cached as unknown from now on

    const before = await domains.verifyDomain(tenant, added.id, owner);
    expect(before).toMatchObject({
      status: "pending",
      verifiedAt: null,
      lastCheckedAt: expect.any(Date),
      lastError: `TXT record _nchat-verify.${domain} not found`,
    });
    expect(await resolver.byDomain(domain)).toBeNull();

    // Several TXT records at the name, ours split into character-strings.
    const value = added.record.value;
    publish(domain, ["v=spf1 -all"], [value.slice(0, 10), value.slice(10)]);
    const changesBefore = changes.length;
    const verified = await domains.verifyDomain(tenant, added.id, owner);
    expect(verified).toMatchObject({ status: "verified", verifiedAt: expect.any(Date), lastError: null });
    expect(changes.slice(changesBefore)).toEqual([
      { id: tenant.id, slug: tenant.slug, domains: expect.arrayContaining([domain, unverified.domain]) },
    ]);
    expect(await resolver.byDomain(domain)).toMatchObject({ id: tenant.id, slug: tenant.slug });
    expect(
      (
        await resolver.resolveHost(`${domain.toUpperCase()}:443`, {
          baseDomain: BASE,
          multiTenant: true,
          defaultTenantSlug: "demo",
          customDomains: true,
        })
      ).tenant?.id,
    ).toBe(tenant.id);

    // The other domain was never verified and never resolves.
    expect(await resolver.byDomain(unverified.domain)).toBeNull();
    expect((await domains.listDomains(tenant)).map((d) => [d.domain, d.status])).toEqual([
      [unverified.domain, "pending"],
      [domain, "verified"],
    ]);
    expect((await auditActions(tenant.id)).map((a) => a.action)).toEqual([
      "domain.add",
      "domain.add",
      "domain.verify_failed",
      "domain.verify",
    ]);
  });

  it("does not verify a record with another value", async () => {
    const { tenant, owner } = await createTenant();
    const domain = uniqueDomain();
    const added = await domains.addDomain(tenant, domain, owner);
    const other = await domains.addDomain(tenant, uniqueDomain("www"), owner);
    publish(domain, [other.record.value], ["nchat-verify="], [`${added.record.value}x`]);
    const result = await domains.verifyDomain(tenant, added.id, owner);
    expect(result).toMatchObject({
      status: "pending",
      verifiedAt: null,
      lastError: "TXT record found but the value does not match",
    });
    expect(await resolver.byDomain(domain)).toBeNull();
  });

  it("turns DNS failures (SERVFAIL, timeout) into lastError, not exceptions", async () => {
    const { tenant, owner } = await createTenant();
    const broken = await domains.addDomain(tenant, uniqueDomain(), owner);
    rcode.set(broken.record.name, Packet.RCODE.SERVFAIL);
    expect(await domains.verifyDomain(tenant, broken.id, owner)).toMatchObject({
      status: "pending",
      lastError: `DNS lookup of ${broken.record.name} failed (ESERVFAIL)`,
      lastCheckedAt: expect.any(Date),
    });
    const slow = await domains.addDomain(tenant, uniqueDomain("slow"), owner);
    silent.add(slow.record.name);
    expect(await domains.verifyDomain(tenant, slow.id, owner)).toMatchObject({
      status: "pending",
      lastError: `DNS lookup of ${slow.record.name} failed (ETIMEOUT)`,
    });
  });

  it("marks a domain verified before as failed when its record is gone", async () => {
    const { tenant, owner } = await createTenant();
    const domain = uniqueDomain();
    const added = await domains.addDomain(tenant, domain, owner);
    publish(domain, [added.record.value]);
    await domains.verifyDomain(tenant, added.id, owner);
    expect((await resolver.byDomain(domain))?.id).toBe(tenant.id);
    unpublish(domain);
    const failed = await domains.verifyDomain(tenant, added.id, owner);
    expect(failed).toMatchObject({
      status: "failed",
      verifiedAt: expect.any(Date),
      lastError: `TXT record _nchat-verify.${domain} not found`,
    });
    expect(await resolver.byDomain(domain)).toBeNull();
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

describe("DomainService.removeDomain", () => {
  it("removes a verified domain, audited, and it stops resolving", async () => {
    const { tenant, owner } = await createTenant();
    const domain = uniqueDomain();
    const added = await domains.addDomain(tenant, domain, owner);
    publish(domain, [added.record.value]);
    await domains.verifyDomain(tenant, added.id, owner);
    expect((await resolver.byDomain(domain))?.id).toBe(tenant.id);

    await domains.removeDomain(tenant, added.id, owner);
    expect(await domains.listDomains(tenant)).toEqual([]);
    expect(await resolver.byDomain(domain)).toBeNull();
    expect(changes.at(-1)).toEqual({ id: tenant.id, slug: tenant.slug, domains: [domain] });
    await expectCode(domains.removeDomain(tenant, added.id, owner), "NOT_FOUND");
    const audit = await auditActions(tenant.id);
    expect(audit.map((r) => r.action)).toEqual(["domain.add", "domain.verify", "domain.remove"]);
    expect(audit[2]).toMatchObject({
      actor_id: owner.id,
      resource_id: added.id,
      before: { domain, status: "verified" },
      after: null,
    });
    // Once removed, another workspace may connect it.
    const other = await createTenant();
    expect((await domains.addDomain(other.tenant, domain, other.owner)).domain).toBe(domain);
  });
});

describe("DomainService.recheckAll", () => {
  it("flags verified domains whose record disappeared or changed, keeps the others", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const kept = await domains.addDomain(a.tenant, uniqueDomain("kept"), a.owner);
    const gone = await domains.addDomain(a.tenant, uniqueDomain("gone"), a.owner);
    const changed = await domains.addDomain(b.tenant, uniqueDomain("changed"), b.owner);
    const flaky = await domains.addDomain(b.tenant, uniqueDomain("flaky"), b.owner);
    const pending = await domains.addDomain(b.tenant, uniqueDomain("pending"), b.owner);
    for (const d of [kept, gone, changed, flaky]) {
      publish(d.domain, [d.record.value]);
      expect(
        (await domains.verifyDomain(d === kept || d === gone ? a.tenant : b.tenant, d.id, SYSTEM)).status,
      ).toBe("verified");
      expect(await resolver.byDomain(d.domain)).not.toBeNull();
    }
    unpublish(gone.domain);
    publish(changed.domain, ["nchat-verify=someone-else"]);
    rcode.set(flaky.record.name, Packet.RCODE.SERVFAIL);

    const result = await domains.recheckAll({ concurrency: 2, tenantIds: [a.tenant.id, b.tenant.id] });
    expect(result).toMatchObject({ checked: 4, stillVerified: 1, inconclusive: [flaky.domain] });
    expect([...result.lost].sort()).toEqual([changed.domain, gone.domain].sort());

    const statuses = Object.fromEntries(
      [...(await domains.listDomains(a.tenant)), ...(await domains.listDomains(b.tenant))].map((d) => [
        d.domain,
        d,
      ]),
    );
    expect(statuses[kept.domain]).toMatchObject({ status: "verified", lastError: null });
    expect(statuses[gone.domain]).toMatchObject({
      status: "failed",
      lastError: `TXT record ${gone.record.name} not found`,
    });
    expect(statuses[changed.domain]).toMatchObject({
      status: "failed",
      lastError: "TXT record found but the value does not match",
    });
    expect(statuses[flaky.domain]).toMatchObject({
      status: "verified",
      lastError: expect.stringMatching(/ESERVFAIL/),
    });
    expect(statuses[pending.domain]).toMatchObject({ status: "pending", lastCheckedAt: null });
    for (const d of [kept, gone, changed, flaky])
      expect(statuses[d.domain]!.lastCheckedAt!.getTime()).toBeGreaterThan(
        statuses[d.domain]!.verifiedAt!.getTime(),
      );

    // The caches were told: lost domains stop resolving, the others go on.
    expect((await resolver.byDomain(kept.domain))?.id).toBe(a.tenant.id);
    expect((await resolver.byDomain(flaky.domain))?.id).toBe(b.tenant.id);
    expect(await resolver.byDomain(gone.domain)).toBeNull();
    expect(await resolver.byDomain(changed.domain)).toBeNull();

    const [lostAudit] = await db.admin`
      select actor_type, actor_id, tenant_id, resource_id, before, after from public.tenant_audit_logs
      where action = 'domain.verification_lost' and resource_id = ${gone.id}`;
    expect(lostAudit).toMatchObject({
      actor_type: "system",
      actor_id: null,
      tenant_id: a.tenant.id,
      before: { domain: gone.domain, status: "verified" },
      after: { domain: gone.domain, status: "failed" },
    });
    const [n] = await db.admin`
      select count(*)::int as n from public.tenant_audit_logs
      where action = 'domain.verification_lost' and tenant_id in ${db.admin([a.tenant.id, b.tenant.id])}`;
    expect(n!.n).toBe(2);

    // A second run finds only what is still verified.
    rcode.delete(flaky.record.name);
    expect(await domains.recheckAll({ tenantIds: [a.tenant.id, b.tenant.id] })).toEqual({
      checked: 2,
      stillVerified: 2,
      lost: [],
      inconclusive: [],
    });
  });
});
