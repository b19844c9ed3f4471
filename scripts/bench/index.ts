// `pnpm bench [--tenants N] [--resolution-tenants N] [--scale-tenants N] [--search-messages N] [--load-seconds S] [--concurrency C] [--processes P] [--pooler URL]`
// Every benchmark in one run, printed as one table; each figure next to its baseline.
// Runs against DATABASE_URL's server when set (scratch databases are created and dropped) and Redis
// when REDIS_URL is set; otherwise an embedded PostgreSQL and in-process replacements.
import { parseArgs } from "node:util";
import { type Drill, runLoad } from "../load/run";
import { printTable, type Row } from "./lib/stats";
import { benchMiddleware } from "./middleware";
import { benchPooler } from "./pooler";
import { benchProvision } from "./provision";
import { benchRealtime } from "./realtime";
import { benchResolution } from "./resolution";
import { benchScale } from "./scale";
import { benchSearch } from "./search";

const { values } = parseArgs({
  options: {
    tenants: { type: "string", default: "1000" },
    "resolution-tenants": { type: "string", default: "10000" },
    "scale-tenants": { type: "string", default: "1000" },
    "search-messages": { type: "string", default: "1000000" },
    "load-seconds": { type: "string", default: "30" },
    processes: { type: "string", default: "2" },
    concurrency: { type: "string", default: "4" },
    // A transaction pooler (PgBouncer pool_mode=transaction) in front of DATABASE_URL's server.
    pooler: { type: "string", default: process.env.TRANSACTION_POOLER_URL },
  },
});
const tenants = Number(values.tenants);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(tenants) || tenants < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error(
    "usage: pnpm bench [--tenants N] [--resolution-tenants N] [--scale-tenants N] [--load-seconds S] [--concurrency C] [--processes P]",
  );
  process.exit(2);
}
const log = (name: string) => (s: string) => console.log(`[${name}] ${s}`);

const target = `${process.env.DATABASE_URL ? "PostgreSQL at DATABASE_URL" : "embedded PostgreSQL"}${process.env.REDIS_URL ? " + Redis" : ""}`;
const rows: Row[] = [];
rows.push(...(await benchProvision({ tenants, concurrency, log: log("provision") })));
rows.push(
  ...(await benchResolution({ tenants: Number(values["resolution-tenants"]), log: log("resolution") })),
);
rows.push(...(await benchMiddleware({ iterations: 3000, log: log("middleware") })));
rows.push(...(await benchPooler({ pooler: values.pooler, iterations: 2000, log: log("pooler") })));
rows.push(...(await benchRealtime({ subscribers: 500, messages: 200, log: log("realtime") })));
rows.push(
  ...(await benchSearch({
    messages: Number(values["search-messages"]),
    small: 10_000,
    iterations: 40,
    log: log("search"),
  })),
);
const load = await runLoad({
  tenants: 100,
  users: 3,
  durationS: Number(values["load-seconds"]),
  concurrency: 32,
  processes: Number(values.processes),
  log: log("load"),
});
rows.push(...load.rows);
// Fault drills under load: what failed while the fault lasted, how fast it recovered, and that
// nothing acknowledged was lost (the rows of each drill, with its name).
const drills: Drill[] = [
  "pg-outage",
  "pg-restart",
  "sigterm",
  ...(process.env.REDIS_URL ? (["redis"] as const) : []),
];
if (process.env.REDIS_CLUSTER_URL) drills.push("redis-cluster-node");
const KEPT =
  /^(requests made|acknowledged sends stored|unacknowledged but stored|usage: messages_sent|errors|missing)/;
for (const drill of drills) {
  const run = await runLoad({
    tenants: 8,
    users: 2,
    durationS: 30,
    concurrency: 12,
    processes: 2,
    outageS: 10,
    drill,
    log: log(`drill ${drill}`),
  });
  for (const r of run.rows)
    if (r.bench === "drill" || KEPT.test(r.metric)) rows.push({ ...r, bench: `drill ${drill}` });
  rows.push({
    bench: `drill ${drill}`,
    metric: "checks",
    value: run.failures.length ? "FAILED" : "OK",
    note: run.failures.join("; ") || "every acknowledged send stored once; usage equal; streams complete",
  });
}
const scaleTenants = Number(values["scale-tenants"]);
rows.push(...(await benchScale({ tenants: scaleTenants, requests: scaleTenants, log: log("scale") })));
printTable(`nchat benchmarks — ${target}, ${new Date().toISOString().slice(0, 10)}`, rows);
