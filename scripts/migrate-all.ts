// `pnpm migrate-all [--concurrency N]`: applies pending tenant migrations to every tenant, N at a
// time (default 4). Resumable; a failing tenant is reported and the others go on; exit code 1 if any failed.
import { parseArgs } from "node:util";
import { databaseConfig } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { createDatabase, migrateAllTenants } from "@nchat/db";
import { prepareRuntime } from "./lib/runtime";

const { values } = parseArgs({ options: { concurrency: { type: "string", default: "4" } } });
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
  console.error("--concurrency must be an integer from 1 to 64");
  process.exit(2);
}

const runtime = await prepareRuntime();
const db = createDatabase(databaseConfig(loadEnv(process.env)));
const tty = process.stdout.isTTY;
try {
  const result = await migrateAllTenants(db, {
    concurrency,
    onProgress: (p) => {
      if (tty)
        process.stdout.write(`\r  ${p.done}/${p.total} tenants  ${p.applied} applied  ${p.failed} failed `);
      else if (p.done === p.total || p.done % 500 === 0)
        console.log(`${p.done}/${p.total} tenants, ${p.failed} failed`);
    },
  });
  if (tty) process.stdout.write("\n");
  for (const f of result.failures) console.error(`  FAILED ${f.slug} (${f.tenantId}): ${f.error}`);
  console.log(
    `migrate-all: ${result.total} tenants, ${result.applied} migrations applied, ${result.failed} failed, ${(result.ms / 1000).toFixed(1)} s`,
  );
  process.exitCode = result.failed ? 1 : 0;
} finally {
  await db.close();
  await runtime.stop();
}
