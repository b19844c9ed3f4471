/**
 * The shipped Caddy front (deploy/Caddyfile, Debian's caddy) in front of the production web app, with
 * Caddy's own CA (`local_certs`) instead of a public ACME CA: a workspace's verified custom domain and
 * its subdomain get a certificate on their first request and serve the workspace over HTTPS; an
 * unverified domain and an unknown name get no certificate (the app's /api/tls/ask refuses them).
 * Certificates are checked against Caddy's root, not ignored.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import { connect as connectTcp, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { DomainService, type Services, SYSTEM } from "@nchat/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, e2e, harnessServices, uniqueSlug } from "../../../scripts/e2e/harness";

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

const listening = (port: number) =>
  new Promise<boolean>((res) => {
    const s = connectTcp({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
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

/** GET https://<name><path> through Caddy (name → 127.0.0.1), certificate verified against Caddy's root. */
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

describe.skipIf(!existsSync(CADDY))("Caddy in front (deploy/Caddyfile, on-demand TLS)", () => {
  let services: Services;
  let caddy: ChildProcess;
  let storage: string;
  let httpsPort = 0;
  let caddyLog = "";
  let root: Buffer;
  const slug = uniqueSlug("tls");
  const verified = `chat.${slug}.example`;
  const pending = `pending.${slug}.example`;
  const published = new Map<string, string>();

  beforeAll(async () => {
    services = await harnessServices();
    const { tenant } = await createWorkspace(services, {
      name: "TLS Front Org",
      slug,
      owner: { name: "Tia Tls", email: "tia@tls.test", password: "tls-owner-password-1" },
    });
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
    const claim = await domains.addDomain(ref, verified, SYSTEM);
    published.set(claim.record.name, claim.record.value);
    expect((await domains.verifyDomain(ref, claim.id, SYSTEM)).status).toBe("verified");
    await domains.addDomain(ref, pending, SYSTEM); // never verified

    storage = mkdtempSync(join(tmpdir(), "nchat-caddy-"));
    httpsPort = await freePort();
    const web = e2e().internal.web;
    caddy = spawn(CADDY, ["run", "--config", join(ROOT, "deploy/Caddyfile"), "--adapter", "caddyfile"], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: storage,
        BASE_DOMAIN: e2e().baseDomain,
        WEB_UPSTREAM: `localhost:${web}`,
        ADMIN_UPSTREAM: `localhost:${e2e().internal.admin || web}`,
        HTTP_PORT: String(await freePort()),
        HTTPS_PORT: String(httpsPort),
        CADDY_GLOBAL_OPTIONS: `local_certs\n\tskip_install_trust\n\tadmin off\n\tstorage file_system ${storage}`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    caddy.stdout?.on("data", (d) => {
      caddyLog += d;
    });
    caddy.stderr?.on("data", (d) => {
      caddyLog += d;
    });
    const rootFile = join(storage, "pki/authorities/local/root.crt");
    const deadline = Date.now() + 60_000;
    while (!((await listening(httpsPort)) && existsSync(rootFile))) {
      if (caddy.exitCode !== null) throw new Error(`caddy exited (${caddy.exitCode}):\n${caddyLog}`);
      if (Date.now() > deadline) throw new Error(`caddy did not start:\n${caddyLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    root = readFileSync(rootFile);
  });

  afterAll(async () => {
    caddy?.kill("SIGTERM");
    await services?.close();
    if (storage) rmSync(storage, { recursive: true, force: true });
  });

  it("issues a certificate for a verified custom domain and serves its workspace over HTTPS", async () => {
    const hello = await handshake(httpsPort, verified, root);
    expect(hello, caddyLog).toMatchObject({ ok: true });
    if (hello.ok) expect(hello.names).toContain(`DNS:${verified}`);
    const page = await get(httpsPort, verified, "/login", root);
    expect(page.status).toBe(200);
    expect(page.body).toContain("TLS Front Org");
  });

  it("issues one for the workspace's subdomain too", async () => {
    const name = `${slug}.${e2e().baseDomain}`;
    const hello = await handshake(httpsPort, name, root);
    expect(hello, caddyLog).toMatchObject({ ok: true });
    const page = await get(httpsPort, name, "/login", root);
    expect(page.status).toBe(200);
    expect(page.body).toContain("TLS Front Org");
  });

  it("issues none for an unverified domain or an unknown name", async () => {
    expect(await handshake(httpsPort, pending, root)).toMatchObject({ ok: false });
    expect(await handshake(httpsPort, `nobody-${slug}.example`, root)).toMatchObject({ ok: false });
    expect(existsSync(join(storage, "certificates/local", pending))).toBe(false);
    // The refusal came from the app's answer, as Caddy logs it.
    expect(caddyLog).toMatch(/not allowed|certificate not allowed|ask/i);
  });
});
