/**
 * The pages a workspace in trouble shows: an unknown address, a payment past due (every page
 * leads to billing; the owner can fix it), a suspended workspace.
 */
import { type Services, SYSTEM } from "@nchat/api";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  harnessServices,
  launchBrowser,
  newUserContext,
  screenshot,
  screenshotOnFailure,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

const LONG = { timeout: 60_000 };

describe("status pages", () => {
  let browser: Browser;
  let services: Services;

  beforeAll(async () => {
    services = await harnessServices();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await services?.close();
  });
  screenshotOnFailure(() => browser?.contexts().flatMap((c) => c.pages()) ?? []);

  it("answers an unknown workspace address with a 404 page", async () => {
    const ctx = await newUserContext(browser);
    const page = await ctx.newPage();
    const res = await page.goto(tenantUrl(uniqueSlug("nobody"), "/"));
    expect(res?.status()).toBe(404);
    await page.getByRole("heading", { name: "There is no workspace at this address" }).waitFor(LONG);
    const create = page.getByRole("main").getByRole("link", { name: "Create a workspace" });
    await expect.poll(() => create.getAttribute("href")).toMatch(/^https:\/\/localhost:\d+\/signup$/);
    // The header's links name the base domain too (relative ones would stay on the unknown host).
    const header = page.getByRole("navigation", { name: "Primary" });
    await expect
      .poll(() => header.getByRole("link", { name: "Create a workspace" }).getAttribute("href"))
      .toMatch(/^https:\/\/localhost:\d+\/signup$/);
    await screenshot(page, "30-unknown-workspace");
    await ctx.close();
  });

  it("sends every page of a past-due workspace to billing, where the owner can pay", async () => {
    const slug = uniqueSlug("late");
    const { tenant } = await services.tenants.createTenant(
      {
        name: "Late Payers",
        slug,
        ownerEmail: "owner@late.test",
        ownerName: "Lee Late",
        ownerPassword: "late-password-1",
      },
      SYSTEM,
      { plan: "pro" },
    );
    await services.tenants.updateTenant(tenant.id, { status: "past_due" }, SYSTEM);
    const ctx = await newUserContext(browser);
    const page = await ctx.newPage();
    await page.goto(tenantUrl(slug, "/login"));
    await page.getByLabel("Email").fill("owner@late.test");
    await page.getByLabel("Password").fill("late-password-1");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Billing" }).waitFor(LONG);
    await page.getByText("Payment past due").waitFor(LONG);
    // Any address shows billing (status 402) while payment is due.
    const res = await page.goto(tenantUrl(slug, "/members"));
    expect(res?.status()).toBe(402);
    await page.getByText("Payment past due").waitFor(LONG);
    await screenshot(page, "31-past-due-billing");
    await ctx.close();
  });

  it("shows a suspended workspace's page", async () => {
    const slug = uniqueSlug("frozen");
    const { tenant } = await services.tenants.createTenant(
      {
        name: "Frozen Inc",
        slug,
        ownerEmail: "owner@frozen.test",
        ownerName: "Fay",
        ownerPassword: "frozen-password-1",
      },
      SYSTEM,
    );
    await services.tenants.updateTenant(tenant.id, { status: "suspended" }, SYSTEM);
    const ctx = await newUserContext(browser);
    const page = await ctx.newPage();
    const res = await page.goto(tenantUrl(slug, "/"));
    expect(res?.status()).toBe(403);
    await page.getByRole("heading", { name: "Frozen Inc is suspended" }).waitFor(LONG);
    await screenshot(page, "32-suspended");
    await ctx.close();
  });
});
