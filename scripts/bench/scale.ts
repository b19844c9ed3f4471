// A representative request mix over 10 tenants vs over many tenants, and the memory PostgreSQL
// backends hold afterwards (per-connection catalog caches grow with the tenant schemas touched),
// without tenant-affine routing (one app pool) and with it (the pool split into shards), side by side.
//   pnpm bench:scale [--tenants 2000] [--requests 2000] [--concurrency 8] [--pool 8] [--shards 4]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { appRouter, createContext, createServices, type Services } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { createDatabase, type Database, migratePublic, provisionTenant } from "@nchat/db";
import { createScratchDatabase, type ScratchDatabase } from "@nchat/db/scratch";
import { provisionInput, testMasterKey } from "@nchat/db/testing";
import { bytes, ms, percentile, printTable, type Row } from "./lib/stats";

type T = { slug: string; cookie: string; channelId: string };

const UNLIMITED = { users: -1, channels: -1, storageGb: -1, apiCallsPerMonth: -1, maxUploadMb: 10 };

/** What one variant (one pool layout, on fresh backends) measured. */
type Variant = {
  label: string;
  few: number[];
  cold: number[];
  warm: number[];
  /** Requests per second of the warm pass. */
  warmRate: number;
  /** RssAnon of each app-role backend after both passes (empty when PostgreSQL is elsewhere). */
  rss: number[];
  backends: number;
};

