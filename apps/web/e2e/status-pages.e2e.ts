/**
 * The pages a workspace in trouble shows: an unknown address, a payment past due (every page
 * leads to billing; the owner can fix it), a suspended workspace.
 */
import { SYSTEM } from "@nchat/api";
import { describe, expect, it } from "vitest";
import {
  browserSpec,
  createWorkspace,
  LONG,
  newUserContext,
  screenshot,
  signIn,
  tenantUrl,
  uniqueSlug,
} from "../../../scripts/e2e/harness";

describe("status pages", () => {
  const spec = browserSpec();

  it("answers an unknown workspace address with a 404 page", async () => {
    const ctx = await newUserContext(spec.browser);
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
    const owner = { email: "owner@late.test", name: "Lee Late", password: "late-password-1" };
    const { tenant } = await createWorkspace(spec.services, {
      name: "Late Payers",
      slug,
      owner,
      plan: "pro",
    });
    await spec.services.tenants.updateTenant(tenant.id, { status: "past_due" }, SYSTEM);
    const ctx = await newUserContext(spec.browser);
    const page = await ctx.newPage();
    await signIn(page, slug, owner, { secondStep: true }); // a past-due workspace opens on billing
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
    const { tenant } = await createWorkspace(spec.services, {
      name: "Frozen Inc",
      slug,
      owner: { email: "owner@frozen.test", name: "Fay", password: "frozen-password-1" },
    });
    await spec.services.tenants.updateTenant(tenant.id, { status: "suspended" }, SYSTEM);
    const ctx = await newUserContext(spec.browser);
    const page = await ctx.newPage();
    const res = await page.goto(tenantUrl(slug, "/"));
    expect(res?.status()).toBe(403);
    await page.getByRole("heading", { name: "Frozen Inc is suspended" }).waitFor(LONG);
    await screenshot(page, "32-suspended");
    await ctx.close();
  });
});
