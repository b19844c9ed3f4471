// `pnpm domains:verify [--concurrency N]`: looks up the TXT record of every verified custom domain
// again, N at a time (default 8). A domain whose record disappeared or changed is marked failed (it
// stops resolving; audited as the system); a lookup error leaves it verified. Exit code 0 either way.
import { parseArgs } from "node:util";
import { prepareRuntime } from "./lib/runtime";
import { servicesFromEnv } from "./lib/services";

const { values } = parseArgs({ options: { concurrency: { type: "string", default: "8" } } });
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
  console.error("--concurrency must be an integer from 1 to 64");
  process.exit(2);
}

const runtime = await prepareRuntime();
const services = await servicesFromEnv();
try {
  const started = Date.now();
  const result = await services.domains.recheckAll({ concurrency });
  for (const d of result.lost) console.error(`  LOST ${d}`);
  for (const d of result.inconclusive) console.error(`  LOOKUP FAILED ${d} (kept verified)`);
  console.log(
    `domains:verify: ${result.checked} verified domain(s) checked, ${result.stillVerified} still verified, ${result.lost.length} lost, ${result.inconclusive.length} lookup(s) failed, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  process.exitCode = 0;
} finally {
  await services.close();
  await runtime.stop();
}
