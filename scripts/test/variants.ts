// The unit and integration suites once more in the configurations production runs, after the main
// run of `pnpm test:all`:
// - the app role behind a transaction pooler (PgBouncer pool_mode=transaction) — when
//   TEST_TRANSACTION_POOLER names one (scripts/ci/pgbouncer.sh starts one);
// - Redis Cluster for everything Redis does — when REDIS_CLUSTER_URL names a seed node
//   (scripts/ci/redis-cluster.sh starts one).
// In CI (CI=true) both are required; elsewhere a missing one is reported as not run.
import { spawnSync } from "node:child_process";

type Variant = { name: string; needs: string; env: Record<string, string>; paths: string[] };

const pooler = process.env.TEST_TRANSACTION_POOLER;
const cluster = process.env.REDIS_CLUSTER_URL;
const variants: (Variant & { available: boolean })[] = [
  {
    name: "app role through a transaction pooler",
    needs: "TEST_TRANSACTION_POOLER",
    available: !!pooler,
    env: { TEST_APP_VIA_POOLER: "true" },
    paths: ["packages/db", "packages/api"],
  },
  {
    name: "Redis Cluster",
    needs: "REDIS_CLUSTER_URL",
    available: !!cluster,
    env: { REDIS_URL: cluster ?? "", REDIS_CLUSTER: "true" },
    paths: ["packages/api"],
  },
];

let failed = false;
for (const v of variants) {
  if (!v.available) {
    const message = `suite variant NOT RUN: ${v.name} (set ${v.needs}; see .ci/run)`;
    if (process.env.CI) {
      console.error(message);
      failed = true;
    } else console.warn(`\n${message}\n`);
    continue;
  }
  console.log(`\n== suite variant: ${v.name}\n`);
  const result = spawnSync("pnpm", ["vitest", "run", ...v.paths], {
    stdio: "inherit",
    env: { ...process.env, ...v.env },
  });
  if (result.status !== 0) {
    console.error(`suite variant FAILED: ${v.name}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
