/**
 * docs/deployment.md's configuration, run as written: the `.env` it writes passes the production rules of
 * the env schema; Caddy (Debian's) adapts `deploy/Caddyfile` with the guide's drop-in environment into the
 * sites and the on-demand TLS gate it describes; PgBouncer (Debian's) with the guide's `auth_query` function
 * and pgbouncer.ini admits a role by its PostgreSQL password and refuses a wrong one; the guide's envsubst
 * command renders deploy/nginx.conf completely and Debian's `nginx -t` accepts the result.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { loadEnv } from "@nchat/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const GUIDE = readFileSync(join(ROOT, "docs/deployment.md"), "utf8");
const blocks = [...GUIDE.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? "");

/** The one code block of the guide that contains `marker`. */
function block(marker: string): string {
  const found = blocks.filter((b) => b.includes(marker));
  if (found.length !== 1) throw new Error(`${found.length} blocks contain ${marker}`);
  return found[0]!;
}

/** The body of the here-document that starts on the line containing `opener`. */
function heredoc(code: string, opener: string): string {
  const lines = code.split("\n");
  const start = lines.findIndex((l) => l.includes(opener));
  const end = lines.findIndex((l, i) => i > start && l === "EOF");
  if (start < 0 || end < 0) throw new Error(`no here-document at ${opener}`);
  return lines.slice(start + 1, end).join("\n");
}

const freePort = () =>
  new Promise<number>((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });

