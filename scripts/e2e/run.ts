/**
 * The browser-test harness (vitest globalSetup of vitest.e2e.config.ts, `pnpm test:e2e`):
 *
 *  1. a scratch database (on DATABASE_URL's server, or an embedded PostgreSQL) with the control-plane
 *     migrations, and a seeded super admin;
 *  2. both apps built once with `next build` (base domain "localhost"; skipped when nothing changed
 *     since the last e2e build — E2E_REBUILD=1 forces it);
 *  3. `next start` for web and admin on free ports, each behind a TLS front (production builds issue
 *     https links and Secure cookies), health-checked;
 *  4. specs run (apps/web/e2e and apps/admin/e2e); then everything is stopped and the database dropped.
 *
 * Billing is offline. A spec that needs Stripe asks the Stripe control server (stripe-control.ts)
 * for a second pair of apps billing through a fake Stripe, on a database of their own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { join, relative, resolve } from "node:path";
import { createServices, SYSTEM } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { createDatabase, migratePublic } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import type { TestProject } from "vitest/node";
import type { E2EConfig } from "./config";
import { startStripeControl } from "./stripe-control";
import { selfSignedCert, startTlsProxy, type TlsProxy } from "./tls-proxy";

const ROOT = resolve(import.meta.dirname, "../..");
const ARTIFACTS = join(ROOT, "test-artifacts", "e2e");
const BASE_DOMAIN = "localhost";
const CHROMIUM = process.env.E2E_CHROMIUM ?? "/usr/bin/chromium";
/** E2E_APPS=web runs the web app only (e.g. while the admin app does not build); default both. */
const APPS = [
  { name: "web", dir: join(ROOT, "apps/web") },
  { name: "admin", dir: join(ROOT, "apps/admin") },
].filter((a) => !process.env.E2E_APPS || process.env.E2E_APPS.split(",").includes(a.name));

const log = (s: string) => console.log(`[e2e] ${s}`);

