// A representative request mix over 10 tenants vs over many tenants, the backends it needs and the
// memory they hold afterwards (per-connection catalog caches grow with the tenant schemas touched),
// for the two ways tenant work can reach PostgreSQL, side by side on the same tenants:
// - "shared login": one login role that is a member of every tenant role and switches to the
//   tenant's role in each transaction (this platform's design until tenant roles logged in
//   themselves — one SQL injection could switch to any tenant);
// - "tenant logins": each tenant's work logs in as its own role, in small per-tenant pools with an
//   LRU (the product's design; no SQL can leave the tenant).
// Each at its own default connection budget: the shared login's one pool of 10 (the former
// DATABASE_POOL_MAX), the tenant logins' 20 connections in pools of 2 (DATABASE_POOL_MAX,
// DATABASE_TENANT_POOL_MAX). --pool sets the tenant logins' budget.
//   pnpm bench:scale [--tenants 2000] [--requests 2000] [--concurrency 8] [--pool 20] [--keep] [--reuse <db>]
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { appRouter, createContext, createServices, type Services } from "@nchat/api";
import {
  connect,
  createDatabase,
  type Database,
  migrateAllTenants,
  migratePublic,
  type PublicDb,
  provisionTenant,
  publicDb,
  type Sql,
  withCredentials,
} from "@nchat/db";
import { createScratchDatabase, type ScratchDatabase } from "@nchat/db/scratch";
import { provisionInput, testMasterKey } from "@nchat/db/testing";
import { sql } from "drizzle-orm";
import { benchEnv } from "./lib/fixture";
import { bytes, ms, percentile, printTable, type Row } from "./lib/stats";

type T = { slug: string; cookie: string; channelId: string };

const UNLIMITED = { users: -1, channels: -1, storageGb: -1, apiCallsPerMonth: -1, maxUploadMb: 10 };

type Design = "shared login" | "tenant logins";
/** application_name of the backends of tenant work, per design (and the app role's own pool). */
const BACKENDS: Record<Design, string[]> = {
  "shared login": ["nchat-shared-login", "nchat-app"],
  "tenant logins": ["nchat-tenant", "nchat-app"],
};

/** What one variant (one design, on fresh backends) measured. */
type Variant = {
  label: string;
  few: number[];
  cold: number[];
  warm: number[];
  /** Requests per second of the warm pass. */
  warmRate: number;
  /** RssAnon of each backend of tenant work after both passes (empty when PostgreSQL is elsewhere). */
  rss: number[];
  backends: number;
  /** Tenant pools opened over the run (tenant logins: a login per pool opened). */
  poolsOpened: number | null;
};

export async function benchScale(opts: {
  tenants: number;
  requests: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** DATABASE_POOL_MAX of the tenant logins (default 20, in pools of 2); the shared login has 10. */
  pool?: number;
  /**
   * The database of an earlier run kept with `keep` (on DATABASE_URL's server): its tenants are used
   * instead of provisioning new ones (10,000 take ~20 min here).
   */
  reuse?: string;
  /** Keep the database afterwards (for `reuse`). */
  keep?: boolean;
  log?: (s: string) => void;
}): Promise<Row[]> {
  const log = opts.log ?? (() => {});
  const concurrency = opts.concurrency ?? 8;
  const pool = opts.pool ?? 20;
  const sharedPool = 10;
  const scratch = opts.reuse
    ? await keptDatabase(opts.reuse)
    : await createScratchDatabase(process.env.DATABASE_URL, "bench");
  const setup = createDatabase({ ...scratch, poolMax: 4 });
  try {
    // (On a kept database this also gives every tenant role the password of this run.)
    await migratePublic(setup);
    if (opts.reuse) {
      log("kept database: pending tenant migrations");
      await migrateAllTenants(setup, { concurrency: 4 });
    }
    const ids = opts.reuse
      ? await provisioned(setup, opts.tenants)
      : await provision(setup, opts.tenants, log);

    // Sessions, on a throwaway instance.
    log("creating sessions");
    const tenants: T[] = [];
    const first = await servicesFor(scratch, pool);
    try {
      await drive(ids, concurrency, async (t) => {
        const { token } = await first.auth.createSession(t, t.ownerId, { ip: null, userAgent: "bench" });
        const [general] = await setup.admin<
          { id: string }[]
        >`select id from ${setup.admin(t.schemaName)}.channels where is_default limit 1`;
        tenants.push({ slug: t.slug, cookie: `nchat_session=${token}`, channelId: general!.id });
      });
    } finally {
      await first.close();
    }
    tenants.sort((a, b) => a.slug.localeCompare(b.slug));
    await backendsGone(setup);

    // Both designs at once, on fresh backends, each request of a pass run on both (alternating which
    // goes first), so both see the same machine load, shared buffers and page cache.
    const shared = await servicesFor(scratch, pool);
    const own = await servicesFor(scratch, pool);
    const restore = await useSharedLogin(shared, setup, scratch, sharedPool);
    try {
      const variants = await measureSideBySide([shared, own], setup, tenants, {
        ...opts,
        concurrency,
        labels: [`shared login, 1 pool × ${sharedPool}`, `tenant logins, ${pool / 2} pools × 2`],
        log,
      });
      return rows(variants, { tenants: tenants.length, concurrency });
    } finally {
      await restore();
      await Promise.all([shared.close(), own.close()]);
    }
  } finally {
    await setup.close();
    if (opts.keep) log(`kept database ${new URL(scratch.adminUrl).pathname.slice(1)} (--reuse it)`);
    else await scratch.drop();
  }
}

