// The HTTP send path (`chat.send` through the tRPC fetch adapter, session, usage, withTenant, event
// fan-out) with the app role connected three ways, measured side by side in one run:
//  - direct, with prepared statements (DATABASE_APP_POOL_MODE=session, the default);
//  - direct, without prepared statements (what transaction mode costs by itself);
//  - through a transaction pooler (PgBouncer pool_mode=transaction, DATABASE_APP_POOL_MODE=transaction).
// Latency is sequential (interleaved A, B, C, …); throughput is 16 concurrent senders per variant.
// Every acknowledged send is checked against the rows stored.
//   pnpm bench:pooler --pooler postgres://127.0.0.1:6432 [--iterations 2000]
import { parseArgs } from "node:util";
import { createServices, type RateLimiter, type Services, trpcHandler } from "@nchat/api";
import { appUrlFor, createDatabase, migratePublic, roleNames, throughPooler } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { benchEnv, signedInOwner } from "./lib/fixture";
import { ms, percentile, printTable, type Row } from "./lib/stats";

const HOST = "acme.bench.test";

export async function benchPooler(opts: {
  pooler: string | undefined;
  iterations: number;
  log?: (s: string) => void;
}): Promise<Row[]> {
  if (!opts.pooler)
    return [
      { bench: "pooler", metric: "send via PgBouncer / direct", value: "not run", note: "no --pooler" },
    ];
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "bench");
  const roles = roleNames(scratch.rolePrefix);
  const direct = appUrlFor(scratch.adminUrl, roles, scratch.appPassword);
  const envFor = (over: Record<string, string>) => benchEnv(scratch, over);
  const variants: { name: string; services?: Services; env: Record<string, string> }[] = [
    { name: "direct, prepared", env: { DATABASE_APP_URL: direct } },
    { name: "direct, unprepared", env: { DATABASE_APP_URL: direct, DATABASE_APP_POOL_MODE: "transaction" } },
    {
      name: "PgBouncer (transaction)",
      env: {
        DATABASE_APP_URL: throughPooler(scratch.adminUrl, opts.pooler, {
          user: roles.app,
          password: scratch.appPassword,
        }),
        DATABASE_APP_POOL_MODE: "transaction",
      },
    },
  ];
  try {
    const setup = createDatabase(scratch);
    await migratePublic(setup);
    await setup.close();
    for (const v of variants) v.services = await createServices(envFor(v.env));
    const first = variants[0]!.services!;
    const { tenant, token } = await signedInOwner(first, "acme");
    const session = await first.auth.session(tenant, token);
    const { channels } = await first.chat.listChannels(tenant, {
      type: "user",
      id: session!.user.id,
      role: "owner",
    });
    const channelId = channels.find((c) => c.name === "general")!.id;

    // The same work per request without refusals: the rate limit is not what is compared here.
    const noLimit: RateLimiter = {
      limit: async (p) => ({ success: true, limit: p.limit, remaining: p.limit, reset: Date.now() + 60_000 }),
    };
    let acknowledged = 0;
    const send = (s: Services, body: string) => async () => {
      const res = await trpcHandler(
        { ...s, rateLimiter: noLimit },
        "web",
        new Request(`http://${HOST}/api/trpc/chat.send`, {
          method: "POST",
          headers: {
            host: HOST,
            origin: `http://${HOST}`,
            cookie: `nchat_session=${token}`,
            "content-type": "application/json",
            "x-nchat-client-address": "10.0.0.1",
          },
          body: JSON.stringify({ json: { channelId, body } }),
        }),
      );
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`chat.send answered ${res.status}`);
      acknowledged++;
    };

    opts.log?.(`latency: ${opts.iterations} sequential sends per variant, interleaved`);
    for (let i = 0; i < 100; i++) for (const v of variants) await send(v.services!, `warm ${i}`)();
    const samples = variants.map(() => [] as number[]);
    for (let i = 0; i < opts.iterations; i++) {
      for (const [k, v] of variants.entries()) {
        const t0 = performance.now();
        await send(v.services!, `seq ${k} ${i}`)();
        samples[k]!.push(performance.now() - t0);
      }
    }

    opts.log?.("throughput: 16 concurrent senders per variant");
    const perSecond: number[] = [];
    for (const [k, v] of variants.entries()) {
      const n = opts.iterations;
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < n) await send(v.services!, `par ${k} ${next++}`)();
        }),
      );
      perSecond.push(n / ((performance.now() - t0) / 1000));
    }

    const [row] = await first.db.admin.unsafe<{ n: number }[]>(
      `select count(*)::int as n from "${tenant.schemaName}".messages`,
    );
    const stored = row?.n ?? 0;
    const p50 = samples.map((s) => percentile(s, 50));
    const rows: Row[] = variants.map((v, k) => ({
      bench: "pooler",
      metric: `send ${v.name} p50 / p99`,
      value: `${ms(p50[k]!)} / ${ms(percentile(samples[k]!, 99))}`,
      note: `${perSecond[k]!.toFixed(0)} sends/s at 16 concurrent`,
    }));
    rows.push(
      {
        bench: "pooler",
        metric: "send via PgBouncer / direct (prepared)",
        value: `${(p50[2]! / p50[0]!).toFixed(2)}×`,
        note: `+${ms(p50[2]! - p50[0]!)} p50; throughput ${(perSecond[2]! / perSecond[0]!).toFixed(2)}×`,
      },
      {
        bench: "pooler",
        metric: "unprepared / prepared (direct)",
        value: `${(p50[1]! / p50[0]!).toFixed(2)}×`,
        note: "the cost of DATABASE_APP_POOL_MODE=transaction alone",
      },
      {
        bench: "pooler",
        metric: "acknowledged / stored",
        value: `${acknowledged} / ${stored}`,
        note: acknowledged === stored ? "every acknowledged send stored" : "MISMATCH",
      },
    );
    if (acknowledged !== stored) process.exitCode = 1;
    return rows;
  } finally {
    for (const v of variants) await v.services?.close();
    await scratch.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      pooler: { type: "string", default: process.env.TRANSACTION_POOLER_URL },
      iterations: { type: "string", default: "2000" },
    },
  });
  const rows = await benchPooler({
    pooler: values.pooler,
    iterations: Number(values.iterations),
    log: console.log,
  });
  printTable("Send path: direct vs transaction pooler", rows);
}
