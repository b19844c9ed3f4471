/**
 * A production install as docs/deployment.md describes it, on the build the e2e setup made:
 * `pnpm start --migrate` (two web workers) behind the shipped Caddy front (deploy/Caddyfile, Debian's
 * caddy) with Caddy's own CA (`local_certs`) in place of a public ACME CA. A workspace signs up and
 * chats over HTTPS on its subdomain; its verified custom domain gets a certificate on first use and
 * serves it; an unverified domain and an unknown name get none (the app's /api/tls/ask refuses them).
 * Certificates are checked against Caddy's root, not ignored. A worker that dies is replaced while the
 * other serves; SIGTERM drains everything to exit 0. And: a production environment with development
 * defaults is refused before anything listens; START_MIGRATE=true (the environment's `--migrate`)
 * migrates an empty database before the workers start.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { connect as connectTcp, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { DomainService, type Services, SYSTEM } from "@nchat/api";
import { connect } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CHROMIUM_ARGS,
  e2e,
  harnessServices,
  LONG,
  newUserContext,
  screenshot,
  screenshotOnFailure,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const ROOT = join(import.meta.dirname, "../../..");
const CADDY = "/usr/bin/caddy";

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

/** A child process with its output collected and its exit awaited. */
function run(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (d: Buffer) => {
    output += d;
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  return { child, exited, output: () => output };
}

/** `pnpm start`'s command (package.json "start"), with this environment. */
const start = (env: Record<string, string>, args: string[] = []) =>
  run(process.execPath, ["--import", "tsx", "scripts/start.ts", ...args], env);

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 120_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const healthy = async (port: number) => {
  try {
    const res = await fetch(`http://localhost:${port}/api/health`, { signal: AbortSignal.timeout(3_000) });
    return res.ok ? true : undefined;
  } catch {
    return undefined;
  }
};

const listening = (port: number) =>
  new Promise<true | undefined>((res) => {
    const s = connectTcp({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(undefined));
  });

/** A TLS handshake with `name` (SNI) verified against Caddy's root: the certificate's names, or the error. */
function handshake(
  port: number,
  name: string,
  ca: Buffer,
): Promise<{ ok: true; names: string } | { ok: false; error: string }> {
  return new Promise((res) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: name, ca, timeout: 30_000 });
    socket.once("secureConnect", () => {
      const names = socket.getPeerCertificate().subjectaltname ?? "";
      socket.destroy();
      res({ ok: true, names });
    });
    socket.once("error", (err) => res({ ok: false, error: err.message }));
    socket.once("timeout", () => {
      socket.destroy();
      res({ ok: false, error: "timeout" });
    });
  });
}

/** GET https://<name>:<port><path> through Caddy (name → 127.0.0.1), verified against Caddy's root. */
function get(
  port: number,
  name: string,
  path: string,
  ca: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path,
        servername: name,
        headers: { host: `${name}:${port}` },
        ca,
        timeout: 60_000,
      },
      (r) => {
        let body = "";
        r.setEncoding("utf8");
        r.on("data", (d) => {
          body += d;
        });
        r.on("end", () => res({ status: r.statusCode ?? 0, body }));
      },
    );
    req.on("error", rej);
    req.end();
  });
}

