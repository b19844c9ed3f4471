// `pnpm start [--migrate]`: serves the built web and admin apps in production mode (after `pnpm build`).
// - The environment is validated first: production refuses development defaults and missing secrets
//   (packages/config), and nothing is generated or embedded here — unlike `pnpm dev`.
// - `--migrate` (or START_MIGRATE=true) applies pending migrations before serving; by default they are
//   left to `pnpm db:migrate`, which is safe to run while the previous release still serves.
// - WEB_WORKERS / ADMIN_WORKERS processes per app (node:cluster: each app's workers share its port,
//   WEB_PORT / ADMIN_PORT on HOST). A worker that dies unexpectedly is started again (with a growing
//   pause if it keeps dying); SIGTERM/SIGINT drain every worker (its own graceful shutdown: readiness
//   503, requests finish, usage flushed, pools closed) and exit 0 when all of them did.
// - It runs as `node --import tsx`, not under the tsx command: tsx's own process relays a signal and,
//   when its child has not acknowledged it within 30 ms (a busy machine), kills the child outright.
//   Here SIGTERM reaches this process itself.
import cluster, { type Worker } from "node:cluster";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadEnv } from "@nchat/config";

// Not from ./lib/runtime: that module loads the embedded PostgreSQL, whose exit hook answers SIGTERM with
// process.exit(143) — the primary would leave before its workers drained.
const ROOT = join(import.meta.dirname, "..");

type AppName = "web" | "admin";
const APPS: Record<AppName, { dir: string }> = {
  web: { dir: join(ROOT, "apps/web") },
  admin: { dir: join(ROOT, "apps/admin") },
};

if (cluster.isPrimary) await primary();
else await worker();

async function primary() {
  const { values } = parseArgs({ options: { migrate: { type: "boolean", default: false } } });
  process.env.NODE_ENV = "production";
  let env: ReturnType<typeof loadEnv>;
  try {
    env = loadEnv(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  for (const [name, app] of Object.entries(APPS)) {
    if (!existsSync(join(app.dir, ".next", "BUILD_ID"))) {
      console.error(`The ${name} app is not built: run \`pnpm build\` first.`);
      process.exit(1);
    }
  }
  if (values.migrate || env.START_MIGRATE) {
    const { migrateEverything } = await import("./lib/services");
    await migrateEverything((line) => console.log(`[start] ${line}`));
  }

  const want: Record<AppName, { port: number; workers: number }> = {
    web: { port: env.WEB_PORT, workers: env.WEB_WORKERS },
    admin: { port: env.ADMIN_PORT, workers: env.ADMIN_WORKERS },
  };
  const appOf = new Map<Worker, AppName>();
  const crashes: Record<AppName, number[]> = { web: [], admin: [] };
  let stopping = false;

  const fork = (app: AppName) => {
    const w = cluster.fork({
      NCHAT_APP: app,
      PORT: String(want[app].port),
      HOST: env.HOST,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      // The app's instrumentation handles SIGTERM/SIGINT itself (drain, flush, close).
      NEXT_MANUAL_SIG_HANDLE: "true",
    });
    appOf.set(w, app);
    console.log(`[start] ${app} worker ${w.process.pid} started`);
  };

  cluster.on("exit", (w, code, signal) => {
    const app = appOf.get(w);
    appOf.delete(w);
    if (!app) return;
    if (stopping) {
      if (code !== 0) console.error(`[start] ${app} worker ${w.process.pid} exited with ${code ?? signal}`);
      return;
    }
    // Unexpected: start it again, pausing longer when it keeps dying (at most 30 s).
    const now = Date.now();
    const recent = crashes[app].filter((t) => now - t < 60_000);
    recent.push(now);
    crashes[app] = recent;
    const pause = Math.min(30_000, 500 * 2 ** (recent.length - 1));
    console.error(
      `[start] ${app} worker ${w.process.pid} exited with ${code ?? signal}; starting another in ${pause} ms`,
    );
    setTimeout(() => {
      if (!stopping) fork(app);
    }, pause).unref();
  });

  let exitCode = 0;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`[start] ${signal}: draining ${appOf.size} worker(s)`);
    for (const w of appOf.keys()) w.process.kill(signal);
    // Each worker drains within SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS; past that (and a margin) it is killed.
    const deadline = setTimeout(
      () => {
        for (const w of appOf.keys()) {
          console.error(`[start] worker ${w.process.pid} did not stop in time: killed`);
          w.process.kill("SIGKILL");
        }
        exitCode = 1;
      },
      env.SHUTDOWN_DELAY_MS + env.SHUTDOWN_GRACE_MS + 10_000,
    );
    deadline.unref();
    cluster.on("exit", (_w, code, signal) => {
      // A worker still starting has no handler yet and ends by the signal itself: nothing to drain.
      if (code !== 0 && signal !== "SIGTERM" && signal !== "SIGINT") exitCode = 1;
      if (appOf.size === 0) {
        console.log("[start] stopped");
        process.exit(exitCode);
      }
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  for (const app of Object.keys(want) as AppName[]) {
    for (let i = 0; i < want[app].workers; i++) fork(app);
    console.log(`[start] ${app}: ${want[app].workers} worker(s) on http://${env.HOST}:${want[app].port}`);
  }
}

async function worker() {
  const app = process.env.NCHAT_APP as AppName;
  // The app's own server entry (Next.js behind serveNext), as `pnpm --filter <app> start` runs it.
  await import(join(APPS[app].dir, "server.ts"));
}