export default async function setup(project: TestProject) {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `e2e: no Chromium at ${CHROMIUM}. Install it: apt-get install -y chromium (or set E2E_CHROMIUM).`,
    );
  mkdirSync(join(ARTIFACTS, "logs"), { recursive: true });
  mkdirSync(join(ARTIFACTS, "screens"), { recursive: true });

  const cleanups: (() => Promise<void>)[] = [];
  // One e2e run at a time on this machine: runs share the apps' build output (and 2 cores).
  cleanups.push(await acquireRunLock());
  const teardown = async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => console.warn("[e2e] cleanup failed:", e));
  };
  try {
    // 1. Database
    const scratch = await createScratchDatabase(process.env.DATABASE_URL, "e2e");
    cleanups.push(() => scratch.drop());
    log(`database ${scratch.embedded ? "(embedded PostgreSQL)" : "(DATABASE_URL server)"} ready`);
    const db = createDatabase({
      adminUrl: scratch.adminUrl,
      rolePrefix: scratch.rolePrefix,
      appPassword: scratch.appPassword,
    });
    await migratePublic(db);
    await db.close();
    log("control-plane migrations applied");

    const smtpPort = await freePort();
    const env: Record<string, string> = {
      NODE_ENV: "production",
      DATABASE_URL: scratch.adminUrl,
      // Production refuses to start without an explicit billing mode; these runs use offline billing.
      BILLING_MODE: "offline",
      DB_ROLE_PREFIX: scratch.rolePrefix,
      DATABASE_APP_PASSWORD: scratch.appPassword,
      MASTER_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      ENABLE_MULTI_TENANCY: "true",
      NEXT_PUBLIC_BASE_DOMAIN: BASE_DOMAIN,
      // Domains can be added (no DNS lookup happens until someone presses "Verify now").
      ENABLE_CUSTOM_DOMAINS: "true",
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      // Mail goes to an SMTP server a spec starts on this port when it reads mail (TestSmtp from
      // packages/api/src/mail/test-kit.ts); until one listens, sends fail and are retried.
      SMTP_URL: `smtp://mailer:smtp-test-secret@127.0.0.1:${smtpPort}`,
      MAIL_FROM: "nchat e2e <mail@e2e.test>",
      QUEUE_POLL_SECONDS: "0.5",
      MAIL_RETRY_DELAY_SECONDS: "1",
    };

    const superAdmin = { email: "root@e2e.test", name: "E2E Super Admin", password: "e2e-admin-password-1" };
    const services = await createServices(loadEnv({ ...env, NODE_ENV: "test" }), { crossProcess: false });
    try {
      await services.superAdmins.create(superAdmin, SYSTEM);
    } finally {
      await services.close();
    }
    log(`super admin ${superAdmin.email} seeded`);

    // 2. Builds
    for (const app of APPS) await buildIfNeeded(app.name, app.dir);

    // 3. Servers behind TLS
    const cert = selfSignedCert(join(ARTIFACTS, "tls"));
    const ports: Record<string, { internal: number; proxy: TlsProxy }> = {};
    for (const app of APPS) {
      const internal = await freePort();
      const child = startApp(app.name, app.dir, internal, env);
      cleanups.push(() => stopGroup(child));
      const proxy = await startTlsProxy({ targetPort: internal, cert });
      cleanups.push(() => proxy.close());
      ports[app.name] = { internal, proxy };
    }
    for (const app of APPS) await waitForHealth(app.name, ports[app.name]!.internal);

    // Apps billing through a fake Stripe, started when a spec asks (stripe-control.ts).
    const stripeControl = await startStripeControl({
      baseDomain: BASE_DOMAIN,
      async database() {
        const own = await createScratchDatabase(process.env.DATABASE_URL, "e2estripe");
        cleanups.push(() => own.drop());
        const ownDb = createDatabase({
          adminUrl: own.adminUrl,
          rolePrefix: own.rolePrefix,
          appPassword: own.appPassword,
        });
        await migratePublic(ownDb);
        await ownDb.close();
        const ownEnv = {
          ...env,
          DATABASE_URL: own.adminUrl,
          DB_ROLE_PREFIX: own.rolePrefix,
          DATABASE_APP_PASSWORD: own.appPassword,
        };
        const ownServices = await createServices(loadEnv({ ...ownEnv, NODE_ENV: "test" }), {
          crossProcess: false,
        });
        try {
          await ownServices.superAdmins.create(superAdmin, SYSTEM);
        } finally {
          await ownServices.close();
        }
        log("Stripe database ready");
        return ownEnv;
      },
      async app(name, appEnv) {
        const app = { web: join(ROOT, "apps/web"), admin: join(ROOT, "apps/admin") }[name];
        // An app this run already started keeps its build: rebuilding its output under the running
        // server (when sources changed since) would break it. Only an app not started yet is built.
        if (!APPS.some((a) => a.name === name)) await buildIfNeeded(name, app);
        const internal = await freePort();
        const child = startApp(`${name}-stripe`, app, internal, appEnv);
        cleanups.push(() => stopGroup(child));
        const proxy = await startTlsProxy({ targetPort: internal, cert });
        cleanups.push(() => proxy.close());
        await waitForHealth(`${name}-stripe`, internal);
        return { internal, tls: proxy.port };
      },
    });
    cleanups.push(() => stripeControl.close());

    const web = ports.web;
    const admin = ports.admin;
    const config: E2EConfig = {
      webUrl: web ? `https://${BASE_DOMAIN}:${web.proxy.port}` : "",
      webPort: web?.proxy.port ?? 0,
      adminUrl: admin ? `https://${BASE_DOMAIN}:${admin.proxy.port}` : "",
      adminPort: admin?.proxy.port ?? 0,
      internal: { web: web?.internal ?? 0, admin: admin?.internal ?? 0 },
      baseDomain: BASE_DOMAIN,
      superAdmin,
      env,
      artifactsDir: ARTIFACTS,
      chromiumPath: CHROMIUM,
      smtpPort,
      stripeControl: stripeControl.url,
    };
    project.provide("e2e", config);
    log(`web ${config.webUrl} · admin ${config.adminUrl} · logs in test-artifacts/e2e/logs`);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}

// ─── one run at a time ──────────────────────────────────────────────────────────────────────────

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Waits until no other e2e run holds the lock (a file holding its pid; a dead holder's lock is
 * taken over), takes it, and returns its release.
 */
