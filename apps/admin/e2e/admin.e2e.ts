/**
 * The admin console in a real browser (Debian's Chromium through playwright-core), against the
 * production builds the e2e harness starts (scripts/e2e): a super admin finds a tenant, changes its
 * plan and suspends it; the tenant's own host then shows the suspended page, and the audit log shows
 * both actions. A tenant owner's session gets nothing from the admin app.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminUrl,
  createWorkspace,
  e2e,
  harnessServices,
  launchBrowser,
  newUserContext,
  rawRequest,
  screenshot,
  signIn,
  superAdmin,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const OWNER_PASSWORD = "owner-password-e2e-1";

let browser: Browser;
const contexts: BrowserContext[] = [];

/** A workspace with its owner, created through TenantService (as sign-up would). */
async function newWorkspace(prefix: string) {
  const services = await harnessServices();
  try {
    const slug = uniqueSlug(prefix);
    const owner = { email: `owner@${slug}.test`, name: "Olive Owner", password: OWNER_PASSWORD };
    const { tenant } = await createWorkspace(services, { name: `Admin E2E ${slug}`, slug, owner });
    return { id: tenant.id, slug, name: tenant.name, ownerEmail: owner.email };
  } finally {
    await services.close();
  }
}

async function context() {
  const ctx = await newUserContext(browser);
  contexts.push(ctx);
  return ctx;
}

/** Signs a super admin in through the sign-in page (coming from `path`, and back there after). */
async function signInAsSuperAdmin(page: Page, path: string) {
  await page.goto(adminUrl(path));
  await page.waitForURL(/\/sign-in\?next=/);
  await page.getByLabel("Email").fill(superAdmin().email);
  await page.getByLabel("Password").fill(superAdmin().password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === path);
}

/** The owner signs in on the tenant's host through its login page; returns the session cookie. */
async function signInAsOwner(page: Page, slug: string, email: string) {
  await signIn(page, slug, { email, password: OWNER_PASSWORD });
  const cookie = (await page.context().cookies(tenantUrl(slug, "/"))).find((c) => c.name === "nchat_session");
  expect(cookie?.value).toBeTruthy();
  return cookie!.value;
}

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const ctx of contexts) await ctx.close().catch(() => {});
  await browser?.close();
});

