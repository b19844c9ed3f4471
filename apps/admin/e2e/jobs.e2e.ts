/**
 * The Jobs page in a real browser, against the production builds the e2e harness starts: it lists
 * the scheduled jobs, and "Run now" on domain re-verification queues a run that a web process works
 * (the admin app's processes only queue); the page then shows the new, successful run.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminUrl,
  createWorkspace,
  harnessServices,
  LONG,
  launchBrowser,
  newUserContext,
  screenshot,
  superAdmin,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

let browser: Browser;
let ctx: BrowserContext;

beforeAll(async () => {
  browser = await launchBrowser();
  ctx = await newUserContext(browser);
});

afterAll(async () => {
  await ctx?.close().catch(() => {});
  await browser?.close();
});

async function signInAsSuperAdmin(page: Page, path: string) {
  await page.goto(adminUrl(path));
  await page.waitForURL(/\/sign-in\?next=/);
  await page.getByLabel("Email").fill(superAdmin().email);
  await page.getByLabel("Password").fill(superAdmin().password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === path);
}

describe("Jobs page", () => {
  it("lists the jobs; Run now on domain re-verification shows a new successful run", async () => {
    // A web process works the queue once its services exist: a page of a workspace starts them.
    const services = await harnessServices();
    const slug = uniqueSlug("jobs");
    try {
      await createWorkspace(services, {
        name: `Jobs E2E ${slug}`,
        slug,
        owner: { email: `owner@${slug}.test`, name: "Olive Owner", password: "owner-password-e2e-1" },
      });
    } finally {
      await services.close();
    }
    const visitor = await ctx.newPage();
    await visitor.goto(tenantUrl(slug, "/login"));
    await visitor.close();

    const page = await ctx.newPage();
    await signInAsSuperAdmin(page, "/jobs");
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    for (const name of ["billing-jobs", "billing-reconcile", "domains-recheck", "tenants-purge"])
      await page.getByTestId(`job-${name}`).waitFor();
    for (const title of ["Billing", "Stripe reconcile", "Domain re-verification", "Purge after retention"])
      expect(await page.getByRole("cell", { name: title }).count()).toBeGreaterThan(0);
    await expect(page.getByRole("link", { name: "Jobs" }).getAttribute("aria-current")).resolves.toBe("page");

    const row = page.getByTestId("job-domains-recheck");
    const before = (await row.getAttribute("data-last-run")) ?? "";
    await row.getByRole("button", { name: "Run Domain re-verification now" }).click();
    await page.getByText("Run queued", { exact: true }).waitFor();
    await page
      .locator(
        `tr[data-testid="job-domains-recheck"]:not([data-last-run="${before}"]):not([data-last-run=""])`,
      )
      .filter({ hasText: "Succeeded" })
      .waitFor(LONG);
    expect(await row.textContent()).toContain("run now");
    await screenshot(page, "admin-jobs");
  }, 120_000);
});
