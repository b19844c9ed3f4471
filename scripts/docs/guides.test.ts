/**
 * The operator guides name only what exists: every `pnpm <script>` in their code is a script of the root
 * package.json (or a pnpm built-in), every UPPER_CASE variable they name is in the env schema (or in the
 * allow-list below: variables of other programs), and every repository path they name is in the
 * repository. A renamed script, variable or file fails here instead of in an operator's shell.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ERROR_STATUS } from "@nchat/api/errors";
import { ENV_SHAPE } from "@nchat/config";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const GUIDES = [
  "docs/quick-start.md",
  "docs/deployment.md",
  "docs/production-checklist.md",
  "docs/upgrading.md",
  "docs/single-to-multi-tenant.md",
  "CHANGELOG.md",
];

/** pnpm's own commands a guide may use. */
const PNPM_BUILTINS = new Set(["install", "add", "exec", "run", "dlx", "--filter"]);

/** Variables of other programs the guides name (they are not the app's). */
const OTHER_PROGRAMS = new Set([
  // deploy/Caddyfile's settings and a DNS provider module's token
  "BASE_DOMAIN",
  "WEB_UPSTREAM",
  "ADMIN_UPSTREAM",
  "HTTP_PORT",
  "HTTPS_PORT",
  "CADDY_GLOBAL_OPTIONS",
  "CF_API_TOKEN",
  // deploy/nginx.conf's envsubst variables (with BASE_DOMAIN, the upstreams and ports above)
  "TLS_CERT",
  "TLS_KEY",
  // read by one command, not by the apps
  "ADMIN_PASSWORD",
  "EMBEDDED_PG_PORT",
  // the guides' own shell variables
  "PGPW",
  "BOUNCERPW",
  // gone from the schema, named by the changelog's Removed section
  "DATABASE_POOL_SHARDS",
]);

/** A guide's code: the fenced blocks and the inline spans. */
function codeOf(markdown: string): { blocks: string[]; spans: string[] } {
  const blocks = [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? "");
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "");
  const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? "");
  return { blocks, spans };
}

/** Script names after `pnpm` (also `npx -y pnpm@x.y.z`), options before the name skipped. */
function pnpmScripts(code: string): string[] {
  const names: string[] = [];
  for (const m of code.matchAll(/(?<![\w/-])pnpm(?:@[\d.]+)?[ \t]+([^\n;&|)`'"]*)/g)) {
    const words = (m[1] ?? "").trim().split(/\s+/);
    if (words.includes("--filter")) continue; // a workspace package's script
    const name = words.find((w) => !w.startsWith("-"));
    if (name && /^[a-z][\w:.-]*$/.test(name)) names.push(name);
  }
  return names;
}

/** UPPER_CASE names with an underscore: environment variables (and error codes). */
function upperNames(code: string): string[] {
  return [...code.matchAll(/(?<![\w$-])\$?\{?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g)].map((m) => m[1] ?? "");
}

const REPO_PATH = /(?<![\w./-])((?:apps|packages|scripts|deploy|docs|drizzle|patches)\/[\w./[\]-]*[\w\]])/g;

/** Paths inside the repository, by their top-level folder. */
function repoPaths(code: string): string[] {
  return [...code.matchAll(REPO_PATH)].map((m) => m[1] ?? "");
}

const scripts = new Set(
  Object.keys((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: object }).scripts),
);
const known = new Set([...Object.keys(ENV_SHAPE), ...Object.keys(ERROR_STATUS), ...OTHER_PROGRAMS]);

describe.each(GUIDES)("%s", (guide) => {
  const text = readFileSync(join(ROOT, guide), "utf8");
  const { blocks, spans } = codeOf(text);
  const code = [...blocks, ...spans];

  it("runs only pnpm scripts that exist", () => {
    const missing = code
      .flatMap(pnpmScripts)
      .filter((name) => !scripts.has(name) && !PNPM_BUILTINS.has(name));
    expect(missing).toEqual([]);
  });

  it("names only variables of the env schema (or of the programs around it)", () => {
    const unknown = code.flatMap(upperNames).filter((name) => !known.has(name));
    expect([...new Set(unknown)]).toEqual([]);
  });

  it("names only repository paths that exist", () => {
    const missing = code.flatMap(repoPaths).filter((p) => !existsSync(join(ROOT, p)));
    expect([...new Set(missing)]).toEqual([]);
  });

  it("links only to files that exist", () => {
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1] ?? "");
    const local = targets.filter((t) => !/^[a-z]+:/.test(t));
    expect(local.filter((t) => !existsSync(join(ROOT, dirname(guide), t)))).toEqual([]);
  });
});

describe("the checks themselves", () => {
  it("find scripts, variables and paths where guides write them", () => {
    expect(pnpmScripts("sudo -u nchat npx -y pnpm@12.4.2 db:migrate && pnpm --filter @nchat/api x")).toEqual([
      "db:migrate",
    ]);
    expect(pnpmScripts("pnpm tenant:adopt --schema chat")).toEqual(["tenant:adopt"]);
    expect(pnpmScripts("bash -c 'set -a; npx -y pnpm@12.4.2 build'")).toEqual(["build"]);
    expect(upperNames("Environment=BASE_DOMAIN=x $METRICS_TOKEN {$WEB_UPSTREAM:1} HOST")).toEqual([
      "BASE_DOMAIN",
      "METRICS_TOKEN",
      "WEB_UPSTREAM",
    ]);
    expect(repoPaths("caddy run --config deploy/Caddyfile; /srv/nchat/scripts/x.ts; apps/web/e2e/")).toEqual([
      "deploy/Caddyfile",
      "apps/web/e2e",
    ]);
  });

  it("would catch a script, a variable or a path that does not exist", () => {
    expect(scripts.has("db:migrate")).toBe(true);
    expect(scripts.has("db:backup")).toBe(false);
    expect(known.has("DATABASE_URL")).toBe(true);
    expect(known.has("DATABASE_PASSWORD")).toBe(false);
    expect(existsSync(join(ROOT, "deploy/Caddyfile"))).toBe(true);
  });
});
