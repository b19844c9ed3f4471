// Cost of the procedure pipeline, measured side by side in one run:
//  - full stack (tenant status + rate limit + session + usage) vs the same read with none of it;
//  - the same procedure over HTTP (fetch adapter) in multi-tenant vs single-tenant mode.
//   pnpm bench:middleware [--iterations 3000]
import { parseArgs } from "node:util";
import { createContext, createServices, type RateLimiter, type Services, trpcHandler } from "@nchat/api";
import { authedProcedure, publicProcedure, router } from "@nchat/api/trpc";
import { createDatabase, migratePublic, withTenant } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { count } from "drizzle-orm";
import { benchEnv, signedInOwner } from "./lib/fixture";
import { ms, percentile, printTable, type Row } from "./lib/stats";

export async function benchMiddleware(opts: {
  iterations: number;
  log?: (s: string) => void;
}): Promise<Row[]> {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "bench");
  const envFor = (multi: boolean) =>
    benchEnv(scratch, { ENABLE_MULTI_TENANCY: multi ? "true" : "false", DEFAULT_TENANT_SLUG: "acme" });
  let multi: Services | undefined;
  let single: Services | undefined;
  try {
    const setup = createDatabase(scratch);
    await migratePublic(setup);
    await setup.close();
    multi = await createServices(envFor(true));
    single = await createServices(envFor(false));
    const { token } = await signedInOwner(multi, "acme");
    const cookie = `nchat_session=${token}`;

    const read = (s: Services, t: { id: string; schemaName: string; dbRole: string }) =>
      withTenant(
        s.db,
        t,
        async ({ db, t: tables }) => (await db.select({ n: count() }).from(tables.channels))[0]!.n,
      );
    const benchRouter = router({
      bare: publicProcedure.query(({ ctx }) => read(ctx.services, ctx.tenant!)),
      full: authedProcedure.query(({ ctx }) => read(ctx.services, ctx.tenant)),
    });

    const headers = new Headers({ host: "acme.bench.test", cookie, "x-nchat-client-address": "10.0.0.1" });
    /** Runs the variants interleaved (A, B, A, B, …) so warm-up and machine load hit them alike. */
    const timeSideBySide = async (...fns: (() => Promise<unknown>)[]) => {
      for (let i = 0; i < 200; i++) for (const fn of fns) await fn(); // warm-up
      const samples = fns.map(() => [] as number[]);
      for (let i = 0; i < opts.iterations; i++) {
        for (const [k, fn] of fns.entries()) {
          const t0 = performance.now();
          await fn();
          samples[k]!.push(performance.now() - t0);
        }
      }
      return samples;
    };
    const caller = (s: Services) => async () =>
      benchRouter.createCaller(await createContext({ services: s, headers, app: "web" }));
    const noLimit: RateLimiter = {
      limit: async (p) => ({ success: true, limit: p.limit, remaining: p.limit, reset: Date.now() + 60_000 }),
    };
    // The real limiter (Redis script or in-process) with the limit raised so no call is refused:
    // the same work per request, without refusals.
    const real = single.rateLimiter;
    const raised: RateLimiter = { limit: (p, id) => real.limit({ ...p, limit: 1_000_000_000 }, id) };
    const withLimiter = (s: Services, rateLimiter: RateLimiter): Services => ({ ...s, rateLimiter });

    opts.log?.("in-process: bare vs full stack");
    const [bare = [], fullNoLimit = [], fullMem = []] = await timeSideBySide(
      async () => (await caller(multi!)()).bare(),
      async () => (await caller(withLimiter(multi!, noLimit))()).full(),
      async () => (await caller(withLimiter(multi!, raised))()).full(),
    );

    opts.log?.("over HTTP: multi-tenant vs single-tenant");
    const http = (s: Services, host: string) => async () => {
      const res = await trpcHandler(
        s,
        "web",
        new Request(`http://${host}/api/trpc/tenant.public`, { headers: { host } }),
      );
      await res.arrayBuffer();
    };
    const [httpMulti = [], httpSingle = []] = await timeSideBySide(
      http(withLimiter(multi, noLimit), "acme.bench.test"),
      http(withLimiter(single, noLimit), "localhost"),
    );

    const p50 = (s: number[]) => percentile(s, 50);
    return [
      {
        bench: "middleware",
        metric: "bare procedure p50",
        value: ms(p50(bare)),
        note: "withTenant + count(*)",
      },
      {
        bench: "middleware",
        metric: "full stack p50",
        value: ms(p50(fullMem)),
        note: `rate limit (${process.env.REDIS_URL ? "Redis" : "in-process"}) + session + usage`,
      },
      {
        bench: "middleware",
        metric: "full stack / bare",
        value: `${(p50(fullMem) / p50(bare)).toFixed(2)}×`,
        note: `+${ms(p50(fullMem) - p50(bare))} per request`,
      },
      {
        bench: "middleware",
        metric: "full stack without rate limit / bare",
        value: `${(p50(fullNoLimit) / p50(bare)).toFixed(2)}×`,
        note: "session lookup is the main cost",
      },
      {
        bench: "http",
        metric: "multi-tenant p50 / p99",
        value: `${ms(p50(httpMulti))} / ${ms(percentile(httpMulti, 99))}`,
        note: "tenant.public via fetch adapter",
      },
      {
        bench: "http",
        metric: "single-tenant p50 / p99",
        value: `${ms(p50(httpSingle))} / ${ms(percentile(httpSingle, 99))}`,
      },
      {
        bench: "http",
        metric: "multi / single",
        value: `${(p50(httpMulti) / p50(httpSingle)).toFixed(3)}×`,
        note: `+${ms(p50(httpMulti) - p50(httpSingle))} (target ≤ 1.15, ≤ +0.3 ms)`,
      },
    ];
  } finally {
    await multi?.close();
    await single?.close();
    await scratch.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { iterations: { type: "string", default: "3000" } } });
  const rows = await benchMiddleware({ iterations: Number(values.iterations), log: console.log });
  printTable("Procedure pipeline", rows);
}
