import { randomBytes } from "node:crypto";
import { PLANS, Stripe } from "@nchat/billing";
import type { FakeStripe } from "@nchat/billing/testing";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import type { Services } from "../server";
import { TestClient, tenantWithOwner } from "../testing";
import {
  auditActions,
  billingRest,
  deliver,
  deliverAll,
  rejection,
  sessionIdOf,
  startFakeStripe,
  stripeServices,
  subscribe,
  tenantRow,
} from "./testing";

/**
 * Issue 20's defects, each against the strict Stripe double: no plan before Stripe says it is
 * paid, upgrades that wait for their invoice, cancel_at, idempotency keys that cannot block a
 * tenant, customer deletion, events at another API version, and the admin's Retry and plan change.
 */

let fake: FakeStripe;
let services: Services;
beforeAll(async () => {
  fake = await startFakeStripe();
  services = await stripeServices(fake);
});
afterAll(async () => {
  await services.close();
  await fake.close();
});

const deliverPending = () => deliverAll(services, ...fake.takeEvents());
const updatesOf = (subscriptionId: string) =>
  fake.calls("POST", new RegExp(`^/v1/subscriptions/${subscriptionId}$`)).map((r) => r.params);

async function checkoutUrl(client: TestClient, plan: "pro" | "enterprise" = "pro") {
  const res = await billingRest(services, client, "checkout", { plan, interval: "month" });
  expect(res.status).toBe(200);
  return ((await res.json()) as { url: string }).url;
}

describe("no plan before Stripe says it is paid", () => {
  it("a checkout paid by a delayed method that then fails gives no plan, also after the subscription expires", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("pay-async"));
    fake.takeEvents();
    const id = sessionIdOf(await checkoutUrl(client));
    const done = fake.completeCheckout(id, "async");
    expect(done.subscription.status).toBe("incomplete");
    await deliverPending();
    expect(await tenantRow(services, tenant.id)).toMatchObject({ billingPlan: "free", status: "active" });
    await deliverAll(services, ...fake.asyncPaymentFailed(id));
    fake.advance(24 * 3600);
    expect(fake.subscription(done.subscription.id).status).toBe("incomplete_expired");
    await deliverPending();
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "free",
      limits: PLANS.free.limits,
      status: "active",
    });
  });

  it("a subscription Stripe holds as incomplete (created in the Dashboard, default_incomplete) never grants its plan", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("pay-inc"));
    const portal = await billingRest(services, client, "portal");
    expect(portal.status).toBe(200);
    const customer = (await tenantRow(services, tenant.id)).stripeCustomerId!;
    fake.setCard(customer, "ok");
    const stripe = services.billing.stripe!;
    const sub = await stripe.subscriptions.create({
      customer,
      items: [{ price: "price_ent_month" }],
      payment_behavior: "default_incomplete",
      metadata: { tenant_id: tenant.id },
    });
    expect(sub.status).toBe("incomplete");
    await deliverPending();
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("free");
    // Paid on the hosted invoice page: now it applies.
    await deliverAll(services, ...fake.payInvoice(String(sub.latest_invoice)));
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("enterprise");
  });
});

