/**
 * Helpers for browser specs (apps/web/e2e, apps/admin/e2e), on top of the servers the global setup
 * (scripts/e2e/run.ts) started:
 *
 *   const browser = await launchBrowser();
 *   const owner = await newUserContext(browser);          // one context = one person (own cookies)
 *   const page = await owner.newPage();
 *   await page.goto(tenantUrl("acme", "/login"));
 *   await screenshot(page, "login");
 *
 * Most specs start from `browserSpec()` (services and a browser for the describe's tests) or
 * `signedInSpec()` (one person's page, signed in).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { type Actor, createServices, type ResolvedTenant, type Services, SYSTEM } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, inject } from "vitest";
import { TestSmtp } from "../../packages/api/src/mail/test-kit";
import type { E2EConfig } from "./config";

export type { E2EConfig };

/** How long one browser step may wait for the app: a shared CI machine can be slow. */
export const LONG = { timeout: 60_000 };

/** Someone who signs in with a password. */
export interface Person {
  email: string;
  name: string;
  password: string;
}

/** The servers and data of this run. */
export const e2e = (): E2EConfig => inject("e2e");

/** https://localhost:<port><path> — the base domain (landing page, sign-up). */
export const webUrl = (path = "/") => `${e2e().webUrl}${path}`;
/** https://<slug>.localhost:<port><path> — a tenant host. */
export const tenantUrl = (slug: string, path = "/") =>
  `https://${slug}.${e2e().baseDomain}:${e2e().webPort}${path}`;
/** https://localhost:<adminPort><path> — the admin app. */
export const adminUrl = (path = "/") => `${e2e().adminUrl}${path}`;
/** The super admin seeded for this run (services.superAdmins.create). */
export const superAdmin = () => e2e().superAdmin;

/** Chromium flags (Debian's Chromium, headless, no network chatter; the TLS front is self-signed). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--ignore-certificate-errors",
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: e2e().chromiumPath, args: CHROMIUM_ARGS, timeout: 120_000 });
}

/** A fresh browser context: its own cookies and storage, i.e. one person. */
export async function newUserContext(
  browser: Browser,
  opts: { extraHTTPHeaders?: Record<string, string>; viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: opts.viewport ?? { width: 1360, height: 860 },
    deviceScaleFactor: 1,
    locale: "en-US",
    timezoneId: "UTC",
    ...(opts.extraHTTPHeaders ? { extraHTTPHeaders: opts.extraHTTPHeaders } : {}),
  });
  // A shared machine with 2 cores: be patient.
  ctx.setDefaultTimeout(30_000);
  ctx.setDefaultNavigationTimeout(60_000);
  ctx.on("page", watchPage);
  // Realtime tracing from the app (see chat-provider.tsx) into browser.log.
  await ctx.addInitScript(() => {
    try {
      localStorage.setItem("nchat:debug", "1");
    } catch {
      // opaque origins (about:blank) have no storage
    }
  });
  return ctx;
}