type Provisioned = { id: string; schemaName: string; dbRole: string; slug: string; ownerId: string };

async function provision(db: Database, n: number, log: (s: string) => void): Promise<Provisioned[]> {
  log(`provisioning ${n} tenants`);
  const started = performance.now();
  const ids: Provisioned[] = [];
  await drive(
    Array.from({ length: n }, (_, i) => i),
    4,
    async (i) => {
      const { tenant, ownerId } = await provisionTenant(
        db,
        provisionInput(`scale-${i.toString(36).padStart(4, "0")}`, {
          plan: "custom",
          // Request limits sized for the run: the limiter still runs on every call.
          limits: { ...UNLIMITED, requestsPerMinute: 10_000_000, requestsPerHour: 100_000_000 },
        }),
        { masterKey: testMasterKey },
      );
      ids.push({ ...tenant, ownerId });
      if (ids.length % 500 === 0)
        log(`  ${ids.length} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    },
  );
  // A stable order, whatever order the workers finished in.
  return ids.sort((a, b) => a.slug.localeCompare(b.slug));
}

/** A database an earlier run kept: its role prefix read from its tenants, a new app password. */
async function keptDatabase(name: string): Promise<ScratchDatabase> {
  const url = new URL(process.env.DATABASE_URL ?? "");
  if (!process.env.DATABASE_URL)
    throw new Error("--reuse needs DATABASE_URL (the server holding the database)");
  url.pathname = `/${name}`;
  const probe = connect(url.toString(), { max: 1, name: "nchat-bench" });
  const [row] = await probe<{ role: string }[]>`select db_role as role from public.tenants limit 1`;
  await probe.end();
  if (!row) throw new Error(`${name} has no tenants`);
  return {
    adminUrl: url.toString(),
    rolePrefix: row.role.slice(0, row.role.indexOf("_")),
    appPassword: randomBytes(12).toString("hex"),
    embedded: false,
    drop: async () => {},
  };
}

/** The first `n` tenants (by slug) of a kept database. */
async function provisioned(db: Database, n: number): Promise<Provisioned[]> {
  const rows = await db.admin<Provisioned[]>`
    select id, schema_name as "schemaName", db_role as "dbRole", slug, owner_id as "ownerId"
    from public.tenants where slug like 'scale-%' order by slug limit ${n}`;
  if (rows.length < n) throw new Error(`the kept database has ${rows.length} tenants, not ${n}`);
  return rows;
}

function servicesFor(scratch: ScratchDatabase, pool: number): Promise<Services> {
  return createServices(
    benchEnv(scratch, {
      NEXT_PUBLIC_BASE_DOMAIN: "scale.test",
      // Its tenants are provisioned directly with this key.
      MASTER_ENCRYPTION_KEY: testMasterKey.key.toString("base64"),
      DATABASE_POOL_MAX: String(pool),
      DATABASE_TENANT_POOL_MAX: "2",
    }),
  );
}

/**
 * The former design, for comparison only: a login role that is a member of every tenant role, one
 * pool of `pool` connections, each transaction switching to the tenant's role (pipelined with the
 * work, as it was). Swapped in for the services' tenant pools; returns what undoes it.
 */
async function useSharedLogin(
  services: Services,
  setup: Database,
  scratch: ScratchDatabase,
  pool: number,
): Promise<() => Promise<void>> {
  const role = `${scratch.rolePrefix}_shared_login`;
  // (A run stopped midway may have left it.)
  await setup.admin.unsafe(`drop role if exists "${role}"`);
  await setup.admin.unsafe(`create role "${role}" login noinherit password '${scratch.appPassword}'`);
  const tenantRoles = await setup.admin<{ r: string }[]>`select db_role as r from public.tenants`;
  for (let i = 0; i < tenantRoles.length; i += 500)
    await setup.admin.unsafe(
      `grant ${tenantRoles
        .slice(i, i + 500)
        .map(({ r }) => `"${r}"`)
        .join(", ")} to "${role}"`,
    );
  const shared: Sql = connect(withCredentials(scratch.adminUrl, role, scratch.appPassword), {
    max: pool,
    name: "nchat-shared-login",
  });
  const db = publicDb(shared);
  const switching = (tenantRole: string): PublicDb =>
    new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== "transaction") return Reflect.get(target, prop, receiver);
        return (work: Parameters<PublicDb["transaction"]>[0]) =>
          target.transaction(async (tx) => {
            // Started now (drizzle's query is lazy until `then`), so it runs before the work's statements.
            const switched = tx.execute(sql`select set_config('role', ${tenantRole}, true)`).then(() => {});
            const result = work(tx);
            const [sw, w] = await Promise.allSettled([switched, result]);
            if (sw.status === "rejected") throw sw.reason;
            if (w.status === "rejected") throw w.reason;
            return w.value;
          });
      },
    });
  const original = services.db.tenantPools;
  (services.db as { tenantPools: unknown }).tenantPools = {
    run: <T>(tenantRole: string, fn: (db: PublicDb) => Promise<T>) => fn(switching(tenantRole)),
    pools: () => [shared],
    stats: () => null,
  };
  return async () => {
    (services.db as { tenantPools: unknown }).tenantPools = original;
    await shared.end({ timeout: 5 });
    await setup.admin.unsafe(`drop role "${role}"`);
  };
}

/** The mix: who am I, channel list, last 20 messages, unread counts (what opening the app does). */
async function mix(s: Services, t: T): Promise<void> {
  const ctx = await createContext({
    services: s,
    headers: new Headers({
      host: `${t.slug}.scale.test`,
      cookie: t.cookie,
      "x-nchat-client-address": "10.1.1.1",
    }),
    app: "web",
  });
  const c = appRouter.createCaller(ctx);
  await c.auth.me();
  await c.chat.channels({});
  await c.chat.list({ channelId: t.channelId, limit: 20 });
  await c.chat.unreadCounts();
}

/** Runs `fn` over `jobs` with `concurrency` workers; the duration of each call, and the total in s. */
async function drive<J>(
  jobs: J[],
  concurrency: number,
  fn: (job: J) => Promise<void>,
): Promise<{ samples: number[]; seconds: number }> {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const t0 = performance.now();
        await fn(job);
        samples.push(performance.now() - t0);
      }
    }),
  );
  return { samples, seconds: (performance.now() - started) / 1000 };
}

/** A deterministic shuffle (mulberry32), so both variants see the same order. */
function shuffled<X>(xs: X[], seed: number): X[] {
  const out = [...xs];
  let a = seed;
  const rand = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function measureSideBySide(
  [a, b]: [Services, Services],
  setup: Database,
  tenants: T[],
  opts: { requests: number; concurrency: number; labels: [string, string]; log: (s: string) => void },
): Promise<[Variant, Variant]> {
  const few = tenants.slice(0, 10);
  const fewJobs = (n: number) => Array.from({ length: n }, (_, i) => few[i % few.length]!);
  /** Every job on both designs, alternating which goes first; each design's durations. */
  const run = async (jobs: T[]) => {
    const out: [number[], number[]] = [[], []];
    let i = 0;
    await drive(jobs, opts.concurrency, async (t) => {
      const order = i++ % 2 === 0 ? [0, 1] : [1, 0];
      for (const k of order) {
        const t0 = performance.now();
        await mix(k === 0 ? a : b, t);
        out[k]!.push(performance.now() - t0);
      }
    });
    return out;
  };
  opts.log("warm-up and mix over 10 tenants (both designs, interleaved)");
  await run(fewJobs(200));
  const small = await run(fewJobs(opts.requests));
  opts.log(`first pass over ${tenants.length} tenants`);
  const cold = await run(shuffled(tenants, 1));
  opts.log("second pass");
  const warm = await run(shuffled(tenants, 2));
  const variant = (k: 0 | 1, design: Design, s: Services): Promise<Variant> =>
    setup.admin<{ pid: number; name: string }[]>`
      select pid, application_name as name from pg_stat_activity
      where application_name = any(${BACKENDS[design]}) and application_name <> 'nchat-app'
        and datname = current_database() order by 2, 1`.then((pids) => {
      const stats = s.db.tenantPools.stats() as { opened: number } | null;
      const mean = warm[k].reduce((x, y) => x + y, 0) / warm[k].length;
      return {
        label: opts.labels[k],
        few: small[k],
        cold: cold[k],
        warm: warm[k],
        // What this design alone would serve at this concurrency, from its mean mix time.
        warmRate: (opts.concurrency * 1000) / mean,
        rss: pids.map(({ pid }) => rssAnon(pid)).filter((v): v is number => v !== null),
        backends: pids.length,
        poolsOpened: stats?.opened ?? null,
      };
    });
  return [await variant(0, "shared login", a), await variant(1, "tenant logins", b)];
}

/** Private memory of a backend, when PostgreSQL runs on this machine. */
function rssAnon(pid: number): number | null {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Waits until the previous variant's backends have exited. */
async function backendsGone(db: Database): Promise<void> {
  const names = [...new Set(Object.values(BACKENDS).flat())];
  for (let i = 0; i < 100; i++) {
    const [row] = await db.admin<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where application_name = any(${names}) and datname = current_database()`;
    if (row!.n === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("backends of the previous variant are still there");
}

function rows([base, routed]: [Variant, Variant], run: { tenants: number; concurrency: number }): Row[] {
  const p50 = (x: number[]) => percentile(x, 50);
  const p99 = (x: number[]) => percentile(x, 99);
  const x = (v: number) => `${v.toFixed(2)}×`;
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  const both = (f: (v: Variant) => string) => `${f(base)} → ${f(routed)}`;
  const [, routedLabel] = [base.label, routed.label];
  const latency = (pick: (v: Variant) => number[]) =>
    both((v) => `${ms(p50(pick(v)))} / ${ms(p99(pick(v)))}`);
  const ratio = (pick: (v: Variant) => number[], note = "") =>
    `tenant logins / shared login p50 ${x(p50(pick(routed)) / p50(pick(base)))}${note}`;
  const many = run.tenants;
  const memory = (f: (rss: number[]) => number) => both((v) => (v.rss.length ? bytes(f(v.rss)) : "n/a"));
  const memoryRatio = (f: (rss: number[]) => number) =>
    base.rss.length && routed.rss.length
      ? `tenant logins / shared login ${x(f(routed.rss) / f(base.rss))}`
      : "";
  return [
    {
      bench: "scale",
      metric: "design (before → now)",
      value: both((v) => v.label),
      note: `${run.concurrency} mixes in flight, each run on both designs (alternating first), fresh backends; ${routedLabel} opened ${routed.poolsOpened} pools (one login each)`,
    },
    {
      bench: "scale",
      metric: "mix, 10 tenants p50 / p99",
      value: latency((v) => v.few),
      note: ratio((v) => v.few, " (auth.me + channels + 20 messages + unread)"),
    },
    {
      bench: "scale",
      metric: `mix, ${many} tenants 1st pass (cold) p50 / p99`,
      value: latency((v) => v.cold),
      note: ratio((v) => v.cold),
    },
    {
      bench: "scale",
      metric: `mix, ${many} tenants 2nd pass (warm) p50 / p99`,
      value: latency((v) => v.warm),
      note: ratio((v) => v.warm),
    },
    {
      bench: "scale",
      metric: `${many} / 10 tenants p50, cold`,
      value: both((v) => x(p50(v.cold) / p50(v.few))),
      note: "target ≤ 1.2",
    },
    {
      bench: "scale",
      metric: `${many} / 10 tenants p50, warm`,
      value: both((v) => x(p50(v.warm) / p50(v.few))),
      note: "target ≤ 1.2",
    },
    {
      bench: "scale",
      metric: "2nd pass throughput (concurrency / mean mix time)",
      value: both((v) => `${v.warmRate.toFixed(0)}/s`),
      note: `tenant logins / shared login ${x(routed.warmRate / base.warmRate)}`,
    },
    {
      bench: "scale",
      metric: "tenant-work backend private memory, max",
      value: memory((rss) => Math.max(...rss)),
      note: memoryRatio((rss) => Math.max(...rss)),
    },
    {
      bench: "scale",
      metric: "tenant-work backend private memory, sum",
      value: memory(sum),
      note: `${memoryRatio(sum)}; ${both((v) => String(v.backends))} backends after both passes (RssAnon)`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      tenants: { type: "string", default: "2000" },
      requests: { type: "string", default: "2000" },
      concurrency: { type: "string", default: "8" },
      pool: { type: "string", default: "20" },
      reuse: { type: "string" },
      keep: { type: "boolean", default: false },
    },
  });
  const { reuse, keep, ...counts } = values;
  const n = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)]));
  if (Object.values(n).some((v) => !Number.isInteger(v) || v < 1) || n.pool! < 2 || n.pool! % 2) {
    console.error(
      "usage: pnpm bench:scale [--tenants N] [--requests N] [--concurrency C] [--pool P (even)] [--keep] [--reuse <database>]",
    );
    process.exit(2);
  }
  const rows = await benchScale({
    tenants: n.tenants!,
    requests: n.requests!,
    concurrency: n.concurrency,
    pool: n.pool,
    reuse,
    keep,
    log: console.log,
  });
  printTable("Scale: tenant work on a shared login vs on tenant logins", rows);
}
