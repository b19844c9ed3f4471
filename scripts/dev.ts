// `pnpm dev`: the whole product on this machine — embedded PostgreSQL (unless DATABASE_URL is set),
// migrations, demo data, the tenant web app on :3000 and the admin app on :3001.
import { type ChildProcess, spawn } from "node:child_process";
import { portInUse, prepareRuntime, ROOT } from "./lib/runtime";
import { DEMO, seedDemo } from "./lib/seed";
import { migrateEverything, servicesFromEnv } from "./lib/services";

const log = (s: string) => console.log(`[dev] ${s}`);

const WEB_PORT = 3000;
const ADMIN_PORT = 3001;
for (const port of [WEB_PORT, ADMIN_PORT]) {
  if (await portInUse(port)) {
    console.error(`[dev] port ${port} is in use — is another \`pnpm dev\` running? Stop it first.`);
    process.exit(1);
  }
}

const runtime = await prepareRuntime({ log });
await migrateEverything(log);
const services = await servicesFromEnv();
await seedDemo(services);
await services.close();

const base = process.env.NEXT_PUBLIC_BASE_DOMAIN || "localhost";
const appEnv = {
  ...process.env,
  ...runtime.env,
  ENABLE_MULTI_TENANCY: process.env.ENABLE_MULTI_TENANCY ?? "true",
  NEXT_PUBLIC_BASE_DOMAIN: base,
  NEXT_TELEMETRY_DISABLED: "1",
};
const children: ChildProcess[] = (
  [
    ["@nchat/web", WEB_PORT],
    ["@nchat/admin", ADMIN_PORT],
  ] as const
).map(([app, port]) =>
  spawn("pnpm", ["--filter", app, process.env.DEV_MODE === "production" ? "start" : "dev"], {
    cwd: ROOT,
    env: { ...appEnv, PORT: String(port) },
    stdio: "inherit",
    // Own process group: stopping it stops pnpm, next and the server it forks.
    detached: true,
  }),
);

console.log(`
  nchat is starting${runtime.embedded ? " (embedded PostgreSQL, in-process cache and limits, offline billing)" : ""}

  Tenant app     http://demo.${base}:3000      sign in: ${DEMO.owner.email} / ${DEMO.owner.password}
  Sign-up        http://${base}:3000
  Admin app      http://${base}:3001           sign in: ${DEMO.superAdmin.email} / ${DEMO.superAdmin.password}

  Data lives in .data/ and survives restarts. Ctrl+C stops everything.
`);

let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => stopGroup(c.pid!)));
  await runtime.stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
for (const c of children) c.on("exit", (code) => void (stopping || shutdown(code ?? 1)));

/** SIGTERM a child's process group, then SIGKILL whatever is left after 5 s. */
async function stopGroup(pgid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(-pgid, "SIGTERM");
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(-pgid, "SIGKILL");
}