describe("an upgrade applies when its invoice is paid", () => {
  it("a declined proration keeps the old plan (Stripe holds a pending update); paying the invoice applies the new one", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("pay-up"));
    const sub = await subscribe(services, fake, client, "pro");
    fake.setCard(sub.customer, "declined");
    fake.takeEvents();
    const r = await client.call((c) => c.billing.changePlan({ plan: "enterprise", interval: "month" }));
    expect(r.url).toMatch(/^https:\/\/invoice\.stripe\.test\/i\//);
    expect(r.status.plan).toBe("pro");
    expect(updatesOf(sub.id).at(-1)).toMatchObject({
      payment_behavior: "pending_if_incomplete",
      proration_behavior: "always_invoice",
    });
    expect(fake.subscription(sub.id).pending_update).not.toBeNull();
    await deliverPending();
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "pro",
      limits: PLANS.pro.limits,
      status: "active",
      lastPaymentStatus: "failed",
    });
    expect((await auditActions(services, tenant.id, "billing.plan_change_pending")).length).toBe(1);
    // The billing page shows the held upgrade, with the invoice to pay, after a reload too.
    expect((await client.call((c) => c.billing.status())).pendingChange).toMatchObject({
      plan: "enterprise",
      invoiceUrl: r.url,
    });

    const invoice = fake.latestInvoice(sub.id)!;
    expect(r.url).toBe(invoice.hosted_invoice_url);
    await deliverAll(services, ...fake.payInvoice(invoice.id));
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "enterprise",
      limits: PLANS.enterprise.limits,
      lastPaymentStatus: "paid",
    });
    expect((await client.call((c) => c.billing.status())).pendingChange).toBeNull();
  });

  it("an unpaid pending update expires after 23 hours and the plan never changes; a card that needs authentication waits the same way", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("pay-exp"));
    const sub = await subscribe(services, fake, client, "pro");
    fake.setCard(sub.customer, "requires_action");
    fake.takeEvents();
    const r = await client.call((c) => c.billing.changePlan({ plan: "enterprise", interval: "month" }));
    expect(r.url).toMatch(/invoice\.stripe\.test/);
    await deliverPending();
    expect(
      (await auditActions(services, tenant.id, "billing.payment_action_required")).length,
    ).toBeGreaterThan(0);
    fake.advance(24 * 3600);
    const types = fake.takeEvents();
    expect(types.map((e) => e.type)).toContain("customer.subscription.pending_update_expired");
    await deliverAll(services, ...types);
    expect(fake.subscription(sub.id).items.data[0]!.price.id).toBe("price_pro_month");
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("pro");
    expect((await client.call((c) => c.billing.status())).pendingChange).toBeNull();
  });

  it("a scheduled cancellation is withdrawn only after the upgrade applied (a pending update takes no cancellation fields)", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("pay-can"));
    const sub = await subscribe(services, fake, client, "pro");
    await client.call((c) => c.billing.changePlan({ plan: "free", interval: "month" }));
    expect(fake.subscription(sub.id).cancel_at_period_end).toBe(true);
    await client.call((c) => c.billing.changePlan({ plan: "enterprise", interval: "month" }));
    const [upgrade, withdraw] = updatesOf(sub.id).slice(-2);
    expect(upgrade).not.toHaveProperty("metadata");
    expect(upgrade).not.toHaveProperty("cancel_at_period_end");
    expect(withdraw).toMatchObject({ cancel_at_period_end: "false", cancel_at: "" });
    expect(fake.subscription(sub.id)).toMatchObject({ cancel_at_period_end: false, cancel_at: null });
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "enterprise",
      cancelAtPeriodEnd: false,
    });
  });
});

describe("cancel_at", () => {
  it("a cancellation date set in the portal is cleared by resume and by a plan change, not only cancel_at_period_end", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("pay-cat"));
    const sub = await subscribe(services, fake, client, "enterprise");
    const at = fake.now() + 10 * 86_400;
    await deliverAll(services, fake.updateSubscription(sub.id, { cancelAt: at }));
    expect((await tenantRow(services, tenant.id)).cancelAtPeriodEnd).toBe(true);
    const resumed = await client.call((c) => c.billing.resume());
    expect(resumed.cancelAtPeriodEnd).toBe(false);
    expect(fake.subscription(sub.id).cancel_at).toBeNull();

    await deliverAll(services, fake.updateSubscription(sub.id, { cancelAt: at }));
    await client.call((c) => c.billing.changePlan({ plan: "pro", interval: "month" }));
    expect(fake.subscription(sub.id).cancel_at).toBeNull();
    fake.advance(11 * 86_400);
    expect(fake.subscription(sub.id).status).toBe("active");
  });
});

describe("idempotency keys", () => {
  it("a 5xx on customer creation does not block the next attempt (Stripe replays a 5xx for the same key for a day)", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("pay-idem"));
    fake.fail("POST", "/v1/customers", { status: 500 });
    expect(
      await services.billing.provider.createCustomer(tenant, SYSTEM).catch((e: unknown) => e),
    ).toBeInstanceOf(Stripe.errors.StripeAPIError);
    const id = await services.billing.provider.createCustomer(tenant, SYSTEM);
    expect(id).toMatch(/^cus_/);
    const keys = fake.calls("POST", /^\/v1\/customers$/).filter((r) => r.idempotencyKey?.includes(tenant.id));
    expect(keys).toHaveLength(2);
    expect(keys[0]!.idempotencyKey).not.toBe(keys[1]!.idempotencyKey);
  });

  it("details changed between attempts make a new request, not an idempotency error", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("pay-idn"));
    const fn = `nchat_test_fail_${tenant.id.replaceAll("-", "")}`;
    const sql = services.db.admin;
    await sql.unsafe(`create function public.${fn}() returns trigger language plpgsql as $$
      begin raise exception 'disk full (simulated)'; end $$`);
    await sql.unsafe(`create trigger ${fn} before update of stripe_customer_id on public.tenants
      for each row when (new.id = '${tenant.id}') execute function public.${fn}()`);
    try {
      await services.billing.provider.createCustomer(tenant, SYSTEM).catch(() => null);
    } finally {
      await sql.unsafe(`drop trigger ${fn} on public.tenants`);
      await sql.unsafe(`drop function public.${fn}()`);
    }
    await sql`update public.tenants set name = 'Renamed between attempts' where id = ${tenant.id}`;
    const id = await services.billing.provider.createCustomer(tenant, SYSTEM);
    expect(fake.customers.get(id)).toMatchObject({ name: "Renamed between attempts" });
  });
});

