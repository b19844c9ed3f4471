import { uniqueSlug } from "@nchat/db/testing";
import { describe, expect, it } from "vitest";
import { LocalPubSub } from "../infra/pubsub";
import { createRedis } from "../infra/redis";
import { DEFAULT_KNOWN } from "./known-set";
import { TenantResolver } from "./resolver";
import { counting, create, manualClock, resolverKit, resolverWith } from "./test-kit";

/** One process's tenant resolution: the caches, the set of known names, Redis and its failure. */

const { db, redisUrl, namespace, cleanups } = resolverKit();

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