describe("the .env of docs/deployment.md", () => {
  it("passes production's rules, read as systemd and the commands read it", () => {
    const dir = mkdtempSync(join(tmpdir(), "nchat-guide-env-"));
    try {
      const file = join(dir, ".env");
      // The guide's here-document, expanded by bash as in the guide (PGPW from its earlier step).
      const body = heredoc(block("sudo -u nchat tee .env"), "tee .env");
      writeFileSync(join(dir, "write.sh"), `cat > ${file} <<EOF\n${body}\nEOF\n`);
      execFileSync("bash", [join(dir, "write.sh")], { env: { PATH: process.env.PATH, PGPW: "pw" } });
      // The parser of process.loadEnvFile, which the commands use (scripts/lib/runtime.ts).
      const parsed = parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
      expect(parsed.MAIL_FROM).toBe("Chat <no-reply@chat.example.com>");
      const env = loadEnv(parsed);
      expect(env.NODE_ENV).toBe("production");
      expect(env.BILLING_MODE).toBe("offline");
      expect(env.NEXT_PUBLIC_BASE_DOMAIN).toBe("chat.example.com");
      expect(env.MASTER_ENCRYPTION_KEY).toMatch(/=$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!existsSync("/usr/bin/caddy"))("Caddy with the guide's environment", () => {
  it("adapts deploy/Caddyfile into the base, www and admin sites and the on-demand gate", () => {
    const dropIn = heredoc(block("caddy.service.d/nchat.conf"), "nchat.conf");
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: tmpdir() };
    for (const m of dropIn.matchAll(/^Environment="?([A-Z_]+)=(.*?)"?$/gm)) env[m[1]!] = m[2]!;
    const json = execFileSync(
      "/usr/bin/caddy",
      ["adapt", "--config", join(ROOT, "deploy/Caddyfile"), "--adapter", "caddyfile"],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    ).toString();
    const config = JSON.parse(json);
    const hosts = config.apps.http.servers.srv0.routes.flatMap(
      (r: { match?: { host: string[] }[] }) => r.match?.flatMap((m) => m.host) ?? [],
    );
    expect(hosts.sort()).toEqual(["admin.chat.example.com", "chat.example.com", "www.chat.example.com"]);
    expect(config.apps.tls.automation.on_demand.ask).toBe("http://127.0.0.1:3000/api/tls/ask");
    expect(json).toContain('"email":"ops@example.com"');
  });
});

describe.skipIf(!existsSync("/usr/sbin/nginx") && !process.env.CI)(
  "nginx with the guide's rendering of deploy/nginx.conf",
  () => {
    it("renders every variable of the file, and nginx -t accepts the result", () => {
      // The guide's command up to `< deploy/nginx.conf`, as written (its names, ports and certbot paths).
      const code = block("< deploy/nginx.conf");
      const lines = code.split("\n");
      const first = lines.findIndex((l) => l.startsWith("BASE_DOMAIN="));
      const last = lines.findIndex((l) => l.includes("< deploy/nginx.conf"));
      const command = lines
        .slice(first, last + 1)
        .join("\n")
        .replace(/\s*\|\s*sudo tee .*$/, "");
      const site = execFileSync("bash", ["-c", command], {
        cwd: ROOT,
        env: { PATH: process.env.PATH },
      }).toString();
      expect(site).not.toMatch(/\$\{/);
      expect(site).toContain("server_name chat.example.com *.chat.example.com;");
      expect(site).toContain("server_name admin.chat.example.com;");
      expect(site).toContain("proxy_pass http://127.0.0.1:3000;");
      expect(site).toContain("proxy_pass http://127.0.0.1:3001;");
      expect(site).toContain("listen 443 ssl http2;");

      // `nginx -t` in a directory of its own: certbot's files replaced by a self-signed wildcard pair.
      const dir = mkdtempSync(join(tmpdir(), "nchat-guide-nginx-"));
      try {
        const cert = join(dir, "fullchain.pem");
        const key = join(dir, "privkey.pem");
        execFileSync(
          "openssl",
          ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=chat.example.com"]
            .concat(["-addext", "subjectAltName=DNS:chat.example.com,DNS:*.chat.example.com"])
            .concat(["-keyout", key, "-out", cert]),
          { stdio: "pipe" },
        );
        writeFileSync(
          join(dir, "nchat.conf"),
          site
            .replaceAll("/etc/letsencrypt/live/chat.example.com/fullchain.pem", cert)
            .replaceAll("/etc/letsencrypt/live/chat.example.com/privkey.pem", key),
        );
        const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
          .map((t) => `${t}_temp_path ${join(dir, t)};`)
          .join(" ");
        writeFileSync(
          join(dir, "nginx.conf"),
          `pid ${join(dir, "pid")};\nevents {}\nhttp { access_log off; ${temp} include ${join(dir, "nchat.conf")}; }\n`,
        );
        const out = execFileSync(
          "/usr/sbin/nginx",
          ["-t", "-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")],
          { stdio: "pipe" },
        );
        expect(out.toString()).toBe(""); // nginx -t reports on stderr; a failure throws
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

describe.skipIf(!existsSync("/usr/sbin/pgbouncer") || !process.env.DATABASE_URL)(
  "PgBouncer with the guide's auth_query",
  () => {
    const run = randomBytes(4).toString("hex");
    const db = `guide_pgb_${run}`;
    const authUser = `guide_pgb_auth_${run}`;
    const user = `guide_pgb_user_${run}`;
    const admin = process.env.DATABASE_URL!;
    const psql = (url: string, sql: string) =>
      execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql], { stdio: "pipe" }).toString().trim();
    const inDb = (url: string) => Object.assign(new URL(url), { pathname: `/${db}` }).toString();
    let dir = "";
    let port = 0;
    let bouncer: ChildProcess | undefined;

    beforeAll(async () => {
      psql(admin, `create database ${db}`);
      psql(admin, `create role ${user} login password 'user-password'`);
      // The guide's SQL as bash expands it, for a role of this run instead of pgbouncer_auth.
      const body = heredoc(block("pgbouncer.get_auth"), "psql -d nchat");
      const sql = execFileSync("bash", ["-c", `cat <<EOF\n${body}\nEOF`], {
        env: { PATH: process.env.PATH, BOUNCERPW: "auth-password" },
      })
        .toString()
        .replaceAll("pgbouncer_auth", authUser);
      execFileSync("psql", [inDb(admin), "-v", "ON_ERROR_STOP=1", "-q"], { input: sql, stdio: "pipe" });
      dir = mkdtempSync(join(tmpdir(), "nchat-guide-pgb-"));
      port = await freePort();
      const target = new URL(admin);
      const ini = heredoc(block("pgbouncer.get_auth"), "pgbouncer.ini")
        .replace(/^nchat = .*$/m, `${db} = host=${target.hostname} port=${target.port || 5432} dbname=${db}`)
        .replace(
          "listen_port = 6432",
          `listen_port = ${port}\nunix_socket_dir =\npidfile = ${join(dir, "pid")}`,
        )
        .replace("/etc/pgbouncer/userlist.txt", join(dir, "userlist.txt"))
        .replaceAll("pgbouncer_auth", authUser);
      writeFileSync(join(dir, "pgbouncer.ini"), ini);
      writeFileSync(join(dir, "userlist.txt"), `"${authUser}" "auth-password"\n`);
      // PgBouncer refuses to run as root: then it runs as postgres, which owns the directory.
      const asRoot = process.getuid?.() === 0;
      if (asRoot) execFileSync("chown", ["-R", "postgres", dir]);
      bouncer = spawn(
        asRoot ? "runuser" : "/usr/sbin/pgbouncer",
        [...(asRoot ? ["-u", "postgres", "--", "/usr/sbin/pgbouncer"] : []), join(dir, "pgbouncer.ini")],
        { stdio: "ignore" },
      );
      for (let i = 0; i < 50; i++) {
        const open = await new Promise<boolean>((res) => {
          const s = createServer();
          s.once("error", () => res(true));
          s.listen(port, "127.0.0.1", () => s.close(() => res(false)));
        });
        if (open) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("pgbouncer did not start");
    });

    afterAll(() => {
      const pidFile = join(dir, "pid");
      if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, "utf8")), "SIGINT");
      bouncer?.kill("SIGINT");
      try {
        psql(admin, `drop database if exists ${db} with (force)`);
        psql(admin, `drop role if exists ${user}`);
        psql(admin, `drop role if exists ${authUser}`);
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });

    it("admits a role by its PostgreSQL password, in transaction pooling", () => {
      const url = `postgresql://${user}:user-password@127.0.0.1:${port}/${db}`;
      expect(psql(url, "select current_user")).toBe(user);
    });

    it("refuses a wrong password", () => {
      const url = `postgresql://${user}:wrong@127.0.0.1:${port}/${db}`;
      expect(() => psql(url, "select 1")).toThrow(/authentication failed/);
    });

    it("does not let the auth user read password hashes except through the function", () => {
      const url = `postgresql://${authUser}:auth-password@127.0.0.1:${port}/${db}`;
      expect(() => psql(url, "select passwd from pg_shadow")).toThrow(/permission denied/);
    });
  },
);