/** Every page's errors, failed requests and console errors go to test-artifacts/e2e/logs/browser.log. */
function watchPage(page: Page) {
  const file = join(e2e().artifactsDir, "logs", "browser.log");
  const write = (line: string) => appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
  const where = () => {
    try {
      return new URL(page.url()).host;
    } catch {
      return "?";
    }
  };
  page.on("pageerror", (err) => write(`[${where()}] pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning" || msg.text().startsWith("[nchat]"))
      write(`[${where()}] console.${msg.type()}: ${msg.text()}`);
  });
  page.on("requestfailed", (req) =>
    write(`[${where()}] request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ""}`),
  );
  page.on("response", (res) => {
    if (res.status() >= 400) write(`[${where()}] ${res.status()} ${res.request().method()} ${res.url()}`);
  });
}

/**
 * After each failed test, a screenshot of every page still open (`failed-<test>-<n>.png`), so a
 * failure on a shared CI machine can be read afterwards.
 */
export function screenshotOnFailure(pages: () => Page[]) {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
    let n = 0;
    for (const page of pages()) {
      if (page.isClosed()) continue;
      await screenshot(page, `failed-${name}-${++n}`).catch(() => {});
    }
  });
}

/** Saves a full-window PNG to test-artifacts/e2e/screens/<name>.png. */
export async function screenshot(
  page: Page,
  name: string,
  opts: { fullPage?: boolean } = {},
): Promise<string> {
  const dir = join(e2e().artifactsDir, "screens");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: opts.fullPage ?? false, animations: "disabled" });
  return path;
}

/** A slug no other run or spec uses. */
export const uniqueSlug = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * One raw HTTPS request through the TLS front, with any Host and headers (a browser cannot spoof
 * Host; scripts can): `rawRequest({ host: "acme.localhost", path: "/api/trpc/auth.me" })`.
 */
export function rawRequest(opts: {
  host: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  app?: "web" | "admin";
}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const port = opts.app === "admin" ? e2e().adminPort : e2e().webPort;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        method: opts.method ?? "GET",
        path: opts.path,
        rejectUnauthorized: false,
        servername: opts.host.replace(/:\d+$/, ""),
        headers: { host: `${opts.host}:${port}`, ...(opts.headers ?? {}) },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.setTimeout(60_000, () => req.destroy(new Error("rawRequest timed out")));
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

/** Services over the run's database (in this process), for setup or checks a browser cannot do. */
export function harnessServices(): Promise<Services> {
  return createServices(loadEnv({ ...e2e().env, NODE_ENV: "test" }), { crossProcess: false });
}

/**
 * A new workspace with its owner, optionally moved to a plan (Enterprise leaves room for a browser
 * test's requests: Free allows 30 a minute per person). Returns the tenant as resolved after the
 * change and its owner as an actor for set-up through `services`.
 */
export async function createWorkspace(
  services: Services,
  opts: { name: string; slug: string; owner: Person; plan?: ResolvedTenant["plan"] },
): Promise<{ tenant: ResolvedTenant; owner: Actor }> {
  const created = await services.tenants.createTenant(
    {
      name: opts.name,
      slug: opts.slug,
      ownerEmail: opts.owner.email,
      ownerName: opts.owner.name,
      ownerPassword: opts.owner.password,
    },
    SYSTEM,
  );
  if (opts.plan) await services.tenants.updateTenant(created.tenant.id, { billingPlan: opts.plan }, SYSTEM);
  const tenant = await services.resolver.bySlug(opts.slug);
  if (!tenant) throw new Error(`workspace ${opts.slug} was created but does not resolve`);
  return {
    tenant,
    owner: { type: "user", id: created.ownerId, email: opts.owner.email, role: "owner" },
  };
}

/** Adds `who` as a member who accepted an invitation; returns their user id. */
export async function addMember(
  services: Services,
  tenant: ResolvedTenant,
  who: Person,
  role: "admin" | "member" | "guest" = "member",
): Promise<string> {
  const { token } = await services.invitations.invite(tenant, SYSTEM, { email: who.email, role });
  await services.invitations.accept(tenant, token, { name: who.name, password: who.password });
  const member = (await services.members.list(tenant)).members.find((m) => m.email === who.email);
  if (!member) throw new Error(`${who.email} accepted but is not listed`);
  return member.id;
}

/**
 * Signs `who` in on the workspace's login page and waits for the chat; with `{ secondStep: true }`
 * it returns after submitting, for a sign-in that continues (two-factor code, enrolment).
 */
export async function signIn(
  page: Page,
  slug: string,
  who: { email: string; password: string },
  opts: { secondStep?: boolean } = {},
): Promise<void> {
  await page.goto(tenantUrl(slug, "/login"));
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (!opts.secondStep) await page.getByTestId("channel-title").waitFor(LONG);
}

/** Reads a value a beforeAll hook sets: a spec that reads it earlier (at collection) is wrong. */
function setUp<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`${name} is set before the tests: read it in a hook or a test`);
  return value;
}

/**
 * What nearly every browser spec needs, registered on the surrounding describe: services over the
 * run's database (for set-up and checks) and one browser, opened before its tests and closed after,
 * and a screenshot of every open page after a failed test. Hooks registered after this call run
 * after it, so they can use both.
 */
export function browserSpec(): { readonly services: Services; readonly browser: Browser } {
  let services: Services | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    services = await harnessServices();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await services?.close();
  });
  screenshotOnFailure(() => browser?.contexts().flatMap((c) => c.pages()) ?? []);
  return {
    get services() {
      return setUp(services, "services");
    },
    get browser() {
      return setUp(browser, "browser");
    },
  };
}

/**
 * One person's page, signed in: before the describe's tests, `prepare` makes the workspace through
 * services (closed after it), then `who` signs in at `slug` in their own context of a new browser;
 * screenshots after a failed test; everything closed after.
 */
export function signedInSpec(opts: {
  slug: string;
  who: { email: string; password: string };
  prepare: (services: Services) => Promise<void>;
}): { readonly browser: Browser; readonly ctx: BrowserContext; readonly page: Page } {
  let browser: Browser | undefined;
  let ctx: BrowserContext | undefined;
  let page: Page | undefined;
  beforeAll(async () => {
    const services = await harnessServices();
    try {
      await opts.prepare(services);
    } finally {
      await services.close();
    }
    browser = await launchBrowser();
    ctx = await newUserContext(browser);
    page = await ctx.newPage();
    await signIn(page, opts.slug, opts.who);
  });
  screenshotOnFailure(() => (page ? [page] : []));
  afterAll(async () => {
    await ctx?.close();
    await browser?.close();
  });
  return {
    get browser() {
      return setUp(browser, "browser");
    },
    get ctx() {
      return setUp(ctx, "ctx");
    },
    get page() {
      return setUp(page, "page");
    },
  };
}

/**
 * A test SMTP server on the port the apps send mail to, listening for the surrounding describe's
 * tests (a spec that reads mail).
 */
export function smtpServer(): TestSmtp {
  const smtp = new TestSmtp();
  beforeAll(async () => {
    smtp.port = e2e().smtpPort;
    await smtp.start();
  });
  afterAll(() => smtp.stop());
  return smtp;
}
