// `pnpm bench [--tenants N] [--concurrency C]`: every benchmark in one run, one table.
// Runs against DATABASE_URL's server when set (a scratch database is created and dropped), else an
// embedded PostgreSQL.
import { parseArgs } from "node:util";
import { printTable, type Row } from "./lib/stats";
import { benchMiddleware } from "./middleware";
import { benchProvision } from "./provision";
import { benchResolution } from "./resolution";

const { values } = parseArgs({
  options: {
    tenants: { type: "string", default: "1000" },
    "resolution-tenants": { type: "string", default: "10000" },
    concurrency: { type: "string", default: "4" },
  },
});
const tenants = Number(values.tenants);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(tenants) || tenants < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error("usage: pnpm bench [--tenants N] [--concurrency C]");
  process.exit(2);
}

const target = process.env.DATABASE_URL ? "PostgreSQL at DATABASE_URL" : "embedded PostgreSQL";
const rows: Row[] = [];
rows.push(...(await benchProvision({ tenants, concurrency, log: (s) => console.log(`[provision] ${s}`) })));
rows.push(
  ...(await benchResolution({
    tenants: Number(values["resolution-tenants"]),
    log: (s) => console.log(`[resolution] ${s}`),
  })),
);
rows.push(...(await benchMiddleware({ iterations: 3000, log: (s) => console.log(`[middleware] ${s}`) })));
printTable(`nchat benchmarks — ${target}, ${tenants} tenants`, rows);
