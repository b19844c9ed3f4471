/**
 * Production mode as the README runs it: `pnpm start --migrate` over the build the e2e setup made,
 * with two web worker processes — a new workspace signs up and sends a message in Chromium, a worker
 * that dies is replaced while the other keeps serving, and SIGTERM drains everything to exit 0. Also:
 * a production environment with development defaults is refused before anything listens.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  e2e,
  LONG,
  launchBrowser,
  newUserContext,
  screenshotOnFailure,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const ROOT = join(import.meta.dirname, "../../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");

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

/** `pnpm start`'s command with this environment; its output is collected. */
function start(env: Record<string, string>, args: string[] = []) {
  const child = spawn(TSX, ["scripts/start.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  return { child, exited, output: () => output };
}

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

describe("pnpm start (production mode)", () => {
  it("refuses a production environment with development defaults, naming each problem", async () => {
    const { MASTER_ENCRYPTION_KEY: _key, DATABASE_APP_PASSWORD: _pw, ...rest } = e2e().env;
    const run = start({ ...rest, WEB_PORT: String(await freePort()), ADMIN_PORT: String(await freePort()) });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/MASTER_ENCRYPTION_KEY is not set/);
    expect(run.output()).toMatch(/DATABASE_APP_PASSWORD is the development default/);
  });

  describe("serving", () => {
    let browser: Browser;
    let page: Page;
    let server: ReturnType<typeof start>;
    let webPort = 0;
    let adminPort = 0;
    screenshotOnFailure(() => (page ? [page] : []));

    beforeAll(async () => {
      webPort = await freePort();
      adminPort = await freePort();
      server = start(
        {
          ...e2e().env,
          HOST: "localhost",
          WEB_PORT: String(webPort),
          ADMIN_PORT: String(adminPort),
          WEB_WORKERS: "2",
          ADMIN_WORKERS: "1",
          SHUTDOWN_GRACE_MS: "5000",
        },
        ["--migrate"],
      );
      await until("the web app", () => healthy(webPort));
      await until("the admin app", () => healthy(adminPort));
      browser = await launchBrowser();
    });

    afterAll(async () => {
      await browser?.close();
      if (server && server.child.exitCode === null) {
        server.child.kill("SIGKILL");
      }
    });

    it("migrates when told, then serves sign-up and chat", async () => {
      expect(server.output()).toMatch(/migrations: control plane current/);
      expect(server.output().match(/\[start\] web worker \d+ started/g)).toHaveLength(2);
      const ctx = await newUserContext(browser);
      page = await ctx.newPage();
      const slug = uniqueSlug("prod");
      await page.goto(`http://localhost:${webPort}/signup`);
      await page.getByLabel("Organization name").fill("Production Start");
      await page.getByLabel("Workspace address").fill(slug);
      await page.getByTestId("slug-status").getByText("is available").waitFor(LONG);
      await page.getByLabel("Your name").fill("Pat Production");
      await page.getByLabel("Work email").fill("pat@prod.test");
      await page.getByLabel("Password").fill("production-password-1");
      await page.getByRole("button", { name: "Create workspace" }).click();
      await page.waitForURL((u) => u.hostname === `${slug}.localhost`, LONG);
      await page.getByTestId("channel-title").getByText("general").waitFor(LONG);
      const composer = page.getByTestId("composer");
      await composer.click();
      await composer.fill("served by pnpm start");
      await composer.press("Enter");
      await page.getByTestId("message").filter({ hasText: "served by pnpm start" }).waitFor(LONG);
      // Stored: it is there after a reload (any worker).
      await page.reload();
      await page.getByTestId("message").filter({ hasText: "served by pnpm start" }).waitFor(LONG);
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
      expect(await healthy(webPort)).toBe(true);
    });

    it("drains every worker on SIGTERM and exits 0", async () => {
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(server.output()).toMatch(/\[start\] SIGTERM: draining 3 worker\(s\)/);
      expect(server.output()).toMatch(/\[start\] stopped/);
      expect(await healthy(webPort)).toBeUndefined();
    });
  });
});
