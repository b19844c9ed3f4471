// Message search, measured side by side in one run on a scratch database:
//  - search p50/p99 over a tenant with `--messages` (1,000,000) messages and the same queries over one
//    with `--small` (10,000), as a ratio — the service call (tenant role, visibility, SQL, snippets);
//  - the insert cost of a message with the search column + GIN index vs without (same table otherwise).
//   pnpm bench:search [--messages 1000000] [--small 10000] [--iterations 40]
import { parseArgs } from "node:util";
import { createCaller, createContext, createServices, type RateLimiter, type Services } from "@nchat/api";
import { createDatabase, migratePublic } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { benchEnv, signedInOwner } from "./lib/fixture";
import { ms, percentile, printTable, type Row } from "./lib/stats";

/** Words of the generated messages; the first few are common, the rest rarer (a skewed vocabulary). */
const VOCABULARY = [
  "the",
  "deploy",
  "team",
  "meeting",
  "review",
  "update",
  "build",
  "release",
  "customer",
  "ticket",
  "server",
  "design",
  "budget",
  "planning",
  "database",
  "migration",
  "incident",
  "coffee",
  "launch",
  "report",
  "invoice",
  "browser",
  "latency",
  "kubernetes",
  "roadmap",
  "onboarding",
  "retro",
  "sprint",
  "feedback",
  "quarterly",
  "zeppelin",
  "aardvark",
  "quokka",
  "narwhal",
  "pangolin",
  "axolotl",
  "wombat",
  "capybara",
  "okapi",
  "kakapo",
];

/** The queries timed: how selective they are is printed with them. */
const QUERIES = [
  { name: "common word", q: "deploy ", words: "deploy" },
  { name: "rare word", q: "axolotl ", words: "axolotl" },
  { name: "two words + prefix", q: "budget review quar", words: "budget review quarterly" },
  { name: "phrase", q: '"release planning"', words: "release planning" },
  { name: "word + in: + after:", q: "incident in:#channel-3 after:2026-05-01 ", words: "incident" },
];

const CHANNELS = 20;

export async function benchSearch(opts: {
  messages: number;
  small: number;
  iterations: number;
  log?: (s: string) => void;
}): Promise<Row[]> {
  const log = opts.log ?? (() => {});
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "bench");
  let services: Services | undefined;
  try {
    const setup = createDatabase(scratch);
    await migratePublic(setup);
    await setup.close();
    services = await createServices(benchEnv(scratch));
    const sql = services.db.admin;
    const big = await signedInOwner(services, "big");
    const small = await signedInOwner(services, "small");

    /** Channels (public) and messages, one INSERT … SELECT generate_series each. */
    const seed = async (schema: string, n: number) => {
      const [owner] = await sql<{ id: string }[]>`select id from ${sql(schema)}.users limit 1`;
      await sql`insert into ${sql(schema)}.channels (name, kind, created_by)
        select 'channel-' || i, 'public', ${owner!.id} from generate_series(1, ${CHANNELS}) i`;
      const t0 = performance.now();
      // The GIN index is built after the bulk load (faster than maintaining it row by row).
      await sql.begin(async (tx) => {
        await tx`set local maintenance_work_mem = '256MB'`;
        await tx`drop index ${tx(schema)}.messages_search_idx`;
        // 4–12 words each: common ones (the first 20) everywhere; one in 100 messages starts with a
        // rare one (each rare word: ~0.05% of messages).
        await tx`insert into ${tx(schema)}.messages (channel_id, user_id, body, created_at)
          select c.ids[1 + (i % ${CHANNELS})], ${owner!.id},
            (select string_agg((${VOCABULARY}::text[])[1 + case
                when k = 1 and (hashint4(i) & 2147483647) % 100 = 0 then 20 + (hashint4(i + 1) & 2147483647) % 20
                else (hashint4(i * 13 + k) & 2147483647) % 20 end], ' ')
             from generate_series(1, 4 + i % 9) k),
            timestamptz '2026-06-01' - ((${n} - i) * interval '30 seconds')
          from generate_series(1, ${n}) i,
            (select array_agg(id order by name) as ids from ${tx(schema)}.channels where kind = 'public') c`;
        await tx`create index messages_search_idx on ${tx(schema)}.messages using gin (search_vector)`;
      });
      await sql`analyze ${sql(schema)}.messages`;
      return performance.now() - t0;
    };
    const seedBig = await seed(big.tenant.schemaName, opts.messages);
    log(`seeded ${opts.messages} messages in ${(seedBig / 1000).toFixed(1)} s`);
    const seedSmall = await seed(small.tenant.schemaName, opts.small);

    // Through the procedure (session, tenant, middleware, input parsing), rate limits lifted.
    const noLimit: RateLimiter = {
      limit: async (p) => ({ success: true, limit: p.limit, remaining: p.limit, reset: Date.now() + 60_000 }),
    };
    const s: Services = { ...services, rateLimiter: noLimit };
    const caller = async (slug: string, token: string) =>
      createCaller(
        await createContext({
          services: s,
          headers: new Headers({
            host: `${slug}.bench.test`,
            cookie: `nchat_session=${token}`,
            "x-nchat-client-address": "10.0.0.1",
          }),
          app: "web",
        }),
      );
    const search = async (who: { slug: string; token: string }, q: string, sort: "newest" | "best") =>
      (await caller(who.slug, who.token)).search.messages({ q, sort, limit: 20 });
    const bigWho = { slug: "big", token: big.token };
    const smallWho = { slug: "small", token: small.token };

    const rows: Row[] = [
      {
        bench: "search",
        metric: `seed ${opts.messages.toLocaleString("en")} messages`,
        value: `${(seedBig / 1000).toFixed(1)} s`,
        note: "one INSERT … SELECT generate_series, then CREATE INDEX (gin)",
      },
    ];
    for (const sort of ["newest", "best"] as const)
      for (const query of QUERIES) {
        for (let i = 0; i < 3; i++) {
          await search(bigWho, query.q, sort);
          await search(smallWho, query.q, sort);
        }
        const a: number[] = [];
        const b: number[] = [];
        for (let i = 0; i < opts.iterations; i++) {
          let t0 = performance.now();
          await search(bigWho, query.q, sort);
          a.push(performance.now() - t0);
          t0 = performance.now();
          await search(smallWho, query.q, sort);
          b.push(performance.now() - t0);
        }
        const matches = await countMatches(sql, big.tenant.schemaName, query.words);
        rows.push({
          bench: `search ${sort}`,
          metric: `${query.name}: ${(opts.messages / 1e6).toFixed(1)}M p50 / p99`,
          value: `${ms(percentile(a, 50))} / ${ms(percentile(a, 99))}`,
          note: `${matches.toLocaleString("en")} body matches; 10k: ${ms(percentile(b, 50))} / ${ms(percentile(b, 99))}; p50 ratio ${(percentile(a, 50) / percentile(b, 50)).toFixed(1)}×`,
        });
        log(`${sort} ${query.name} done`);
      }
    rows.push(...(await insertCost(sql, small.tenant.schemaName, opts.iterations * 50)));
    void seedSmall;
    return rows;
  } finally {
    await services?.close();
    await scratch.drop();
  }
}

