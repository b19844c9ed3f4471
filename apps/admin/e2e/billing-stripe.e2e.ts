/**
 * The admin console against the strict Stripe double (scripts/e2e/stripe.ts): a paying workspace's
 * page shows its metered usage and Stripe's estimate; the plan change goes through Stripe (an
 * upgrade with a declined card waits for payment and the plan stays; Custom is refused while a
 * catalog price is billed; once the invoice is paid the page shows the new plan); and Retry on the
 * Stripe events page processes a failed event again.
 */
import { SYSTEM } from "@nchat/api";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWorkspace,
  LONG,
  launchBrowser,
  newUserContext,
  screenshot,
  screenshotOnFailure,
  superAdmin,
  uniqueSlug,
} from "../../../scripts/e2e/harness";
import { stripeSpec } from "../../../scripts/e2e/stripe";

const slug = uniqueSlug("adm-pay");
const owner = { email: `owner@${slug}.test`, name: "Paula Admin", password: "owner-password-e2e-1" };

describe("Admin console with Stripe", () => {
  const stripe = stripeSpec({ apps: ["web", "admin"] });
  let browser: Browser;
  let page: Page;
  let tenantId = "";
  let subscriptionId = "";
  screenshotOnFailure(() => (page ? [page] : []));

  const tenant = async () => {
    const t = await stripe.services.tenants.getTenantById(tenantId);
    if (!t) throw new Error("the workspace is gone");
    return t;
  };

  beforeAll(async () => {
    // A workspace that pays Pro: Checkout created by the billing service, paid by the customer.
    const created = await createWorkspace(stripe.services, { name: `Admin pay ${slug}`, slug, owner });
    tenantId = created.tenant.id;
    const { url } = await stripe.services.billing.checkout(
      { id: tenantId },
      { plan: "pro", interval: "month" },
      SYSTEM,
      {
        successUrl: stripe.tenantUrl(slug, "/billing?upgraded=1"),
        cancelUrl: stripe.tenantUrl(slug, "/billing"),
      },
    );
    const sessionId = url!.split("/").pop()!;
    await stripe.call("completeCheckout", sessionId);
    const t = await tenant();
    expect(t.billingPlan).toBe("pro");
    subscriptionId = t.stripeSubscriptionId!;

    browser = await launchBrowser();
    const ctx = await newUserContext(browser);
    page = await ctx.newPage();
    await page.goto(stripe.adminUrl(`/tenants/${tenantId}`));
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel("Email").fill(superAdmin().email);
    await page.getByLabel("Password").fill(superAdmin().password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => u.pathname === `/tenants/${tenantId}`);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("the tenant page shows the metered usage and Stripe's estimate", async () => {
    const panel = page.locator("#metered-usage");
    await panel.getByTestId("admin-metered-api_calls").waitFor(LONG);
    expect(await panel.getByTestId("admin-metered-api_calls").textContent()).toContain("50,000 calls");
    // Pro's $49, nothing above the allowance yet.
    await panel.getByTestId("admin-invoice-estimate").getByText("$49").first().waitFor();
  });

  it("an upgrade with a declined card waits for payment; Custom is refused; paid, the page shows Enterprise", async () => {
    const t = await tenant();
    await stripe.call("setCard", t.stripeCustomerId, "declined");

    await page.getByRole("button", { name: "Change plan" }).click();
    const dialog = page.getByRole("dialog", { name: "Change plan" });
    await dialog.getByText("Enterprise", { exact: true }).click();
    await dialog.getByRole("button", { name: "Switch to Enterprise" }).click();
    await dialog.getByTestId("plan-change-waiting").waitFor(LONG);
    expect(await dialog.getByTestId("plan-change-waiting").textContent()).toContain("stays on Pro");
    const invoice = (
      await stripe.call<{ hosted_invoice_url: string } | null>("latestInvoice", subscriptionId)
    ).result;
    await expect(dialog.getByRole("link", { name: "Open the invoice" }).getAttribute("href")).resolves.toBe(
      invoice!.hosted_invoice_url,
    );
    expect((await tenant()).billingPlan).toBe("pro");
    await screenshot(page, "admin-stripe-plan-waiting");

    // Custom is arranged in Stripe with a price of its own: refused while Pro's price is billed.
    await dialog.getByText("Custom", { exact: true }).click();
    await dialog.getByRole("button", { name: "Switch to Custom" }).click();
    await dialog.getByText("This workspace pays a catalog plan through Stripe").waitFor(LONG);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });

    // The customer pays the invoice: Stripe applies the upgrade, its webhooks reach the app.
    await stripe.call("setCard", t.stripeCustomerId, "ok");
    await stripe.call("payLatest", subscriptionId);
    const sub = (
      await stripe.call<{ items: { data: { price: { id: string } }[] } }>("subscription", subscriptionId)
    ).result;
    expect(sub.items.data.map((i) => i.price.id)).toContain("price_ent_month");
    await page.reload();
    await page.getByRole("heading", { level: 1 }).getByText("Enterprise").waitFor(LONG);
    expect((await tenant()).billingPlan).toBe("enterprise");
  });

  it("Retry on the Stripe events page processes a failed event again", async () => {
    // Stripe's API fails while the app handles the next event: it is stored as failed.
    await stripe.call("fail", "GET", `/v1/subscriptions/${subscriptionId}`, { status: 500, times: 1 });
    const { delivered } = await stripe.callUnchecked<unknown>("updateSubscription", subscriptionId, {});
    expect(delivered.map((d) => d.status)).toContain(500);
    const failed = delivered.find((d) => d.status !== 200)!;

    await page.goto(stripe.adminUrl("/webhooks"));
    await page.getByRole("button", { name: failed.id }).click();
    const viewer = page.getByRole("dialog");
    await viewer.getByRole("button", { name: "Retry event" }).click();
    await page.getByText("Event reprocessed", { exact: true }).waitFor(LONG);
    await viewer.getByText("processed", { exact: true }).waitFor();
    await viewer.getByRole("button", { name: "Close" }).first().click();
    await viewer.waitFor({ state: "hidden" });
    const row = page.getByRole("row").filter({ has: page.getByRole("button", { name: failed.id }) });
    // The Status column (the fifth) leaves "failed" once the list is refetched.
    await expect
      .poll(async () => (await row.locator("td").nth(4).textContent()) ?? "", LONG)
      .not.toBe("failed");
    expect(await row.locator("td").nth(4).textContent()).toMatch(/process|succe|handled/i);
    await screenshot(page, "admin-stripe-retry");
  });
});
