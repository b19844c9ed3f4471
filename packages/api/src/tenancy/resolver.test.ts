import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createDatabase, type Database, migratePublic } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { testDatabase, testMasterKey, uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { LocalPubSub, PgPubSub, type PubSub, RedisPubSub } from "../infra/pubsub";
import { createRedis, redisReady } from "../infra/redis";
import { TenantService } from "../tenants/tenant-service";
import { DEFAULT_KNOWN, type ResolverStats, TenantResolver } from "./resolver";

const db = testDatabase();
const redisUrl = inject("redisUrl");
const namespace = inject("testDb").rolePrefix;
const tenants = new TenantService({ db, masterKey: testMasterKey });
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await db.close();
});

const create = async (slug = uniqueSlug("res")) =>
  (
    await tenants.createTenant(
      {
        name: `Name of ${slug}`,
        slug,
        ownerEmail: "o@x.test",
        ownerName: "O",
        ownerPassword: "0123456789ab",
      },
      SYSTEM,
    )
  ).tenant;

type ResolverOptions = ConstructorParameters<typeof TenantResolver>[0];

async function resolverWith(
  opts: {
    redis?: boolean;
    pubsub?: PubSub;
    db?: ResolverOptions["db"];
    known?: ResolverOptions["known"];
    clock?: () => number;
  } = {},
) {
  const redis = opts.redis && redisUrl ? createRedis(redisUrl) : null;
  if (redis) await redisReady(redis);
  const pubsub = opts.pubsub ?? new LocalPubSub();
  const r = await new TenantResolver({
    db: opts.db ?? db,
    redis,
    pubsub,
    namespace,
    known: opts.known,
    clock: opts.clock,
  }).start();
  cleanups.push(async () => {
    await r.stop();
    redis?.disconnect();
  });
  return r;
}

describe("TenantResolver without Redis", () => {
  it("reads the database once, then serves from the in-process cache", async () => {
    const t = await create();
    const r = await resolverWith();
    expect(await r.bySlug(t.slug)).toMatchObject({
      id: t.id,
      slug: t.slug,
      schemaName: t.schemaName,
      status: "active",
      plan: "free",
    });
    expect(await r.bySlug(t.slug)).toMatchObject({ id: t.id });
    expect(r.stats).toMatchObject({ database: 1, local: 1 });
  });

  it("returns only public routing fields — never owner, Stripe, limits or metadata", async () => {
    const t = await create();
    const resolved = await (await resolverWith()).bySlug(t.slug);
    expect(Object.keys(resolved!).sort()).toEqual(
      [
        "branding",
        "dbRole",
        "features",
        "id",
        "name",
        "plan",
        "rateLimits",
        "schemaName",
        "slug",
        "status",
        "trialEndsAt",
      ].sort(),
    );
  });

  it("answers unknown slugs from the set of known names, and a tenant created later is found after invalidation", async () => {
    const slug = uniqueSlug("later");
    const r = await resolverWith();
    for (let i = 0; i < 20; i++) expect(await r.bySlug(slug)).toBeNull();
    expect(r.stats).toMatchObject({ database: 0, negative: 0, unknown: 20 });
    await create(slug);
    await r.invalidate({ slug });
    expect((await r.bySlug(slug))?.slug).toBe(slug);
    expect(r.stats.database).toBe(1);
  });

  it("without the set of known names, caches unknown slugs negatively per name", async () => {
    const slug = uniqueSlug("later");
    const r = await resolverWith({ known: false });
    for (let i = 0; i < 20; i++) expect(await r.bySlug(slug)).toBeNull();
    expect(r.stats).toMatchObject({ database: 1, negative: 1, local: 19, unknown: 0, knownQueries: 0 });
    await create(slug);
    await r.invalidate({ slug });
    expect((await r.bySlug(slug))?.slug).toBe(slug);
  });

  it("single-tenant mode serves the default tenant on any host", async () => {
    const t = await create();
    const r = await resolverWith();
    const cfg = {
      baseDomain: "nchat.app",
      multiTenant: false,
      defaultTenantSlug: t.slug,
      customDomains: false,
    };
    for (const host of ["localhost:3000", "10.0.0.1", "other.nchat.app", "whatever.example.com", null]) {
      expect((await r.resolveHost(host, cfg)).tenant?.id).toBe(t.id);
    }
  });

  it("resolves verified custom domains only when custom domains are enabled", async () => {
    const t = await create();
    const domain = `chat.${t.slug}.example`;
    await db.admin`insert into public.tenant_domains (tenant_id, domain, verification_token, status) values (${t.id}, ${domain}, 'x', 'verified')`;
    const r = await resolverWith();
    const cfg = {
      baseDomain: "nchat.app",
      multiTenant: true,
      defaultTenantSlug: "demo",
      customDomains: true,
    };
    expect((await r.resolveHost(`${domain.toUpperCase()}:443`, cfg)).tenant?.id).toBe(t.id);
    expect((await r.resolveHost(domain, { ...cfg, customDomains: false })).tenant).toBeNull();
  });
});

