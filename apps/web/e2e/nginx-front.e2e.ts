/**
 * nginx in front instead of Caddy, as docs/deployment.md section 8 sets it up: the shipped
 * deploy/nginx.conf rendered with the guide's envsubst variable list, a wildcard certificate for the
 * base domain and its subdomains (self-signed here, made with openssl, in place of certbot's), Debian's
 * nginx in front of the running web app (TRUST_PROXY=1). A workspace's subdomain is served over HTTPS
 * with the wildcard certificate (the workspace is found from the Host nginx passes on), plain HTTP is sent
 * to HTTPS, and the client address the app records for a sign-in is the one nginx saw — not one the
 * client wrote into X-Forwarded-For.
 *
 * nginx must be installed (`nginx-light`; `.ci/run` installs it): outside CI the spec is skipped without it,
 * in CI it fails.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { connect as connectTcp, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PeerCertificate } from "node:tls";
import type { Services } from "@nchat/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, e2e, harnessServices, uniqueSlug } from "../../../scripts/e2e/harness";

const ROOT = join(import.meta.dirname, "../../..");
const NGINX = "/usr/sbin/nginx";
const SKIP = !existsSync(NGINX) && !process.env.CI;

/** The variable list of the guide's `envsubst '…' < deploy/nginx.conf` command (one source). */
function guideEnvsubstList(): string {
  const guide = readFileSync(join(ROOT, "docs/deployment.md"), "utf8");
  const blocks = [...guide.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? "");
  const render = blocks.filter((b) => b.includes("< deploy/nginx.conf"));
  if (render.length !== 1) throw new Error(`${render.length} blocks of the guide render deploy/nginx.conf`);
  const list = /envsubst '([^']+)'/.exec(render[0]!)?.[1];
  if (!list) throw new Error("the guide's render command has no envsubst variable list");
  return list;
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

