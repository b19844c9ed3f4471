import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { testDatabase, testMasterKey, uniqueSlug } from "@nchat/db/testing";
import { afterAll, describe, expect, inject, it } from "vitest";
import { LocalPubSub, PgPubSub, type PubSub, RedisPubSub } from "../infra/pubsub";
import { createRedis, redisReady } from "../infra/redis";
import { SYSTEM } from "../services/actor";
import { TenantService } from "../services/tenant-service";
import { TenantResolver } from "./resolver";

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

async function resolverWith(opts: { redis?: boolean; pubsub?: PubSub } = {}) {
  const redis = opts.redis && redisUrl ? createRedis(redisUrl) : null;
  if (redis) await redisReady(redis);
  const pubsub = opts.pubsub ?? new LocalPubSub();
  const r = await new TenantResolver({ db, redis, pubsub, namespace }).start();
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

  it("caches unknown slugs negatively, and a tenant created later is found after invalidation", async () => {
    const slug = uniqueSlug("later");
    const r = await resolverWith();
    for (let i = 0; i < 20; i++) expect(await r.bySlug(slug)).toBeNull();
    expect(r.stats).toMatchObject({ database: 1, negative: 1, local: 19 });
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
async function childResolver(pubsub: "pg" | "redis") {
  const cfg = inject("testDb");
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--import", "tsx", childScript], {
    env: { ...process.env, RESOLVER_CHILD_CONFIG: JSON.stringify({ ...cfg, redisUrl, pubsub }) },
  });
  cleanups.push(() => void child.kill());
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
  expect(await next()).toEqual({ ready: true });
  let seq = 0;
  return {
    async resolve(slug: string) {
      child.stdin.write(`${++seq} ${slug}\n`);
      return (await next()) as { name: string | null; stats: Record<string, number> };
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
    const pubsub = publisher ? new RedisPubSub(publisher) : new PgPubSub(db.app);
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
});