/** `database` with every unit of work counted (the resolver's lookups and its reads of names). */
function counting(database: Database) {
  let queries = 0;
  const availability = new Proxy(database.availability, {
    get: (target, prop) =>
      prop === "run"
        ? (((work: Parameters<typeof target.run>[0]) => {
            queries++;
            return target.run(work);
          }) as typeof target.run)
        : Reflect.get(target, prop),
  });
  const db = new Proxy(database, {
    get: (target, prop) => (prop === "availability" ? availability : Reflect.get(target, prop)),
  });
  return {
    db,
    get queries() {
      return queries;
    },
  };
}

/** A clock the test moves. */
function manualClock() {
  let now = 0;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("TenantResolver: names created where no invalidation reaches", () => {
  it("a tenant created without an invalidation resolves at its first request, or after the refresh interval while a scan spends the refreshes", async () => {
    const clock = manualClock();
    const counted = counting(db);
    const r = await resolverWith({ db: counted.db, clock: clock.now });
    // Created as by another process whose invalidation is lost (or a script without pub/sub).
    const silent = async () => {
      const t = await create();
      const domain = `chat.${t.slug}.example`;
      await db.admin`insert into public.tenant_domains (tenant_id, domain, verification_token, status, verified_at) values (${t.id}, ${domain}, 'x', 'verified', now())`;
      return { t, domain };
    };
    const first = await silent();
    let before = counted.queries;
    expect((await r.bySlug(first.t.slug))?.id).toBe(first.t.id);
    expect((await r.byDomain(first.domain))?.id).toBe(first.t.id);
    expect(counted.queries - before).toBe(4); // per kind: the refresh, then the tenant

    // A scan spends the refreshes (a burst, then one per interval)...
    for (let i = 0; i < 100; i++) {
      expect(await r.bySlug(uniqueSlug("scan"))).toBeNull();
      expect(await r.byDomain(`${uniqueSlug("scan")}.example`)).toBeNull();
    }
    expect(r.stats.knownQueries).toBe(r.knownLoad!.queries + 2 * DEFAULT_KNOWN.refreshBurst);
    // ...so the next new tenant waits for the interval, with no query meanwhile.
    const second = await silent();
    before = counted.queries;
    expect(await r.bySlug(second.t.slug)).toBeNull();
    expect(await r.byDomain(second.domain)).toBeNull();
    expect(counted.queries - before).toBe(0);
    clock.advance(DEFAULT_KNOWN.refreshMs);
    expect((await r.bySlug(second.t.slug))?.id).toBe(second.t.id);
    expect((await r.byDomain(second.domain))?.id).toBe(second.t.id);
    expect(counted.queries - before).toBe(4);
  });

  it("a purged tenant stops resolving once invalidated; the next full read forgets its name", async () => {
    const t = await create();
    const clock = manualClock();
    const r = await resolverWith({ clock: clock.now });
    expect((await r.bySlug(t.slug))?.id).toBe(t.id);
    const size = r.knownSize!;
    await db.admin`delete from public.tenants where id = ${t.id}`;
    await r.invalidate({ slug: t.slug });
    expect(await r.bySlug(t.slug)).toBeNull();
    clock.advance(DEFAULT_KNOWN.reloadMs);
    await r.bySlug(t.slug); // starts the full read in the background
    await r.reloadKnown();
    expect(r.knownSize).toBe(size - 1);
    expect(await r.bySlug(t.slug)).toBeNull();
  });
});

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

describe.runIf(redisUrl)("TenantResolver with Redis", () => {
  it("serves a second process from Redis without touching the database", async () => {
    const t = await create();
    const a = await resolverWith({ redis: true });
    const b = await resolverWith({ redis: true });
    await a.bySlug(t.slug);
    await new Promise((r) => setTimeout(r, 50)); // the Redis write is fire-and-forget
    expect((await b.bySlug(t.slug))?.id).toBe(t.id);
    expect(a.stats.database).toBe(1);
    expect(b.stats).toMatchObject({ database: 0, remote: 1 });
    expect(await b.bySlug(t.slug)).not.toBeNull();
    expect(b.stats.local).toBe(1);
  });

  it("a cached entry that is not a tenant (another version wrote it, or it was tampered with) is read again from the database", async () => {
    const t = await create();
    const redis = createRedis(redisUrl!);
    cleanups.push(() => redis.disconnect());
    const r = await resolverWith({ redis: true });
    for (const garbage of ["{not json", JSON.stringify({ id: t.id, slug: t.slug, status: "superuser" })]) {
      await redis.set(`${namespace}:tenant:slug:${t.slug}`, garbage, "EX", 60);
      await r.invalidate({ slug: t.slug });
      await redis.set(`${namespace}:tenant:slug:${t.slug}`, garbage, "EX", 60);
      const before = r.stats.database;
      expect(await r.bySlug(t.slug)).toMatchObject({ id: t.id, status: "active" });
      expect(r.stats.database).toBe(before + 1);
    }
  });

  it("falls back to the database at once when Redis is unreachable", async () => {
    const t = await create();
    const dead = createRedis("redis://127.0.0.1:1");
    const r = new TenantResolver({ db, redis: dead, pubsub: new LocalPubSub(), namespace });
    const started = performance.now();
    expect((await r.bySlug(t.slug))?.id).toBe(t.id);
    expect(performance.now() - started).toBeLessThan(5_000); // a bound against hanging, not a benchmark
    expect(r.stats.database).toBe(1);
    dead.disconnect();
  });
});

const childScript = fileURLToPath(new URL("./resolver-child.ts", import.meta.url));

/** A resolver in another OS process, driven over stdin/stdout. */
async function childResolver(pubsub: "pg" | "redis", known?: { refreshMs?: number; refreshBurst?: number }) {
  const cfg = inject("testDb");
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--import", "tsx", childScript], {
    env: { ...process.env, RESOLVER_CHILD_CONFIG: JSON.stringify({ ...cfg, redisUrl, pubsub, known }) },
  });
  cleanups.push(() => void child.kill());
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
  expect(await next()).toEqual({ ready: true });
  let seq = 0;
  return {
    async resolve(slug: string) {
      child.stdin.write(`${++seq} ${slug}\n`);
      return (await next()) as { name: string | null; stats: ResolverStats };
    },
  };
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const PUBSUB_MODES: ["PostgreSQL LISTEN/NOTIFY" | "Redis pub/sub", "pg" | "redis"][] = [
  ["PostgreSQL LISTEN/NOTIFY", "pg"],
  ...(redisUrl ? [["Redis pub/sub", "redis"] as ["Redis pub/sub", "redis"]] : []),
];

