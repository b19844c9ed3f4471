// Runs the browser tests when a Chromium is available. In CI (CI=true) a missing Chromium is an
// error; on a developer machine without one, the browser tests are reported as not run.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const chromium = process.env.E2E_CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  const message = `browser tests NOT RUN: no Chromium at ${chromium} (apt-get install -y chromium, or set E2E_CHROMIUM)`;
  if (process.env.CI) {
    console.error(message);
    process.exit(1);
  }
  console.warn(`\n${message}\n`);
  process.exit(0);
}
const result = spawnSync("pnpm", ["test:e2e"], { stdio: "inherit" });
process.exit(result.status ?? 1);