export async function benchScale(opts: {
  tenants: number;
  requests: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** DATABASE_POOL_MAX of both variants (default 8). */
  pool?: number;
  /** DATABASE_POOL_SHARDS of the routed variant (default 4). */
  shards?: number;
  log?: (s: string) => void;
}): Promise<Row[]> {
  const log = opts.log ?? (() => {});
  const concurrency = opts.concurrency ?? 8;
  const pool = opts.pool ?? 8;
  const shards = opts.shards ?? 4;
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "bench");
  const setup = createDatabase({ ...scratch, poolMax: 4 });
  try {
    await migratePublic(setup);
    const ids = await provision(setup, opts.tenants, log);

    // Sessions, and one pass of the mix over every tenant, on a throwaway instance: both variants
    // then find the same shared buffers, page cache and Redis entries warm; only their backends are new.
    log("creating sessions, priming pass");
    let services = await servicesFor(scratch, pool, 1);
    const tenants: T[] = [];
    try {
      const s = services;
      await drive(ids, concurrency, async (t) => {
        const { token } = await s.auth.createSession(t, t.ownerId, { ip: null, userAgent: "bench" });
        const [general] = await setup.admin<
          { id: string }[]
        >`select id from ${setup.admin(t.schemaName)}.channels where is_default limit 1`;
        tenants.push({ slug: t.slug, cookie: `nchat_session=${token}`, channelId: general!.id });
      });
      tenants.sort((a, b) => a.slug.localeCompare(b.slug));
      await drive(tenants, concurrency, (t) => mix(s, t));
    } finally {
      await services.close();
    }

    const variants: Variant[] = [];
    for (const n of [1, shards]) {
      await appBackendsGone(setup);
      const label = n === 1 ? `1 pool × ${pool}` : `${n} pools × ${Math.ceil(pool / n)}`;
      log(`${label}: fresh backends`);
      services = await servicesFor(scratch, pool, n);
      try {
        variants.push(await measure(services, setup, tenants, { ...opts, concurrency, label, log }));
      } finally {
        await services.close();
      }
    }
    return rows(variants as [Variant, Variant], { tenants: tenants.length, concurrency });
  } finally {
    await setup.close();
    await scratch.drop();
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

function servicesFor(scratch: ScratchDatabase, pool: number, shards: number): Promise<Services> {
  return createServices(
    loadEnv({
      NODE_ENV: "production",
      DATABASE_URL: scratch.adminUrl,
      DB_ROLE_PREFIX: scratch.rolePrefix,
      DATABASE_APP_PASSWORD: scratch.appPassword,
      MASTER_ENCRYPTION_KEY: testMasterKey.key.toString("base64"),
      NEXT_PUBLIC_BASE_DOMAIN: "scale.test",
      ENABLE_MULTI_TENANCY: "true",
      DATABASE_POOL_MAX: String(pool),
      DATABASE_POOL_SHARDS: String(shards),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    }),
  );
}

/** The mix: who am I, channel list, last 20 messages, unread counts (what opening the app does). */
async function mix(s: Services, t: T): Promise<void> {
  const ctx = await createContext({
    services: s,
    headers: new Headers({ host: `${t.slug}.scale.test`, cookie: t.cookie, "x-forwarded-for": "10.1.1.1" }),
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

async function measure(
  s: Services,
  setup: Database,
  tenants: T[],
  opts: { requests: number; concurrency: number; label: string; log: (s: string) => void },
): Promise<Variant> {
  const few = tenants.slice(0, 10);
  const fewJobs = (n: number) => Array.from({ length: n }, (_, i) => few[i % few.length]!);
  const run = (jobs: T[]) => drive(jobs, opts.concurrency, (t) => mix(s, t));
  opts.log(`${opts.label}: warm-up and mix over 10 tenants`);
  await run(fewJobs(200));
  const small = await run(fewJobs(opts.requests));
  opts.log(`${opts.label}: first pass over ${tenants.length} tenants`);
  const cold = await run(shuffled(tenants, 1));
  opts.log(`${opts.label}: second pass`);
  const warm = await run(shuffled(tenants, 2));
  const pids = await setup.admin<{ pid: number; name: string }[]>`
    select pid, application_name as name from pg_stat_activity
    where usename = ${setup.roles.app} and datname = current_database() order by 2, 1`;
  opts.log(
    `${opts.label}: RssAnon by backend: ${pids.map(({ pid, name }) => `${name} ${bytes(rssAnon(pid) ?? Number.NaN)}`).join(", ")}`,
  );
  return {
    label: opts.label,
    few: small.samples,
    cold: cold.samples,
    warm: warm.samples,
    warmRate: warm.samples.length / warm.seconds,
    rss: pids.map(({ pid }) => rssAnon(pid)).filter((v): v is number => v !== null),
    backends: pids.length,
  };
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

/** Waits until the previous variant's app-role backends have exited. */
async function appBackendsGone(db: Database): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [row] = await db.admin<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity where usename = ${db.roles.app} and datname = current_database()`;
    if (row!.n === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("app-role backends of the previous variant are still there");
}

function rows([base, routed]: [Variant, Variant], run: { tenants: number; concurrency: number }): Row[] {
  const p50 = (x: number[]) => percentile(x, 50);
  const p99 = (x: number[]) => percentile(x, 99);
  const x = (v: number) => `${v.toFixed(2)}×`;
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  const both = (f: (v: Variant) => string) => `${f(base)} → ${f(routed)}`;
  const latency = (pick: (v: Variant) => number[]) =>
    both((v) => `${ms(p50(pick(v)))} / ${ms(p99(pick(v)))}`);
  const ratio = (pick: (v: Variant) => number[], note = "") =>
    `with/without p50 ${x(p50(pick(routed)) / p50(pick(base)))}${note}`;
  const many = run.tenants;
  const memory = (f: (rss: number[]) => number) => both((v) => (v.rss.length ? bytes(f(v.rss)) : "n/a"));
  const memoryRatio = (f: (rss: number[]) => number) =>
    base.rss.length && routed.rss.length ? `with/without ${x(f(routed.rss) / f(base.rss))}` : "";
  return [
    {
      bench: "scale",
      metric: "pool layout (without → with routing)",
      value: both((v) => v.label),
      note: `${run.concurrency} requests in flight; variants one after another, each on new backends`,
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
      metric: "2nd pass throughput",
      value: both((v) => `${v.warmRate.toFixed(0)}/s`),
      note: `with/without ${x(routed.warmRate / base.warmRate)}`,
    },
    {
      bench: "scale",
      metric: "app backend private memory, max",
      value: memory((rss) => Math.max(...rss)),
      note: memoryRatio((rss) => Math.max(...rss)),
    },
    {
      bench: "scale",
      metric: "app backend private memory, sum",
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
      pool: { type: "string", default: "8" },
      shards: { type: "string", default: "4" },
    },
  });
  const n = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number(v)]));
  if (Object.values(n).some((v) => !Number.isInteger(v) || v < 1) || n.shards! < 2) {
    console.error(
      "usage: pnpm bench:scale [--tenants N] [--requests N] [--concurrency C] [--pool P] [--shards S≥2]",
    );
    process.exit(2);
  }
  const rows = await benchScale({
    tenants: n.tenants!,
    requests: n.requests!,
    concurrency: n.concurrency,
    pool: n.pool,
    shards: n.shards,
    log: console.log,
  });
  printTable("Scale: tenant-affine routing", rows);
}
