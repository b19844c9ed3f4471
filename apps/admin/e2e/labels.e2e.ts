/**
 * The admin console says what it means: the overview names the month in full, the tenant search
 * matches anywhere in a name, unlimited limits read "Unlimited" (never -1), and the Stripe events
 * page does not talk about a build that lacks something.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminUrl,
  createWorkspace,
  harnessServices,
  launchBrowser,
  newUserContext,
  screenshot,
  superAdmin,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

let browser: Browser;
let ctx: BrowserContext;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  ctx = await newUserContext(browser);
  page = await ctx.newPage();
  await page.goto(adminUrl("/"));
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel("Email").fill(superAdmin().email);
  await page.getByLabel("Password").fill(superAdmin().password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/");
});

afterAll(async () => {
  await ctx?.close();
  await browser?.close();
});

describe("admin console labels", () => {
  it("names the month of the overview in full", async () => {
    const month = new Intl.DateTimeFormat("en-US", {
      month: "long",
      year: "numeric",
      timeZone: "UTC",
    }).format(new Date());
    await page.getByText(`Figures for ${month} (UTC) unless noted.`).waitFor();
  });

  it("finds a tenant by a word in the middle of its name; an Enterprise tenant's limits read Unlimited", async () => {
    const slug = uniqueSlug("lbl");
    const word = `Zeppelin${slug.slice(-6)}`;
    const services = await harnessServices();
    let id = "";
    try {
      const { tenant } = await createWorkspace(services, {
        name: `The ${word} Company`,
        slug,
        owner: { email: `owner@${slug}.test`, name: "Olive", password: "owner-password-lbl-1" },
        plan: "enterprise",
      });
      id = tenant.id;
    } finally {
      await services.close();
    }
    await page.goto(adminUrl("/tenants"));
    await page.getByRole("searchbox").fill(word.toLowerCase());
    const row = page.getByRole("row").filter({ hasText: slug });
    await row.first().waitFor();
    expect(await row.count()).toBe(1);

    await page.goto(adminUrl(`/tenants/${id}`));
    await page.getByText("Limits this month").waitFor();
    const meters = page.locator(".meters");
    await meters.getByText("Unlimited").first().waitFor();
    expect(await meters.textContent()).not.toContain("∞");
    // The plan change's audit entry (the "Audit log" tab): limits.users: 10 → Unlimited, not → -1.
    await page.getByRole("tab", { name: "Audit log" }).click();
    const audit = page.locator(".change").filter({ hasText: "limits.users" });
    await audit.first().waitFor();
    expect(await audit.first().textContent()).toContain("limits.users: 10 → Unlimited");
    await screenshot(page, "admin-labels-unlimited", { fullPage: true });

    // A dialog starts at its first field, not at its Close button.
    await page.getByRole("button", { name: "Suspend…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Reason").waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("suspend-reason");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
  });

  it("the Stripe events page says nothing about a missing build feature", async () => {
    await page.goto(adminUrl("/webhooks"));
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    // What an operator can do instead (the page rendered its note), not what the build lacks.
    await page.getByText("resend it from the Stripe dashboard").waitFor({ timeout: 60_000 });
    expect(await page.locator("body").textContent()).not.toContain("does not have yet");
  });
});