async function acquireRunLock(timeoutMs = 45 * 60_000): Promise<() => Promise<void>> {
  const file = join(ARTIFACTS, "run.lock");
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return async () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(readFileSync(file, "utf8").trim());
      if (!holder || !alive(holder)) {
        rmSync(file, { force: true });
        continue;
      }
      if (!told) log(`waiting for another e2e run (pid ${holder}) to finish …`);
      told = true;
      if (Date.now() > deadline) throw new Error(`e2e: another run (pid ${holder}) still holds ${file}`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

// ─── builds ───────────────────────────────────────────────────────────────────────────────────────

const IGNORED = new Set(["node_modules", ".next", ".turbo", "e2e", "test-artifacts", ".data"]);

/** Size and mtime of every source file an app build depends on (the app, the packages, the lockfile). */
function fingerprint(appDir: string): string {
  const h = createHash("sha256");
  h.update(`base=${BASE_DOMAIN}\n`);
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (IGNORED.has(entry.name) || entry.name.endsWith(".tsbuildinfo")) continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const s = statSync(p);
        h.update(`${relative(ROOT, p)}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  walk(appDir);
  walk(join(ROOT, "packages"));
  for (const f of ["pnpm-lock.yaml", "package.json", "tsconfig.base.json"]) {
    const s = statSync(join(ROOT, f));
    h.update(`${f}:${s.size}:${s.mtimeMs}\n`);
  }
  return h.digest("hex");
}

async function buildIfNeeded(name: string, dir: string) {
  const stampFile = join(dir, ".next", "e2e-build.json");
  const buildIdFile = join(dir, ".next", "BUILD_ID");
  const print = fingerprint(dir);
  if (!process.env.E2E_REBUILD && existsSync(stampFile) && existsSync(buildIdFile)) {
    const stamp = JSON.parse(readFileSync(stampFile, "utf8")) as { fingerprint: string; buildId: string };
    if (stamp.fingerprint === print && stamp.buildId === readFileSync(buildIdFile, "utf8").trim()) {
      log(`${name}: build is current, not rebuilding`);
      return;
    }
  }
  log(`${name}: next build …`);
  const started = Date.now();
  const logFile = join(ARTIFACTS, "logs", `${name}-build.log`);
  const out = createWriteStream(logFile);
  const env = {
    ...cleanEnv(),
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    NEXT_PUBLIC_BASE_DOMAIN: BASE_DOMAIN,
  };
  const code = await new Promise<number | null>((res) => {
    const child = spawn("pnpm", ["exec", "next", "build"], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    // "close", not "exit": output may still be in the pipes when the process exits.
    child.on("close", res);
  });
  out.end();
  if (code !== 0) {
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n");
    throw new Error(`e2e: ${name} build failed (exit ${code}); see ${relative(ROOT, logFile)}\n${tail}`);
  }
  writeFileSync(
    stampFile,
    JSON.stringify({ fingerprint: print, buildId: readFileSync(buildIdFile, "utf8").trim() }),
  );
  log(`${name}: built in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** The parent environment without anything that would change what the apps do (Stripe, DB, …). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (
      /^(DATABASE_|DB_ROLE_PREFIX|REDIS_URL|STRIPE_|BILLING_MODE|MASTER_ENCRYPTION_KEY|NEXT_PUBLIC_|ENABLE_|DISABLE_|DEFAULT_TENANT|ALLOWED_CUSTOM|EMBEDDED_PG|SMTP_|MAIL_|QUEUE_|VITEST|TEST|NODE_OPTIONS)/.test(
        k,
      )
    )
      continue;
    env[k] = v;
  }
  return env;
}

// ─── servers ──────────────────────────────────────────────────────────────────────────────────────

/**
 * The app's production server (`pnpm start`: serveNext) on localhost, behind the TLS front, which
 * it trusts for the client's address (TRUST_PROXY=1). Next.js treats a middleware rewrite as internal
 * only when its origin is the server's own (HOST), and the proxy's rewrites are built from
 * request.nextUrl, whose host is "localhost" — with 127.0.0.1 every tenant page would be proxied
 * out and fail.
 */
function startApp(name: string, dir: string, port: number, appEnv: Record<string, string>): ChildProcess {
  const out = createWriteStream(join(ARTIFACTS, "logs", `${name}.log`));
  const child = spawn("pnpm", ["run", "start"], {
    cwd: dir,
    env: { ...cleanEnv(), ...appEnv, PORT: String(port), HOST: "localhost", TRUST_PROXY: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    // Own process group: stopping it stops pnpm, next and its server.
    detached: true,
  });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  child.on("exit", (code, signal) => {
    if (!stopping.has(child)) console.warn(`[e2e] ${name} exited early (code ${code}, signal ${signal})`);
  });
  // Its output ends when the pipes close (after the whole process group), not at the exit of pnpm:
  // writing after `end` would crash the run.
  child.on("close", () => out.end());
  return child;
}

const stopping = new Set<ChildProcess>();

async function stopGroup(child: ChildProcess): Promise<void> {
  stopping.add(child);
  const pgid = child.pid;
  if (!pgid) return;
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

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

async function waitForHealth(name: string, port: number, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://localhost:${port}/api/health`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) {
        log(`${name} is up on localhost:${port}`);
        return;
      }
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `e2e: ${name} did not become healthy in ${timeoutMs / 1000} s (${last}); see test-artifacts/e2e/logs/${name}.log`,
  );
}
