// Tenant resolution latency per cache layer, with N tenants present (default 10,000).
//   pnpm bench:resolution [--tenants 10000]
// Tenants are control-plane rows only (resolution reads nothing else); `pnpm bench:provision`
// measures full tenants.
import { parseArgs } from "node:util";
import { createRedis, LocalPubSub, redisReady, TenantResolver } from "@nchat/api";
import { createDatabase, migratePublic } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { ms, percentile, printTable, type Row } from "./lib/stats";

export async function benchResolution(opts: { tenants: number; log?: (s: string) => void }): Promise<Row[]> {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "bench");
  const db = createDatabase({ ...scratch, poolMax: 4 });
  const redis = process.env.REDIS_URL ? createRedis(process.env.REDIS_URL, "bench") : null;
  try {
    await migratePublic(db);
    await db.admin`
      insert into public.tenants (name, slug, owner_email, owner_name, schema_name, db_role, limits)
      select 'Tenant ' || g, 'bench-' || g, 'o@x.test', 'O', 'tenant_bench_' || g, ${`${scratch.rolePrefix}_tenant_bench_`} || g, '{}'
      from generate_series(1, ${opts.tenants}) g`;
    await db.admin`analyze public.tenants`;
    opts.log?.(`${opts.tenants} tenants present`);
    const slugs = Array.from({ length: opts.tenants }, (_, i) => `bench-${i + 1}`);
    const pick = (i: number) => slugs[(i * 7919) % slugs.length]!;

    const time = async (n: number, before: (i: number) => void, run: (i: number) => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        before(i);
        const t0 = performance.now();
        await run(i);
        samples.push(performance.now() - t0);
      }
      return samples;
    };

    const plain = new TenantResolver({ db, pubsub: new LocalPubSub(), namespace: scratch.rolePrefix });
    // warm the pool and the resolver
    for (let i = 0; i < 2000; i++) await plain.bySlug(pick(i));
    const local = await time(
      50_000,
      () => {},
      (i) => plain.bySlug(pick(i % 2000)),
    );
    const miss = await time(
      5_000,
      () => plain.clearLocal(),
      (i) => plain.bySlug(pick(i)),
    );

    let remote: number[] | null = null;
    if (redis) {
      await redisReady(redis);
      const cached = new TenantResolver({
        db,
        redis,
        pubsub: new LocalPubSub(),
        namespace: scratch.rolePrefix,
      });
      for (let i = 0; i < 5_000; i++) await cached.bySlug(pick(i)); // fill Redis
      await new Promise((r) => setTimeout(r, 200));
      remote = await time(
        5_000,
        () => cached.clearLocal(),
        (i) => cached.bySlug(pick(i)),
      );
      if (cached.stats.remote < 5_000)
        throw new Error(`expected Redis hits, got ${JSON.stringify(cached.stats)}`);
    }

    const row = (layer: string, s: number[] | null, target: string): Row[] =>
      s
        ? [
            {
              bench: "resolution",
              metric: `${layer} p50`,
              value: ms(percentile(s, 50)),
              note: `target ${target}`,
            },
            {
              bench: "resolution",
              metric: `${layer} p99`,
              value: ms(percentile(s, 99)),
              note: `${s.length} lookups`,
            },
          ]
        : [{ bench: "resolution", metric: layer, value: "n/a", note: "REDIS_URL unset" }];
    const p50 = (s: number[] | null) => (s ? percentile(s, 50) : Number.NaN);
    return [
      ...row("in-process hit", local, "≤ 20 µs"),
      ...row("Redis hit", remote, "≤ 0.5 ms"),
      ...row("database miss", miss, "≤ 2 ms"),
      {
        bench: "resolution",
        metric: "miss / in-process hit",
        value: `${(p50(miss) / p50(local)).toFixed(0)}×`,
        note: remote ? `Redis hit / in-process hit ${(p50(remote) / p50(local)).toFixed(0)}×` : "",
      },
    ];
  } finally {
    redis?.disconnect();
    await db.close();
    await scratch.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { tenants: { type: "string", default: "10000" } } });
  const rows = await benchResolution({ tenants: Number(values.tenants), log: console.log });
  printTable("Tenant resolution", rows);
}
