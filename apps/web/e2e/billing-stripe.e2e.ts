/**
 * The billing page against the strict Stripe double (scripts/e2e/stripe.ts): the owner upgrades
 * Free → Pro through Checkout and the plan applies once Stripe's webhooks say it is paid; with a
 * declined card an upgrade to Enterprise waits for its invoice and the plan stays Pro; paying that
 * invoice applies Enterprise; API calls above Pro's allowance, reported by the billing jobs, show in
 * "Usage this period" and as a line of the estimated next invoice.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWorkspace,
  LONG,
  launchBrowser,
  newUserContext,
  screenshot,
  screenshotOnFailure,
  uniqueSlug,
} from "../../../scripts/e2e/harness";
import { payOnCheckout, stripeSpec } from "../../../scripts/e2e/stripe";

const slug = uniqueSlug("pay");
const owner = { email: `owner@${slug}.test`, name: "Petra Payer", password: "owner-password-e2e-1" };

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The owner's page on the Stripe web app, signed in. */
async function signedIn(url: (slug: string, path: string) => string, at: string, who: typeof owner) {
  const ctx = await newUserContext(browser);
  const page = await ctx.newPage();
  await page.goto(url(at, "/login"));
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("channel-title").waitFor(LONG);
  return page;
}

/** Opens the plan's card and confirms the upgrade in the dialog. */
async function upgradeTo(page: Page, name: string) {
  await page
    .getByTestId(`plan-${name.toLowerCase()}`)
    .getByRole("button", { name: `Upgrade to ${name}` })
    .click();
  const dialog = page.getByRole("dialog", { name: `Upgrade to ${name}?` });
  await dialog.getByTestId("plan-change-summary").waitFor();
  await dialog.getByRole("button", { name: `Upgrade to ${name}` }).click();
}

describe("Billing page with Stripe", () => {
  const stripe = stripeSpec({ apps: ["web"] });
  let page: Page;
  let tenantId = "";
  screenshotOnFailure(() => (page ? [page] : []));

  const tenant = async () => {
    const t = await stripe.services.tenants.getTenantById(tenantId);
    if (!t) throw new Error("the workspace is gone");
    return t;
  };

  it("Free → Pro through Checkout: the plan applies once Stripe says it is paid", async () => {
    const created = await createWorkspace(stripe.services, { name: `Pay ${slug}`, slug, owner });
    tenantId = created.tenant.id;
    page = await signedIn(stripe.tenantUrl, slug, owner);

    await page.goto(stripe.tenantUrl(slug, "/billing"));
    await expect(page.getByTestId("current-plan").textContent()).resolves.toBe("Free");
    // Nothing is billed by usage without a subscription.
    expect(await page.getByTestId("metered-usage").count()).toBe(0);

    const checkout = await payOnCheckout(page);
    await upgradeTo(page, "Pro");
    const sessionId = await checkout();
    await page.waitForURL((u) => u.pathname === "/billing" && u.searchParams.get("session_id") === sessionId);
    await page.getByText("Thanks! Your plan is updated.").waitFor();
    await page.locator('[data-testid="current-plan"]', { hasText: "Pro" }).waitFor(LONG);
    const t = await tenant();
    expect(t.billingPlan).toBe("pro");
    expect(t.stripeSubscriptionId).toMatch(/^sub_/);
    await screenshot(page, "billing-stripe-pro");
  });

  it("a declined card: the upgrade to Enterprise waits for payment and the plan stays Pro", async () => {
    const t = await tenant();
    await stripe.call("setCard", t.stripeCustomerId, "declined");
    await page.goto(stripe.tenantUrl(slug, "/billing"));
    await page.locator('[data-testid="current-plan"]', { hasText: "Pro" }).waitFor();

    await upgradeTo(page, "Enterprise");
    const notice = page.getByTestId("upgrade-awaiting-payment");
    await notice.getByText("Your upgrade to Enterprise waits for payment").waitFor(LONG);
    const invoice = (
      await stripe.call<{ hosted_invoice_url: string } | null>("latestInvoice", t.stripeSubscriptionId)
    ).result;
    expect(invoice).not.toBeNull();
    await expect(notice.getByRole("link", { name: "Pay the invoice" }).getAttribute("href")).resolves.toBe(
      invoice!.hosted_invoice_url,
    );
    await expect(page.getByTestId("current-plan").textContent()).resolves.toBe("Pro");
    await notice.scrollIntoViewIfNeeded();
    await screenshot(page, "billing-stripe-waits-for-payment");

    // Stripe's events about the failed invoice arrived: still Pro, after a reload too, and the
    // notice with the invoice stays (Stripe still holds the upgrade).
    await stripe.deliver();
    await page.reload();
    await page.locator('[data-testid="current-plan"]', { hasText: "Pro" }).waitFor();
    expect((await tenant()).billingPlan).toBe("pro");
    const after = page.getByTestId("upgrade-awaiting-payment");
    await after.getByText("Your upgrade to Enterprise waits for payment").waitFor(LONG);
    await expect(after.getByRole("link", { name: "Pay the invoice" }).getAttribute("href")).resolves.toBe(
      invoice!.hosted_invoice_url,
    );
  });

  it("the invoice is paid: Enterprise applies", async () => {
    const t = await tenant();
    await stripe.call("setCard", t.stripeCustomerId, "ok");
    const paid = await stripe.call<{ events: { type: string }[] }>("payLatest", t.stripeSubscriptionId);
    expect(paid.delivered.map((d) => d.type)).toContain("customer.subscription.updated");
    expect((await tenant()).billingPlan).toBe("enterprise");
    await page.reload();
    await page.locator('[data-testid="current-plan"]', { hasText: "Enterprise" }).waitFor(LONG);
    expect(await page.getByTestId("upgrade-awaiting-payment").count()).toBe(0);
  });
});

