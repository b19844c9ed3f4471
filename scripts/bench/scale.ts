// A representative request mix over 10 tenants vs over many tenants, and the memory PostgreSQL
// backends hold afterwards (per-connection catalog caches grow with the tenant schemas touched).
//   pnpm bench:scale [--tenants 2000] [--requests 4000]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { appRouter, createContext, createServices, type Services, SYSTEM } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { createDatabase, migratePublic, provisionTenant } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { provisionInput, testMasterKey } from "@nchat/db/testing";
import { bytes, ms, percentile, printTable, type Row } from "./lib/stats";

type T = { slug: string; cookie: string; channelId: string };

const UNLIMITED = { users: -1, channels: -1, storageGb: -1, apiCallsPerMonth: -1, maxUploadMb: 10 };

export async function benchScale(opts: {
  tenants: number;
  requests: number;
  log?: (s: string) => void;
}): Promise<Row[]> {
  const log = opts.log ?? (() => {});
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "bench");
  let services: Services | undefined;
  try {
    const setup = createDatabase({ ...scratch, poolMax: 4 });
    await migratePublic(setup);
    log(`provisioning ${opts.tenants} tenants`);
    const ids: { id: string; schemaName: string; dbRole: string; slug: string; ownerId: string }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < opts.tenants) {
          const i = next++;
          const { tenant, ownerId } = await provisionTenant(
            setup,
            provisionInput(`scale-${i.toString(36).padStart(4, "0")}`, {
              plan: "custom",
              // Request limits sized for the run: the limiter still runs on every call.
              limits: { ...UNLIMITED, requestsPerMinute: 10_000_000, requestsPerHour: 100_000_000 },
            }),
            { masterKey: testMasterKey },
          );
          ids.push({ ...tenant, ownerId });
        }
      }),
    );
    await setup.close();
    services = await createServices(
      loadEnv({
        NODE_ENV: "production",
        DATABASE_URL: scratch.adminUrl,
        DB_ROLE_PREFIX: scratch.rolePrefix,
        DATABASE_APP_PASSWORD: scratch.appPassword,
        MASTER_ENCRYPTION_KEY: testMasterKey.key.toString("base64"),
        NEXT_PUBLIC_BASE_DOMAIN: "scale.test",
        ENABLE_MULTI_TENANCY: "true",
        DATABASE_POOL_MAX: "10",
        ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      }),
    );
    const s = services;
    log("creating sessions");
    const tenants: T[] = [];
    for (const t of ids) {
      const { token } = await s.auth.createSession(t, t.ownerId, { ip: null, userAgent: "bench" });
      const [general] = await s.db.admin<
        { id: string }[]
      >`select id from ${s.db.admin(t.schemaName)}.channels where is_default limit 1`;
      tenants.push({ slug: t.slug, cookie: `nchat_session=${token}`, channelId: general!.id });
    }

    // The mix: who am I, channel list, last 20 messages, unread counts (what opening the app does).
    const mix = async (t: T) => {
      const ctx = await createContext({
        services: s,
        headers: new Headers({
          host: `${t.slug}.scale.test`,
          cookie: t.cookie,
          "x-forwarded-for": "10.1.1.1",
        }),
        app: "web",
      });
      const c = appRouter.createCaller(ctx);
      await c.auth.me();
      await c.chat.channels({});
      await c.chat.list({ channelId: t.channelId, limit: 20 });
      await c.chat.unreadCounts();
    };
    const run = async (pool: T[], n: number) => {
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = pool[(i * 7919) % pool.length]!;
        const t0 = performance.now();
        await mix(t);
        samples.push(performance.now() - t0);
      }
      return samples;
    };
    const few = tenants.slice(0, 10);
    log("warm-up");
    await run(few, 200);
    log(`mix over 10 tenants, then over ${tenants.length}, then 10 again`);
    const small1 = await run(few, opts.requests);
    const large = await run(tenants, opts.requests);
    const small2 = await run(few, opts.requests);

    // Private memory of the app-role backends (catalog caches), when PostgreSQL runs on this machine.
    const pids = await s.db.admin<{ pid: number }[]>`
      select pid from pg_stat_activity where usename = ${s.db.roles.app} and datname = current_database()`;
    const rss = pids
      .map(({ pid }) => {
        try {
          const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
          return m ? Number(m[1]) * 1024 : null;
        } catch {
          return null;
        }
      })
      .filter((v): v is number => v !== null);

    const p50 = (x: number[]) => percentile(x, 50);
    const small = [...small1, ...small2];
    return [
      {
        bench: "scale",
        metric: "request mix, 10 tenants p50 / p99",
        value: `${ms(p50(small))} / ${ms(percentile(small, 99))}`,
        note: "auth.me + channels + 20 messages + unread",
      },
      {
        bench: "scale",
        metric: `request mix, ${tenants.length} tenants p50 / p99`,
        value: `${ms(p50(large))} / ${ms(percentile(large, 99))}`,
      },
      {
        bench: "scale",
        metric: `${tenants.length} / 10 tenants`,
        value: `${(p50(large) / p50(small)).toFixed(2)}×`,
        note: "target ≤ 1.2",
      },
      {
        bench: "scale",
        metric: "app backend private memory",
        value: rss.length
          ? `${bytes(Math.max(...rss))} max, ${bytes(rss.reduce((a, b) => a + b, 0) / rss.length)} mean`
          : "n/a",
        note: rss.length
          ? `${rss.length} connections after touching ${tenants.length} tenants (RssAnon)`
          : "PostgreSQL not on this machine",
      },
    ];
  } finally {
    await services?.close();
    await scratch.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { tenants: { type: "string", default: "2000" }, requests: { type: "string", default: "4000" } },
  });
  const rows = await benchScale({
    tenants: Number(values.tenants),
    requests: Number(values.requests),
    log: console.log,
  });
  printTable("Scale", rows);
}
