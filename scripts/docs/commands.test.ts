/**
 * Guide commands no other test runs, run as the guides write them:
 * - docs/quick-start.md's production `.env` passes production's rules;
 * - docs/single-to-multi-tenant.md's edits of `.env` (sections 1 and 3) turn multi-tenancy on and off
 *   again, from a single-tenant file with or without the variables;
 * - `pnpm db:migrate` (the package.json script, as pnpm runs it) migrates an empty database and can run
 *   again; `pnpm admin:create` creates a super admin who signs in with the printed password (or with
 *   ADMIN_PASSWORD), in production mode.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { createServices } from "@nchat/api";
import { isMultiTenant, loadEnv } from "@nchat/config";
import { connect } from "@nchat/db";
import { createScratchDatabase, type ScratchDatabase } from "@nchat/db/scratch";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
};

function guideBlocks(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? "");
}

/** The one code block of `file` that contains `marker`. */
function block(file: string, marker: string): string {
  const found = guideBlocks(file).filter((b) => b.includes(marker));
  if (found.length !== 1) throw new Error(`${found.length} blocks of ${file} contain ${marker}`);
  return found[0]!;
}

describe("docs/quick-start.md's .env", () => {
  it("passes production's rules", () => {
    const code = block("docs/quick-start.md", "cat > .env <<EOF");
    const lines = code.split("\n");
    const end = lines.indexOf("EOF");
    const dir = mkdtempSync(join(tmpdir(), "nchat-quick-start-"));
    try {
      // The here-document as bash expands it (openssl makes the secrets).
      execFileSync("bash", ["-c", lines.slice(0, end + 1).join("\n")], {
        cwd: dir,
        env: { PATH: process.env.PATH },
      });
      const env = loadEnv(parseEnv(readFileSync(join(dir, ".env"), "utf8")) as Record<string, string>);
      expect(env.NODE_ENV).toBe("production");
      expect(isMultiTenant(env)).toBe(true);
      expect(env.NEXT_PUBLIC_BASE_DOMAIN).toBe("localhost");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("docs/single-to-multi-tenant.md's .env edits", () => {
  /** The block's commands that edit .env (no cd, build or restart), without sudo, on `file`'s content. */
  function edit(marker: string, content: string): Record<string, string> {
    const commands = block("docs/single-to-multi-tenant.md", marker)
      .replaceAll("\\\n", " ") // continued lines as one
      .split("\n")
      .filter((l) => l.includes(".env") && !l.includes("pnpm"))
      .map((l) => l.replaceAll("sudo -u nchat ", ""))
      .join("\n");
    const dir = mkdtempSync(join(tmpdir(), "nchat-tenancy-env-"));
    try {
      writeFileSync(join(dir, ".env"), content);
      execFileSync("bash", ["-ec", commands], { cwd: dir, env: { PATH: process.env.PATH }, stdio: "pipe" });
      return parseEnv(readFileSync(join(dir, ".env"), "utf8")) as Record<string, string>;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const on = (content: string) => edit("DISABLE_MULTI_TENANCY=false", content);
  const off = (content: string) => edit("DISABLE_MULTI_TENANCY=true/", content);
  const single = "NODE_ENV=production\nDISABLE_MULTI_TENANCY=true\nDEFAULT_TENANT_SLUG=acme\n";
  const serialize = (vars: Record<string, string>) =>
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");

  it("section 1 turns multi-tenancy on, whether or not the file names ENABLE_MULTI_TENANCY", () => {
    for (const start of [single, `${single}ENABLE_MULTI_TENANCY=false\n`]) {
      const vars = on(start);
      expect(isMultiTenant(loadEnv({ ...vars, NODE_ENV: "test" })), start).toBe(true);
      expect(vars.NEXT_PUBLIC_BASE_DOMAIN).toBe("chat.example.com");
    }
    // A base domain already set is kept.
    expect(on(`${single}NEXT_PUBLIC_BASE_DOMAIN=chat.acme.com\n`).NEXT_PUBLIC_BASE_DOMAIN).toBe(
      "chat.acme.com",
    );
  });

  it("section 3 serves the one workspace again, whether or not the file names the variables", () => {
    const multi = on(single);
    for (const start of [serialize(multi), "NODE_ENV=production\nENABLE_MULTI_TENANCY=true\n"]) {
      const vars = off(`${start}\n`);
      const env = loadEnv({ ...vars, NODE_ENV: "test" });
      expect(isMultiTenant(env), start).toBe(false);
    }
    expect(off(`${serialize(multi)}\n`).DEFAULT_TENANT_SLUG).toBe("acme"); // the one it had stays
  });
});

describe("pnpm db:migrate and pnpm admin:create (production mode)", () => {
  let scratch: ScratchDatabase;
  let env: Record<string, string>;

  /** A package.json script, as `pnpm <name>` runs it (node_modules/.bin on PATH, the root as cwd). */
  const pnpm = (name: string, args: string[] = [], extra: Record<string, string> = {}) => {
    const script = PACKAGE.scripts[name];
    if (!script) throw new Error(`no script ${name}`);
    return execFileSync("bash", ["-c", `${script} "$@"`, name, ...args], {
      cwd: ROOT,
      env: { ...env, ...extra },
      stdio: "pipe",
      timeout: 120_000,
    }).toString();
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase(inject("testDb").adminUrl, "cmds");
    env = {
      PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}`,
      HOME: process.env.HOME ?? tmpdir(),
      NODE_ENV: "production",
      DATABASE_URL: scratch.adminUrl,
      DB_ROLE_PREFIX: scratch.rolePrefix,
      DATABASE_APP_PASSWORD: scratch.appPassword,
      MASTER_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      BILLING_MODE: "offline",
    };
  }, 60_000);

  afterAll(async () => {
    await scratch?.drop();
  });

  it("db:migrate migrates an empty database, and runs again with nothing to do", async () => {
    expect(pnpm("db:migrate")).toMatch(/migrations: control plane current; 0 tenant schema\(s\)/);
    const db = connect(scratch.adminUrl, { max: 1, name: "commands-test" });
    try {
      const [row] = await db<{ tenants: string | null; role: string | null }[]>`
        select to_regclass('public.tenants')::text as tenants,
               (select rolname::text from pg_roles where rolname = ${`${scratch.rolePrefix}_app`}) as role`;
      expect(row).toEqual({ tenants: "tenants", role: `${scratch.rolePrefix}_app` });
    } finally {
      await db.end();
    }
    expect(pnpm("db:migrate")).toMatch(/migrations: control plane current/);
  }, 120_000);

  it("admin:create makes a super admin who signs in with the printed password, or ADMIN_PASSWORD", async () => {
    const printed = pnpm("admin:create", ["--email", "ops@example.com", "--name", "Ops"]);
    const password = /super admin ops@example\.com created; password: (\S+)/.exec(printed)?.[1];
    expect(password, printed).toBeDefined();
    const given = "given-admin-password-1";
    const quiet = pnpm("admin:create", ["--email", "ops2@example.com", "--name", "Ops Two"], {
      ADMIN_PASSWORD: given,
    });
    expect(quiet).toMatch(/super admin ops2@example\.com created\n/);
    expect(quiet).not.toContain(given);

    const services = await createServices(loadEnv({ ...env, NODE_ENV: "test" }), { crossProcess: false });
    try {
      const meta = { ip: null, userAgent: null };
      const first = await services.superAdmins.signIn({ email: "ops@example.com", password }, meta);
      expect(first.session.admin.name).toBe("Ops");
      const second = await services.superAdmins.signIn({ email: "ops2@example.com", password: given }, meta);
      expect(second.session.admin.name).toBe("Ops Two");
      await expect(
        services.superAdmins.signIn({ email: "ops2@example.com", password: "wrong-password-1" }, meta),
      ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    } finally {
      await services.close();
    }
  }, 120_000);
});