describe("Metered API calls with Stripe", () => {
  const stripe = stripeSpec({ apps: ["web"] });
  const usageSlug = uniqueSlug("meter");
  const who = { email: `owner@${usageSlug}.test`, name: "Mia Meter", password: "owner-password-e2e-1" };
  let page: Page;
  screenshotOnFailure(() => (page ? [page] : []));

  it("calls above Pro's allowance, reported by the billing jobs, show as overage and on the estimate", async () => {
    const { tenant } = await createWorkspace(stripe.services, {
      name: `Meter ${usageSlug}`,
      slug: usageSlug,
      owner: who,
    });
    page = await signedIn(stripe.tenantUrl, usageSlug, who);
    await page.goto(stripe.tenantUrl(usageSlug, "/billing"));
    const checkout = await payOnCheckout(page);
    await upgradeTo(page, "Pro");
    await checkout();
    await page.locator('[data-testid="current-plan"]', { hasText: "Pro" }).waitFor(LONG);

    // Before any usage: the section is there, nothing above the allowance.
    const calls = page.getByTestId("metered-api_calls");
    await calls.waitFor(LONG);
    await expect(page.getByTestId("metered-api_calls-overage").textContent()).resolves.toBe("0 calls");

    // 1,234 calls above Pro's 50,000 this month, then the billing jobs report them to Stripe.
    const month = new Date().toISOString().slice(0, 7);
    await stripe.services.db.admin`
      insert into public.tenant_usage (tenant_id, period, api_calls_total)
      values (${tenant.id}, ${month}, 51234)
      on conflict (tenant_id, period) do update set api_calls_total = excluded.api_calls_total`;
    await stripe.deliver();
    const report = await stripe.services.billing.runJobs();
    expect(report.usage.reported.map((r) => [r.slug, r.meter, r.quantity])).toContainEqual([
      usageSlug,
      "api_calls",
      1234,
    ]);
    await stripe.deliver();

    await page.reload();
    await page.getByTestId("metered-api_calls-overage").filter({ hasText: "1,234 calls" }).waitFor(LONG);
    await expect(page.getByTestId("metered-api_calls-reported").textContent()).resolves.toBe("1,234 calls");
    const estimate = page.getByTestId("invoice-estimate");
    // Pro's $49 and 1,234 calls at one cent.
    await estimate.getByRole("row").filter({ hasText: "1,234" }).filter({ hasText: "$12.34" }).waitFor();
    await expect(estimate.getByTestId("invoice-estimate-total").textContent()).resolves.toBe("$61.34");
    await screenshot(page, "billing-stripe-metered", { fullPage: true });
  });
});