describe("a production install (pnpm start behind Caddy)", () => {
  it("refuses a production environment with development defaults, naming each problem", async () => {
    const { MASTER_ENCRYPTION_KEY: _key, DATABASE_APP_PASSWORD: _pw, ...rest } = e2e().env;
    const refused = start({
      ...rest,
      WEB_PORT: String(await freePort()),
      ADMIN_PORT: String(await freePort()),
    });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/MASTER_ENCRYPTION_KEY is not set/);
    expect(refused.output()).toMatch(/DATABASE_APP_PASSWORD is the development default/);
  });

  it("START_MIGRATE=true migrates an empty database before serving", async () => {
    // A database of its own, empty: nothing but `pnpm start` could create its tables (the apps never migrate).
    const fresh = await createScratchDatabase(e2e().env.DATABASE_URL, "startmig");
    try {
      const started = start({
        ...e2e().env,
        DATABASE_URL: fresh.adminUrl,
        DB_ROLE_PREFIX: fresh.rolePrefix,
        DATABASE_APP_PASSWORD: fresh.appPassword,
        START_MIGRATE: "true",
        WEB_PORT: String(await freePort()),
        ADMIN_PORT: String(await freePort()),
        WEB_WORKERS: "1",
        ADMIN_WORKERS: "1",
      });
      // Workers are forked after the migrations: stop as soon as they are (no need to serve).
      await until("the workers to be forked", () => {
        if (started.child.exitCode !== null) throw new Error(`pnpm start exited:\n${started.output()}`);
        return /\[start\] admin: 1 worker\(s\)/.test(started.output()) ? true : undefined;
      });
      started.child.kill("SIGTERM");
      await started.exited;
      expect(started.output()).toMatch(/migrations: control plane current; 0 tenant schema\(s\)/);
      const db = connect(fresh.adminUrl, { max: 1, name: "start-migrate-check" });
      try {
        const [row] = await db<{ tenants: string | null; queue: string | null; role: string | null }[]>`
          select to_regclass('public.tenants')::text as tenants,
                 (select nspname::text from pg_namespace where nspname = 'pgboss') as queue,
                 (select rolname::text from pg_roles where rolname = ${`${fresh.rolePrefix}_app`}) as role`;
        expect(row).toEqual({ tenants: "tenants", queue: "pgboss", role: `${fresh.rolePrefix}_app` });
      } finally {
        await db.end();
      }
    } finally {
      await fresh.drop();
    }
  });

  describe.skipIf(!existsSync(CADDY))("serving", () => {
    let services: Services;
    let browser: Browser;
    let page: Page;
    let server: ReturnType<typeof start>;
    let caddy: ReturnType<typeof run>;
    let storage = "";
    let webPort = 0;
    let httpsPort = 0;
    let root: Buffer;
    const slug = uniqueSlug("prod");
    const custom = `chat.${slug}.example`;
    const pending = `pending.${slug}.example`;
    const base = () => `https://${e2e().baseDomain}:${httpsPort}`;
    screenshotOnFailure(() => (page ? [page] : []));

    beforeAll(async () => {
      webPort = await freePort();
      const adminPort = await freePort();
      server = start(
        {
          ...e2e().env,
          HOST: "localhost",
          WEB_PORT: String(webPort),
          ADMIN_PORT: String(adminPort),
          WEB_WORKERS: "2",
          ADMIN_WORKERS: "1",
          TRUST_PROXY: "1",
          SHUTDOWN_GRACE_MS: "5000",
        },
        ["--migrate"],
      );
      await until("the web app", () => healthy(webPort));
      await until("the admin app", () => healthy(adminPort));

      storage = mkdtempSync(join(tmpdir(), "nchat-caddy-"));
      httpsPort = await freePort();
      caddy = run(CADDY, ["run", "--config", "deploy/Caddyfile", "--adapter", "caddyfile"], {
        HOME: storage,
        BASE_DOMAIN: e2e().baseDomain,
        WEB_UPSTREAM: `localhost:${webPort}`,
        ADMIN_UPSTREAM: `localhost:${adminPort}`,
        HTTP_PORT: String(await freePort()),
        HTTPS_PORT: String(httpsPort),
        CADDY_GLOBAL_OPTIONS: `local_certs\n\tskip_install_trust\n\tadmin off\n\tstorage file_system ${storage}`,
      });
      const rootFile = join(storage, "pki/authorities/local/root.crt");
      await until("Caddy", async () => {
        if (caddy.child.exitCode !== null) throw new Error(`caddy exited:\n${caddy.output()}`);
        return (await listening(httpsPort)) && existsSync(rootFile) ? true : undefined;
      });
      root = readFileSync(rootFile);

      services = await harnessServices();
      // Custom domains resolve to this machine; the certificate checks are the Node requests' (below).
      browser = await chromium.launch({
        executablePath: e2e().chromiumPath,
        args: [...CHROMIUM_ARGS, "--host-resolver-rules=MAP *.example 127.0.0.1"],
        timeout: 120_000,
      });
    });

    afterAll(async () => {
      await browser?.close();
      await services?.close();
      caddy?.child.kill("SIGTERM");
      if (server && server.child.exitCode === null) server.child.kill("SIGKILL");
      // The servers' own logs, for a failure's cause (the browser only shows an error page).
      if (server)
        writeFileSync(join(e2e().artifactsDir, "logs", "production-install-start.log"), server.output());
      if (caddy)
        writeFileSync(join(e2e().artifactsDir, "logs", "production-install-caddy.log"), caddy.output());
      if (storage) rmSync(storage, { recursive: true, force: true });
    });

    it("migrates when told, then a new workspace signs up and chats over HTTPS on its subdomain", async () => {
      expect(server.output()).toMatch(/migrations: control plane current/);
      expect(server.output().match(/\[start\] web worker \d+ started/g)).toHaveLength(2);
      const ctx = await newUserContext(browser);
      page = await ctx.newPage();
      await page.goto(`${base()}/signup`);
      await page.getByLabel("Organization name").fill("Production Install");
      await page.getByLabel("Workspace address").fill(slug);
      await page.getByTestId("slug-status").getByText("is available").waitFor(LONG);
      await page.getByLabel("Your name").fill("Pat Production");
      await page.getByLabel("Work email").fill("pat@prod.test");
      await page.getByLabel("Password").fill("production-password-1");
      await page.getByRole("button", { name: "Create workspace" }).click();
      await page.waitForURL(
        (u) => u.hostname === `${slug}.${e2e().baseDomain}` && u.protocol === "https:",
        LONG,
      );
      await page.getByTestId("channel-title").getByText("general").waitFor(LONG);
      const composer = page.getByTestId("composer");
      await composer.click();
      await composer.fill("served by pnpm start behind Caddy");
      await composer.press("Enter");
      await page
        .getByTestId("message")
        .filter({ hasText: "served by pnpm start behind Caddy" })
        .waitFor(LONG);
      await page.reload(); // stored: there after a reload (either worker)
      await page
        .getByTestId("message")
        .filter({ hasText: "served by pnpm start behind Caddy" })
        .waitFor(LONG);
      await screenshot(page, "production-install-subdomain");

      const subdomain = `${slug}.${e2e().baseDomain}`;
      const hello = await handshake(httpsPort, subdomain, root);
      expect(hello, caddy.output()).toMatchObject({ ok: true });
      if (hello.ok) expect(hello.names).toContain(`DNS:${subdomain}`);
    });

    it("a verified custom domain gets a certificate on first use and serves the workspace", async () => {
      const signedUp = await services.resolver.bySlug(slug);
      if (!signedUp) throw new Error(`${slug} does not resolve`);
      // Room for a browser's requests: Free allows 30 a minute per person, a page load spends ~10.
      await services.tenants.updateTenant(signedUp.id, { billingPlan: "enterprise" }, SYSTEM);
      await services.resolver.invalidate({ slug });
      const tenant = (await services.resolver.bySlug(slug)) ?? signedUp;
      const published = new Map<string, string>();
      const domains = new DomainService({
        db: services.db,
        config: { enabled: true, allowlist: [], baseDomain: e2e().baseDomain },
        // The TXT records this test "publishes" (the DNS lookup itself is covered by the domain tests).
        resolveTxt: async (name) => {
          const value = published.get(name);
          if (!value) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: "ENOTFOUND" });
          return [[value]];
        },
        onTenantChanged: (t) => services.resolver.invalidate(t),
      });
      const ref = { ...tenant, slug: tenant.slug };
      const claim = await domains.addDomain(ref, custom, SYSTEM);
      published.set(claim.record.name, claim.record.value);
      expect((await domains.verifyDomain(ref, claim.id, SYSTEM)).status).toBe("verified");
      await domains.addDomain(ref, pending, SYSTEM); // never verified

      const hello = await until("a certificate for the custom domain", async () => {
        const h = await handshake(httpsPort, custom, root);
        return h.ok ? h : undefined;
      });
      expect(hello.names).toContain(`DNS:${custom}`);
      const login = await get(httpsPort, custom, "/login", root);
      expect(login.status).toBe(200);
      expect(login.body).toContain("Production Install");

      const ctx = await newUserContext(browser);
      const onCustom = await ctx.newPage();
      await onCustom.goto(`https://${custom}:${httpsPort}/login`);
      await onCustom.getByLabel("Email").fill("pat@prod.test");
      await onCustom.getByLabel("Password").fill("production-password-1");
      await onCustom.getByRole("button", { name: "Sign in" }).click();
      await onCustom
        .getByTestId("message")
        .filter({ hasText: "served by pnpm start behind Caddy" })
        .waitFor(LONG);
      await screenshot(onCustom, "production-install-custom-domain");
      await ctx.close();
    });

    it("an unverified domain and an unknown name get no certificate", async () => {
      expect(await handshake(httpsPort, pending, root)).toMatchObject({ ok: false });
      expect(await handshake(httpsPort, `nobody-${slug}.example`, root)).toMatchObject({ ok: false });
      expect(existsSync(join(storage, "certificates/local", pending))).toBe(false);
    });

    it("replaces a worker that dies while the other keeps serving", async () => {
      const pids = [...server.output().matchAll(/\[start\] web worker (\d+) started/g)].map((m) =>
        Number(m[1]),
      );
      const victim = pids[0];
      if (!victim) throw new Error("no web worker pid in the output");
      process.kill(victim, "SIGKILL");
      await until("the replacement", () =>
        (server.output().match(/\[start\] web worker \d+ started/g)?.length ?? 0) >= 3 ? true : undefined,
      );
      expect(server.output()).toMatch(
        new RegExp(`web worker ${victim} exited with SIGKILL; starting another`),
      );
      expect(await healthy(webPort)).toBe(true); // the other worker serves meanwhile
      const ready = `ready on http://localhost:${webPort}`;
      await until("the replacement to serve", () =>
        server.output().split(ready).length - 1 >= 3 ? true : undefined,
      );
    });

    it("drains every worker on SIGTERM and exits 0", async () => {
      server.child.kill("SIGTERM");
      expect(await server.exited, server.output()).toBe(0);
      expect(server.output()).toMatch(/\[start\] SIGTERM: draining 3 worker\(s\)/);
      expect(server.output()).toMatch(/\[start\] stopped/);
      expect(await healthy(webPort)).toBeUndefined();
    });
  });
});