type Sql = Services["db"]["admin"];

async function countMatches(sql: Sql, schema: string, text: string): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(schema)}.messages
    where search_vector @@ (plainto_tsquery('english', ${text}) || plainto_tsquery('simple', ${text}))`;
  return r?.n ?? 0;
}

/**
 * One-row inserts into two copies of the messages table, alternately: with the generated search
 * column and its GIN index (as migrated) and without them; then 10,000 rows at once into each.
 */
async function insertCost(sql: Sql, schema: string, n: number): Promise<Row[]> {
  const withIdx = sql(`${schema}.bench_with_search`);
  const without = sql(`${schema}.bench_without_search`);
  await sql`create table ${withIdx} (like ${sql(schema)}.messages including all)`;
  await sql`create table ${without} (like ${sql(schema)}.messages including defaults including identity including indexes)`;
  await sql`alter table ${without} drop column search_vector`;
  const [c] = await sql<{ id: string }[]>`select id from ${sql(schema)}.channels limit 1`;
  const body = "Deploying the quarterly budget review to production after the incident retro";
  const one = (table: typeof withIdx) =>
    sql`insert into ${table} (channel_id, body) values (${c!.id}, ${body})`;
  for (let i = 0; i < 200; i++) {
    await one(withIdx);
    await one(without);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    let t0 = performance.now();
    await one(withIdx);
    a.push(performance.now() - t0);
    t0 = performance.now();
    await one(without);
    b.push(performance.now() - t0);
  }
  const bulk = async (table: typeof withIdx) => {
    const t0 = performance.now();
    await sql`insert into ${table} (channel_id, body)
      select ${c!.id}, ${body} || ' ' || i from generate_series(1, 10000) i`;
    return performance.now() - t0;
  };
  const bulkWith = await bulk(withIdx);
  const bulkWithout = await bulk(without);
  return [
    {
      bench: "search insert",
      metric: "one message, with search column + GIN p50 / p99",
      value: `${ms(percentile(a, 50))} / ${ms(percentile(a, 99))}`,
      note: `without: ${ms(percentile(b, 50))} / ${ms(percentile(b, 99))}; p50 ratio ${(percentile(a, 50) / percentile(b, 50)).toFixed(2)}×, ${n} each, alternating`,
    },
    {
      bench: "search insert",
      metric: "10,000 messages in one INSERT, with / without",
      value: `${ms(bulkWith)} / ${ms(bulkWithout)}`,
      note: `${(bulkWith / bulkWithout).toFixed(2)}×`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      messages: { type: "string", default: "1000000" },
      small: { type: "string", default: "10000" },
      iterations: { type: "string", default: "40" },
    },
  });
  const rows = await benchSearch({
    messages: Number(values.messages),
    small: Number(values.small),
    iterations: Number(values.iterations),
    log: console.log,
  });
  printTable(
    `Message search (${process.env.DATABASE_URL ? "PostgreSQL at DATABASE_URL" : "embedded PostgreSQL"})`,
    rows,
  );
}