describe.each(PUBSUB_MODES)("invalidation across processes via %s", (_name, mode) => {
  it("an update in this process is seen by the other process's cache", async () => {
    const t = await create();
    const publisher = mode === "redis" ? createRedis(redisUrl!) : null;
    if (publisher) await redisReady(publisher);
    const pubsub = publisher ? new RedisPubSub(publisher) : new PgPubSub(db);
    cleanups.push(() => publisher?.disconnect());
    cleanups.push(() => pubsub.close());
    const here = await resolverWith({ redis: mode === "redis", pubsub });
    const service = new TenantService({
      db,
      masterKey: testMasterKey,
      onTenantChanged: (c) => here.invalidate({ slug: c.slug }),
    });
    const other = await childResolver(mode);
    expect((await other.resolve(t.slug)).name).toBe(t.name);
    expect((await other.resolve(t.slug)).stats.local).toBe(1); // cached there (10-minute TTL)

    await service.updateTenant(t.id, { name: "Renamed Everywhere" }, { type: "super_admin", id: "sa" });
    const seen = await eventually(
      () => other.resolve(t.slug),
      (r) => r.name === "Renamed Everywhere",
    );
    expect(seen.name).toBe("Renamed Everywhere");

    await service.deleteTenant(t.id, { type: "super_admin", id: "sa" });
    const gone = await eventually(
      () => here.bySlug(t.slug),
      (r) => r?.status === "deleted",
    );
    expect(gone?.status).toBe("deleted");
  });

  it("a tenant created here resolves in the other process: at once when invalidated, within the refresh interval when not", async () => {
    const publisher = mode === "redis" ? createRedis(redisUrl!) : null;
    if (publisher) await redisReady(publisher);
    const pubsub = publisher ? new RedisPubSub(publisher) : new PgPubSub(db);
    cleanups.push(() => publisher?.disconnect());
    cleanups.push(() => pubsub.close());
    const here = await resolverWith({ redis: mode === "redis", pubsub });
    // One refresh per second, no burst: only the invalidation can make the first lookup succeed.
    const refreshMs = 1_000;
    const other = await childResolver(mode, { refreshMs, refreshBurst: 1 });
    const initial = (await other.resolve(uniqueSlug("none"))).stats; // spends the one refresh

    // Through the invalidation channel: the new slug joins the other process's set.
    const announced = await new TenantService({
      db,
      masterKey: testMasterKey,
      onTenantChanged: (c) => here.invalidate({ slug: c.slug }),
    }).createTenant(
      {
        name: "Announced",
        slug: uniqueSlug("ann"),
        ownerEmail: "o@x.test",
        ownerName: "O",
        ownerPassword: "0123456789ab",
      },
      SYSTEM,
    );
    const seen = await eventually(
      () => other.resolve(announced.tenant.slug),
      (r) => r.name === "Announced",
      refreshMs / 2, // well before a refresh could find it
    );
    expect(seen.name).toBe("Announced");
    expect(seen.stats.knownQueries).toBe(initial.knownQueries); // no refresh found it

    // Without any invalidation (lost, or created by a process without pub/sub).
    const silent = (await create()).slug;
    const started = Date.now();
    const found = await eventually(
      () => other.resolve(silent),
      (r) => r.name !== null,
      refreshMs + 3_000,
    );
    expect(found.name).toBe(`Name of ${silent}`);
    expect(Date.now() - started).toBeLessThan(refreshMs + 1_500);
    expect(found.stats.knownQueries).toBeGreaterThan(initial.knownQueries); // a refresh found it
  });
});