describe("admin console", () => {
  it("a super admin finds a tenant, changes its plan and suspends it; the host and the audit log show it", async () => {
    const ws = await newWorkspace("adm");

    // The tenant's host works (and its resolver caches the tenant as active in the web process).
    const visitor = await (await context()).newPage();
    await visitor.goto(tenantUrl(ws.slug, "/login"));
    await expect(visitor.getByRole("heading", { level: 1 }).first().textContent()).resolves.not.toMatch(
      /suspended/i,
    );

    const ctx = await context();
    const page = await ctx.newPage();
    await signInAsSuperAdmin(page, "/tenants");

    // Find it: the search matches the start of a slug.
    await page.getByRole("searchbox").fill(ws.slug);
    await page.waitForURL((url) => url.searchParams.get("q") === ws.slug);
    const row = page.getByRole("row").filter({ hasText: ws.slug });
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    await screenshot(page, "admin-01-tenants-search");
    await page.getByRole("link", { name: ws.name }).click();
    await page.waitForURL(`**/tenants/${ws.id}`);
    await page.getByRole("heading", { level: 1, name: new RegExp(ws.name) }).waitFor();

    // Change the plan: Free → Pro.
    await page.getByRole("button", { name: "Change plan" }).click();
    const planDialog = page.getByRole("dialog", { name: "Change plan" });
    await planDialog.getByRole("radio", { name: /^Pro/ }).check();
    await screenshot(page, "admin-02-change-plan");
    await planDialog.getByRole("button", { name: "Switch to Pro" }).click();
    await page.getByRole("status").filter({ hasText: "Plan changed" }).waitFor();
    await planDialog.waitFor({ state: "hidden" });
    await page.locator("h1 .badge-plan-pro").waitFor();

    // Suspend, with a reason.
    await page.getByRole("button", { name: "Suspend…" }).click();
    const suspendDialog = page.getByRole("dialog", { name: `Suspend ${ws.name}?` });
    const confirm = suspendDialog.getByRole("button", { name: "Suspend workspace" });
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await suspendDialog.getByLabel("Reason").fill("E2E: abuse report #42");
    await screenshot(page, "admin-03-suspend");
    await confirm.click();
    await page.getByRole("status").filter({ hasText: "Workspace suspended" }).waitFor();
    await page.locator("h1 .badge-status-suspended").waitFor();
    await page.getByText("E2E: abuse report #42").first().waitFor();
    await screenshot(page, "admin-04-suspended", { fullPage: true });

    // The tenant's host now shows the suspended page (caches were invalidated across processes).
    let heading = "";
    for (let i = 0; i < 20 && !/suspended/i.test(heading); i++) {
      if (i) await visitor.waitForTimeout(500);
      await visitor.goto(tenantUrl(ws.slug, "/"));
      heading = (await visitor.getByRole("heading", { level: 1 }).first().textContent()) ?? "";
    }
    expect(heading).toMatch(new RegExp(`${ws.name} is suspended`, "i"));
    await screenshot(visitor, "admin-05-tenant-host-suspended");

    // The audit log shows both actions, by this super admin.
    await page.goto(adminUrl(`/audit?tenant=${ws.slug}`));
    const suspendedRow = page.getByRole("row").filter({ hasText: "tenant.status_suspended" });
    const planRow = page.getByRole("row").filter({ hasText: "tenant.plan_change" });
    await suspendedRow.first().waitFor();
    await expect(suspendedRow.first().textContent()).resolves.toContain(superAdmin().email);
    await expect(suspendedRow.first().textContent()).resolves.toContain("E2E: abuse report #42");
    await expect(planRow.first().textContent()).resolves.toContain(superAdmin().email);
    await expect(planRow.first().textContent()).resolves.toMatch(/free → pro/);
    await screenshot(page, "admin-06-audit-log");
  });

  it("refuses a tenant owner's session: console pages go to sign-in, the API answers 401", async () => {
    const ws = await newWorkspace("own");
    const ownerCtx = await context();
    const token = await signInAsOwner(await ownerCtx.newPage(), ws.slug, ws.ownerEmail);

    // The owner's cookie carried to the admin host, under both cookie names.
    const intruder = await context();
    const adminHost = new URL(e2e().adminUrl).hostname;
    await intruder.addCookies(
      ["nchat_session", "nchat_admin_session"].map((name) => ({
        name,
        value: token,
        domain: adminHost,
        path: "/",
        httpOnly: true,
        secure: true,
        sameSite: "Lax" as const,
      })),
    );
    const page = await intruder.newPage();
    for (const path of ["/", "/tenants", `/tenants/${ws.id}`, "/audit", "/webhooks"]) {
      await page.goto(adminUrl(path));
      await page.waitForURL(/\/sign-in/);
      expect(new URL(page.url()).pathname).toBe("/sign-in");
    }
    await page.getByRole("heading", { name: "Sign in to the admin console" }).waitFor();
    await screenshot(page, "admin-07-owner-refused");

    // The owner's credentials do not sign in here either: platform accounts only.
    await page.getByLabel("Email").fill(ws.ownerEmail);
    await page.getByLabel("Password").fill(OWNER_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "incorrect" }).waitFor();

    // And the API itself, called with the owner's cookie.
    const cookie = `nchat_session=${token}; nchat_admin_session=${token}`;
    for (const path of [
      "/api/trpc/adminAuth.me",
      "/api/trpc/admin.tenants.list?input=%7B%22json%22%3A%7B%7D%7D",
    ]) {
      const res = await rawRequest({ app: "admin", host: adminHost, path, headers: { cookie } });
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }
    const mutation = await rawRequest({
      app: "admin",
      host: adminHost,
      path: "/api/trpc/admin.tenants.suspend",
      method: "POST",
      headers: { cookie, "content-type": "application/json", origin: e2e().adminUrl },
      body: JSON.stringify({ json: { id: ws.id, reason: "owner trying" } }),
    });
    expect(mutation.status).toBe(401);

    const services = await harnessServices();
    try {
      expect((await services.tenants.getTenantById(ws.id))?.status).toBe("active");
    } finally {
      await services.close();
    }
  });
});
