// `pnpm jobs:run <job>`: runs one scheduled job here and now, through the same handler the queue
// calls, recorded in the run history (trigger "manual", by "command line") and under the job's lock
// (never at the same time as a queued run). Jobs: billing-jobs, billing-reconcile, domains-recheck,
// tenants-purge. Exit code 1 unless the run succeeded (failed, partial, or skipped: a run was going).
import { SCHEDULED_QUEUE_NAMES } from "@nchat/db";
import { prepareRuntime } from "./lib/runtime";
import { servicesFromEnv } from "./lib/services";

const name = process.argv[2];
if (!name || !(SCHEDULED_QUEUE_NAMES as readonly string[]).includes(name)) {
  console.error(`usage: pnpm jobs:run <${SCHEDULED_QUEUE_NAMES.join("|")}>`);
  process.exit(2);
}

const runtime = await prepareRuntime();
const services = await servicesFromEnv();
try {
  const run = await services.scheduledJobs.runHere(name, "command line").catch((err: Error) => {
    console.error(`jobs:run ${name}: failed: ${err.message}`);
    return null;
  });
  if (run) {
    for (const e of run.errors ?? []) console.error(`  FAILED ${e.tenant}: ${e.error}`);
    console.log(
      `jobs:run ${name}: ${run.status} ${JSON.stringify(run.summary ?? {})}${run.error ? ` (${run.error})` : ""}`,
    );
  }
  process.exitCode = run?.status === "ok" ? 0 : 1;
} finally {
  await services.close();
  await runtime.stop();
}