const listening = (port: number) =>
  new Promise<boolean>((res) => {
    const s = connectTcp({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string; names?: string };

describe.skipIf(SKIP)(
  `nginx in front with a wildcard certificate (deploy/nginx.conf)${SKIP ? " — skipped: nginx is not installed" : ""}`,
  () => {
    let dir = "";
    let nginx: ChildProcess | undefined;
    let nginxOutput = "";
    let services: Services;
    let ca: Buffer;
    let httpsPort = 0;
    let httpPort = 0;
    const base = () => e2e().baseDomain;
    const slug = uniqueSlug("nginx");
    const owner = { email: "owner@nginx-front.test", name: "Nia Nginx", password: "nginx-front-password-1" };

    /** An HTTPS request to `name` through nginx from `localAddress`, verified against the test's CA. */
    function viaNginx(
      name: string,
      path: string,
      opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
    ): Promise<Reply> {
      return new Promise((res, rej) => {
        let names = "";
        const req = https.request(
          {
            host: "127.0.0.1",
            port: httpsPort,
            method: opts.method ?? "GET",
            path,
            servername: name,
            localAddress: opts.localAddress,
            headers: { host: `${name}:${httpsPort}`, ...opts.headers },
            ca,
            // The chain is verified against the CA; Node refuses `*.<tld>` wildcards for names, and the
            // test's base domain is `localhost`: the names are checked by the test (below).
            checkServerIdentity: (_host: string, cert: PeerCertificate) => {
              names = cert.subjectaltname ?? "";
              return undefined;
            },
            timeout: 60_000,
          },
          (r) => {
            let body = "";
            r.setEncoding("utf8");
            r.on("data", (d) => {
              body += d;
            });
            r.on("end", () => res({ status: r.statusCode ?? 0, headers: r.headers, body, names }));
          },
        );
        req.on("error", rej);
        if (opts.body) req.write(opts.body);
        req.end();
      });
    }

    beforeAll(async () => {
      if (!existsSync(NGINX))
        throw new Error(`${NGINX} is missing: CI installs Debian's nginx-light (.ci/run)`);
      dir = mkdtempSync(join(tmpdir(), "nchat-nginx-"));
      chmodSync(dir, 0o755); // nginx's workers (nobody, when run as root) use the temp paths below
      const cert = join(dir, "fullchain.pem");
      const key = join(dir, "privkey.pem");
      execFileSync(
        "openssl",
        [
          ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2"],
          ...["-subj", `/CN=${base()}`, "-addext", `subjectAltName=DNS:${base()},DNS:*.${base()}`],
          ...["-keyout", key, "-out", cert],
        ],
        { stdio: "pipe" },
      );
      ca = readFileSync(cert);
      httpsPort = await freePort();
      httpPort = await freePort();
      const site = execFileSync("envsubst", [guideEnvsubstList()], {
        input: readFileSync(join(ROOT, "deploy/nginx.conf")),
        env: {
          PATH: process.env.PATH ?? "",
          BASE_DOMAIN: base(),
          WEB_UPSTREAM: `localhost:${e2e().internal.web}`,
          // Not exercised here (the admin app may not run in this e2e run); nginx needs an address.
          ADMIN_UPSTREAM: `localhost:${e2e().internal.admin || 9}`,
          HTTP_PORT: String(httpPort),
          HTTPS_PORT: String(httpsPort),
          TLS_CERT: cert,
          TLS_KEY: key,
        },
      }).toString();
      expect(site).not.toMatch(/\$\{/); // every variable of the file is in the guide's list
      writeFileSync(join(dir, "nchat.conf"), site);
      // What Debian's /etc/nginx/nginx.conf provides around sites-enabled/, in this directory.
      const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .map((t) => `    ${t}_temp_path ${join(dir, t)};`)
        .join("\n");
      writeFileSync(
        join(dir, "nginx.conf"),
        `pid ${join(dir, "nginx.pid")};\nerror_log ${join(dir, "error.log")};\nevents {}\nhttp {\n    access_log ${join(dir, "access.log")};\n${temp}\n    include ${join(dir, "nchat.conf")};\n}\n`,
      );
      const args = [
        "-p",
        dir,
        "-c",
        join(dir, "nginx.conf"),
        "-e",
        join(dir, "error.log"),
        "-g",
        "daemon off;",
      ];
      execFileSync(NGINX, [...args, "-t"], { stdio: "pipe" });
      nginx = spawn(NGINX, args, { stdio: ["ignore", "pipe", "pipe"] });
      nginx.stdout?.on("data", (d) => {
        nginxOutput += d;
      });
      nginx.stderr?.on("data", (d) => {
        nginxOutput += d;
      });
      const deadline = Date.now() + 30_000;
      while (!(await listening(httpsPort))) {
        if (nginx.exitCode !== null || Date.now() > deadline)
          throw new Error(`nginx did not start:\n${nginxOutput}`);
        await new Promise((r) => setTimeout(r, 100));
      }

      services = await harnessServices();
      await createWorkspace(services, { name: "Nginx Fronted", slug, owner });
    });

    afterAll(async () => {
      await services?.close();
      if (nginx && nginx.exitCode === null) {
        const exited = new Promise((r) => nginx!.once("exit", r));
        nginx.kill("SIGQUIT"); // graceful stop
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("serves a workspace's subdomain over HTTPS with the wildcard certificate, and sends HTTP to HTTPS", async () => {
      const login = await viaNginx(`${slug}.${base()}`, "/login");
      expect(login.names).toContain(`DNS:*.${base()}`);
      expect(login.status).toBe(200);
      expect(login.body).toContain("Nginx Fronted");

      const plain = await new Promise<http.IncomingMessage>((res, rej) =>
        http
          .get(
            { host: "127.0.0.1", port: httpPort, path: "/login", headers: { host: `${slug}.${base()}` } },
            res,
          )
          .on("error", rej),
      );
      plain.resume();
      expect(plain.statusCode).toBe(301);
      expect(plain.headers.location).toBe(`https://${slug}.${base()}/login`);
    });

    it("records the client address nginx saw for a sign-in, not one the client wrote", async () => {
      // The client connects from 127.0.0.2 (any 127/8 address is this machine) and claims 203.0.113.7;
      // nginx appends the address it saw, and with TRUST_PROXY=1 the app takes that last entry.
      const signIn = await viaNginx(`${slug}.${base()}`, "/api/trpc/auth.signIn", {
        method: "POST",
        localAddress: "127.0.0.2",
        headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.7" },
        body: JSON.stringify({ json: { email: owner.email, password: owner.password } }),
      });
      expect(signIn.status, signIn.body).toBe(200);
      const cookie = String([signIn.headers["set-cookie"]].flat()[0]).split(";")[0]!;
      const sessions = await viaNginx(`${slug}.${base()}`, "/api/trpc/profile.sessions", {
        headers: { cookie },
      });
      expect(sessions.status, sessions.body).toBe(200);
      const list = (
        JSON.parse(sessions.body) as { result: { data: { json: { ip: string; current: boolean }[] } } }
      ).result.data.json;
      expect(list.find((s) => s.current)?.ip).toBe("127.0.0.2");
    });
  },
);