describe("events the endpoint must handle", () => {
  it("customer.deleted: the workspace forgets the customer and falls back to Free; the next checkout makes a new customer", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("pay-del"));
    const sub = await subscribe(services, fake, client, "pro");
    fake.takeEvents();
    const events = fake.deleteCustomer(sub.customer);
    expect(await deliverAll(services, ...events)).toEqual(["processed", "processed"]);
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "free",
      stripeCustomerId: null,
      stripeSubscriptionId: null,
    });
    const next = await subscribe(services, fake, client, "pro");
    expect(next.customer).not.toBe(sub.customer);
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("pro");
  });

  it("customer.subscription.paused (a trial ended without a way to pay) applies TRIAL_EXPIRY_ACTION", async () => {
    const trial = await stripeServices(fake, { TRIAL_DAYS: "7" });
    try {
      const { tenant, client } = await tenantWithOwner(trial, uniqueSlug("pay-pause"));
      const res = await billingRest(trial, client, "checkout", { plan: "pro", interval: "month" });
      const done = fake.completeCheckout(sessionIdOf(((await res.json()) as { url: string }).url));
      await deliverAll(trial, ...done.events);
      expect((await tenantRow(trial, tenant.id)).status).toBe("trial");
      fake.setCard(done.subscription.customer, null);
      fake.updateSubscription(done.subscription.id, { pauseWithoutPaymentMethod: true });
      fake.takeEvents();
      fake.advance(8 * 86_400);
      const events = fake.takeEvents();
      expect(events.map((e) => e.type)).toContain("customer.subscription.paused");
      await deliverAll(trial, ...events);
      expect(await tenantRow(trial, tenant.id)).toMatchObject({ billingPlan: "free", status: "active" });
    } finally {
      await trial.close();
    }
  });

  it("an event rendered at another API version is processed (state is re-fetched) and flagged for the operator", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("pay-ver"));
    const sub = await subscribe(services, fake, client, "pro");
    fake.endpointApiVersion = "2025-03-31.basil";
    try {
      const event = fake.updateSubscription(sub.id, { cancelAtPeriodEnd: true });
      expect(await deliverAll(services, event)).toEqual(["processed"]);
      const [row] = await services.db.admin<{ error: string | null }[]>`
        select error from public.stripe_webhooks where id = ${event.id}`;
      expect(row!.error).toMatch(/API version 2025-03-31\.basil/);
      expect((await tenantRow(services, tenant.id)).cancelAtPeriodEnd).toBe(true);
    } finally {
      fake.endpointApiVersion = Stripe.API_VERSION;
    }
  });
});

describe("the admin app", () => {
  async function superAdmin() {
    const email = `sa-${randomBytes(4).toString("hex")}@platform.test`;
    const password = "super-admin-password-1";
    await services.superAdmins.create({ email, name: "Root", password }, SYSTEM);
    const client = new TestClient(services, "localhost:3001", "admin");
    await client.call((c) => c.adminAuth.signIn({ email, password }));
    return client;
  }

  it("Retry reprocesses a failed Stripe event from its stored payload with Stripe's current state, audited", async () => {
    const admin = await superAdmin();
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("pay-retry"));
    const sub = await subscribe(services, fake, client, "pro");
    const event = fake.updateSubscription(sub.id, { price: "price_ent_month" });
    fake.fail("GET", `/v1/subscriptions/${sub.id}`, { status: 500, message: "Stripe is having a moment" });
    expect((await deliver(services, event)).status).toBe(500);
    const list = await admin.call((c) => c.admin.logs.webhooks({ limit: 5 }));
    expect(list.retryAvailable).toBe(true);
    expect((await admin.call((c) => c.admin.logs.webhook({ id: event.id }))).status).toBe("failed");
    const after = await admin.call((c) => c.admin.logs.retryWebhook({ id: event.id }));
    expect(after.status).toBe("processed");
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("enterprise");
    expect(await auditActions(services, tenant.id, "billing.event_retry")).toMatchObject([
      { actor_type: "super_admin", after: { outcome: "processed" } },
    ]);
    expect(await rejection(admin.call((c) => c.admin.logs.retryWebhook({ id: event.id })))).toMatchObject({
      appCode: "CONFLICT",
    });
  });

  it("a plan change of a paying workspace goes through Stripe (the next webhook keeps it); Custom is refused while a catalog price is billed", async () => {
    const admin = await superAdmin();
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("pay-admin"));
    const sub = await subscribe(services, fake, client, "pro");
    const changed = await admin.call((c) =>
      c.admin.tenants.changePlan({ id: tenant.id, plan: "enterprise" }),
    );
    expect(changed).toMatchObject({ plan: "enterprise", pendingPayment: null });
    expect(fake.subscription(sub.id).items.data[0]!.price.id).toBe("price_ent_month");
    await deliverPending();
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("enterprise");
    expect(
      await rejection(admin.call((c) => c.admin.tenants.changePlan({ id: tenant.id, plan: "custom" }))),
    ).toMatchObject({ appCode: "CONFLICT", message: expect.stringContaining("Custom") });
  });
});
