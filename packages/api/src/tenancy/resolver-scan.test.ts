import { randomBytes } from "node:crypto";
import { createDatabase, type Database, migratePublic } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LocalPubSub } from "../infra/pubsub";
import { DEFAULT_KNOWN } from "./known-set";
import { TenantResolver } from "./resolver";
import { counting, manualClock, resolverKit } from "./test-kit";

/** Scans of random hosts against 10,000 tenants: what the set of known names bounds. */

const { cleanups } = resolverKit();

describe("TenantResolver: scans of random hosts (10,000 tenants, 1,000 custom domains)", () => {
  const TENANTS = 10_000;
  const DOMAINS = 1_000;
  const SCAN = 100_000;
  const cfg = { baseDomain: "nchat.test", multiTenant: true, defaultTenantSlug: "demo", customDomains: true };
  let big: Database;
  let drop: () => Promise<void>;
  const slugs: string[] = [];

  beforeAll(async () => {
    // A database of its own: 10,000 tenant rows (no schemas) would disturb the run's other tests.
    const scratch = await createScratchDatabase(inject("testDb").adminUrl, "known");
    drop = () => scratch.drop();
    big = createDatabase({ ...scratch, poolMax: 4 });
    await migratePublic(big);
    await big.admin`
      insert into public.tenants (name, slug, owner_email, owner_name, schema_name, db_role, limits)
      select 'Org ' || i, 'org' || i || '-' || substr(md5(i::text), 1, 6), 'o@x.test', 'O',
             'tenant_org' || i, 'role_org' || i, '{}'
      from generate_series(1, ${TENANTS}) i`;
    await big.admin`
      insert into public.tenant_domains (tenant_id, domain, verification_token, status, verified_at)
      select id, 'chat.' || slug || '.example', 't', 'verified', now()
      from public.tenants order by slug limit ${DOMAINS}`;
    for (const r of await big.admin<{ slug: string }[]>`select slug from public.tenants`) slugs.push(r.slug);
  }, 120_000);
  afterAll(async () => {
    await big?.close();
    await drop?.();
  });

  const randomHost = (i: number) =>
    i % 5 === 0
      ? `www.r${randomBytes(6).toString("hex")}.example.org`
      : `r${randomBytes(6).toString("hex")}.nchat.test`;

  it("reads the set at start in a few queries; a scan of 100,000 random hosts costs a bounded number of queries", async () => {
    const counted = counting(big);
    const r = await new TenantResolver({
      db: counted.db,
      pubsub: new LocalPubSub(),
      namespace: "scan",
    }).start();
    cleanups.push(() => r.stop());
    expect(r.knownLoad).toMatchObject({ names: TENANTS + DOMAINS, queries: 2 });
    expect(counted.queries).toBe(2);
    console.info(
      `known names: ${r.knownLoad!.names} read in ${r.knownLoad!.ms} ms, ${r.knownLoad!.queries} queries, ${r.knownLoad!.bytes} bytes`,
    );

    const started = performance.now();
    for (let i = 0; i < SCAN; i++) expect((await r.resolveHost(randomHost(i), cfg)).tenant).toBeNull();
    const elapsed = performance.now() - started;
    const scanQueries = counted.queries - 2;
    console.info(`scan of ${SCAN} random hosts: ${scanQueries} queries in ${Math.round(elapsed)} ms`);
    // Per kind of name (slugs, domains): a burst of refreshes, then one per interval — whatever the
    // number of names.
    const { refreshBurst, refreshMs } = DEFAULT_KNOWN;
    expect(scanQueries).toBeLessThanOrEqual(2 * (refreshBurst + Math.ceil(elapsed / refreshMs)));
    expect(r.stats).toMatchObject({ unknown: SCAN, database: 0, negative: 0 });

    // Real tenants still resolve (one query each, then cached: the scan filled no LRU entry).
    const before = counted.queries;
    for (const slug of slugs.slice(0, 50)) expect((await r.bySlug(slug))?.slug).toBe(slug);
    for (const slug of slugs.slice(0, 50)) expect((await r.bySlug(slug))?.slug).toBe(slug);
    const domain = (
      await big.admin<{ domain: string }[]>`select domain from public.tenant_domains limit 1`
    )[0]!.domain;
    expect((await r.resolveHost(domain, cfg)).tenant).not.toBeNull();
    expect(counted.queries - before).toBe(51);
  });

  it("a scan spread over 100 s costs a burst, then one query per kind of name and refresh interval, at most", async () => {
    const clock = manualClock();
    const counted = counting(big);
    const r = await new TenantResolver({
      db: counted.db,
      pubsub: new LocalPubSub(),
      namespace: "scan-slow",
      clock: clock.now,
    }).start();
    cleanups.push(() => r.stop());
    const loaded = counted.queries;
    // 100,000 hosts, one per millisecond: 100 s.
    for (let i = 0; i < SCAN; i++) {
      clock.advance(1);
      expect((await r.resolveHost(randomHost(i), cfg)).tenant).toBeNull();
    }
    const scanQueries = counted.queries - loaded;
    console.info(`scan of ${SCAN} random hosts over 100 s (simulated): ${scanQueries} queries`);
    expect(scanQueries).toBeLessThanOrEqual(
      2 * (DEFAULT_KNOWN.refreshBurst + SCAN / DEFAULT_KNOWN.refreshMs),
    );
    expect(r.stats.database).toBe(0);
  });

  it("without the set, the same scan costs one query per name", async () => {
    const counted = counting(big);
    const r = await new TenantResolver({
      db: counted.db,
      pubsub: new LocalPubSub(),
      namespace: "scan-off",
      known: false,
    }).start();
    cleanups.push(() => r.stop());
    for (let i = 0; i < 1_000; i++) await r.resolveHost(randomHost(i), cfg);
    expect(counted.queries).toBe(1_000);
  });
});
