import { describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import {
  auditActions,
  BASE,
  changes,
  createTenant,
  db,
  domains,
  expectCode,
  Packet,
  publish,
  rcode,
  resolver,
  silent,
  uniqueDomain,
  unpublish,
  verifiedDomain,
} from "./test-kit";

/** Custom domains after they are added: verification through DNS, removal, the periodic recheck. */

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
    const { tenant, owner, domain, added } = await verifiedDomain();
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

describe("DomainService.removeDomain", () => {
  it("removes a verified domain, audited, and it stops resolving", async () => {
    const { tenant, owner, domain, added } = await verifiedDomain();
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
