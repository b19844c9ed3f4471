import { PLANS } from "@nchat/billing";
import type { FakeStripe } from "@nchat/billing/testing";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Services } from "../server";
import { tenantWithOwner } from "../testing";
import {
  auditActions,
  billingRest,
  deliver,
  deliverAll,
  sessionIdOf,
  startFakeStripe,
  stripeServices,
  subscribe,
  tenantRow,
  WEBHOOK_SECRET,
} from "./testing";

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
afterEach(() => {
  vi.restoreAllMocks();
});

/** REST handlers log unexpected errors (a failed webhook is one); keep the output readable. */
const quiet = () => vi.spyOn(console, "error").mockImplementation(() => {});

async function webhookRow(id: string) {
  const [row] = await services.db.admin<
    { status: string; attempts: number; error: string | null; tenant_id: string | null }[]
  >`
    select status, attempts, error, tenant_id from public.stripe_webhooks where id = ${id}`;
  return row ?? null;
}

describe("checkout → webhooks → plan", () => {
  it("a completed checkout changes plan, limits and features, and drops the tenant from the caches", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("wh-co"));
    expect((await services.resolver.bySlug(tenant.slug))?.plan).toBe("free"); // now cached
    const res = await billingRest(services, client, "checkout", { plan: "pro", interval: "month" });
    expect(res.status).toBe(200);
    const { url, mode } = (await res.json()) as { url: string; mode: string };
    expect(mode).toBe("stripe");
    expect(url).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    const session = fake.checkoutSessions.get(sessionIdOf(url))!;
    expect(session).toMatchObject({
      client_reference_id: tenant.id,
      success_url: expect.stringContaining(client.host),
    });
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("free"); // nothing until paid

    const done = fake.completeCheckout(sessionIdOf(url));
    expect(await deliverAll(services, done.created, done.completed, done.paid!)).toEqual([
      "processed",
      "processed",
      "processed",
    ]);
    const t = await tenantRow(services, tenant.id);
    expect(t).toMatchObject({
      billingPlan: "pro",
      billingInterval: "month",
      status: "active",
      stripeSubscriptionId: done.subscription.id,
      stripePriceId: "price_pro_month",
      limits: PLANS.pro.limits,
      features: PLANS.pro.features,
      cancelAtPeriodEnd: false,
      lastPaymentStatus: "paid",
      lastPaymentAmount: 4_900,
    });
    expect(t.currentPeriodEnd!.getTime()).toBe(done.subscription.items.data[0]!.current_period_end * 1000);
    expect((await services.resolver.bySlug(tenant.slug))?.plan).toBe("pro");
    expect((await services.resolver.bySlug(tenant.slug))?.features.threads).toBe(true);
    const audit = await auditActions(services, tenant.id);
    expect(audit.map((a) => a.action)).toEqual([
      "billing.customer_create",
      "billing.checkout_start",
      "billing.plan_change",
      "billing.subscription_update",
      "billing.checkout_completed",
      "billing.payment_succeeded",
    ]);
    const change = audit.find((a) => a.action === "billing.plan_change")!;
    expect(change.actor_type).toBe("system");
    expect(change.after).toMatchObject({
      from: { plan: "free" },
      to: { plan: "pro", interval: "month" },
      stripeEventType: "customer.subscription.created",
    });
  });
});

describe("webhook delivery", () => {
  it("a bad, missing or stale signature, or a tampered body, is refused with 400 and nothing is stored", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("wh-sig"));
    const res = await billingRest(services, client, "checkout", { plan: "pro", interval: "month" });
    const done = fake.completeCheckout(sessionIdOf(((await res.json()) as { url: string }).url));
    const event = done.created;
    const attempts = [
      await deliver(services, event, { secret: "whsec_wrong" }),
      await deliver(services, event, { signature: null }),
      await deliver(services, event, { signature: "t=1,v1=deadbeef" }),
      await deliver(services, event, {
        body: JSON.stringify({ ...event, data: { object: { ...event.data.object, customer: "cus_other" } } }),
      }),
    ];
    for (const r of attempts) {
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ error: { code: "VALIDATION_FAILED" } });
    }
    expect(await webhookRow(event.id)).toBeNull();
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("free");
    expect(fake.calls("GET", new RegExp(`/v1/subscriptions/${done.subscription.id}$`))).toHaveLength(0);
  });

  it("a replayed event is acknowledged (200) and applied once", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("wh-rep"));
    const sub = await subscribe(services, fake, client);
    const failed = fake.failPayment(sub.id).failed;
    expect(await deliverAll(services, failed)).toEqual(["processed"]);
    expect(await deliverAll(services, failed, failed)).toEqual(["duplicate", "duplicate"]);
    const audit = await auditActions(services, tenant.id, "billing.payment_failed");
    expect(audit).toHaveLength(1);
    expect(await webhookRow(failed.id)).toMatchObject({
      status: "processed",
      attempts: 1,
      tenant_id: tenant.id,
    });
  });

  it("20 concurrent deliveries of one event apply it once", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("wh-conc"));
    const res = await billingRest(services, client, "checkout", { plan: "enterprise", interval: "year" });
    const done = fake.completeCheckout(sessionIdOf(((await res.json()) as { url: string }).url));
    const subPath = new RegExp(`/v1/subscriptions/${done.subscription.id}$`);
    const responses = await Promise.all(Array.from({ length: 20 }, () => deliver(services, done.completed)));
    const outcomes = await Promise.all(
      responses.map(async (r) => [r.status, ((await r.json()) as { outcome: string }).outcome]),
    );
    expect(outcomes.filter(([s]) => s === 200)).toHaveLength(20);
    expect(outcomes.filter(([, o]) => o === "processed")).toHaveLength(1);
    expect(outcomes.filter(([, o]) => o === "duplicate")).toHaveLength(19);
    expect(fake.calls("GET", subPath)).toHaveLength(1); // only the one that applied it asked Stripe
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "enterprise",
      billingInterval: "year",
    });
    const actions = (await auditActions(services, tenant.id)).map((a) => a.action);
    expect(actions.filter((a) => a === "billing.plan_change")).toHaveLength(1);
    expect(actions.filter((a) => a === "billing.checkout_completed")).toHaveLength(1);
    expect(await webhookRow(done.completed.id)).toMatchObject({ status: "processed", attempts: 1 });
  });

  it("out of order: updated before created, and an old update after a newer one, end in Stripe's state", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("wh-ord"));
    const res = await billingRest(services, client, "checkout", { plan: "pro", interval: "month" });
    const done = fake.completeCheckout(sessionIdOf(((await res.json()) as { url: string }).url));
    const older = fake.updateSubscription(done.subscription.id, { price: "price_ent_month" });
    const newer = fake.updateSubscription(done.subscription.id, { cancelAtPeriodEnd: true });

    // The newest first, then the creation (its payload still says Pro), then the older update
    // (its payload says "not cancelling"), then the checkout.
    expect(await deliverAll(services, newer, done.created, older, done.completed)).toEqual([
      "processed",
      "processed",
      "processed",
      "processed",
    ]);
    const t = await tenantRow(services, tenant.id);
    expect(t).toMatchObject({
      billingPlan: "enterprise",
      stripePriceId: "price_ent_month",
      cancelAtPeriodEnd: true,
      limits: PLANS.enterprise.limits,
      status: "active",
    });
    // Only the first delivery changed anything: later ones found Stripe's state already applied.
    const actions = (await auditActions(services, tenant.id)).map((a) => a.action);
    expect(actions.filter((a) => a === "billing.plan_change")).toHaveLength(1);
  });

  it("a handler failure leaves the event retryable (failed + error), and Stripe's retry is processed", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("wh-fail"));
    const res = await billingRest(services, client, "checkout", { plan: "pro", interval: "year" });
    const done = fake.completeCheckout(sessionIdOf(((await res.json()) as { url: string }).url));
    fake.fail("GET", new RegExp(`^/v1/subscriptions/${done.subscription.id}$`), {
      status: 500,
      message: "Stripe is having a moment",
    });
    quiet();
    const first = await deliver(services, done.completed);
    expect(first.status).toBe(500);
    expect(await webhookRow(done.completed.id)).toMatchObject({
      status: "failed",
      attempts: 1,
      error: expect.stringContaining("Stripe is having a moment"),
    });
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("free"); // the effect rolled back
    expect(await auditActions(services, tenant.id, "billing.checkout_completed")).toHaveLength(0);

    const retry = await deliver(services, done.completed);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { outcome: string }).outcome).toBe("processed");
    expect(await webhookRow(done.completed.id)).toMatchObject({
      status: "processed",
      attempts: 2,
      error: null,
    });
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "pro",
      billingInterval: "year",
    });
  });

  it("events for unknown customers and unhandled types are acknowledged and stored as ignored", async () => {
    const stray = fake.event("customer.subscription.updated", {
      id: "sub_stray",
      object: "subscription",
      customer: "cus_nobody",
    });
    const other = fake.event("charge.refunded", { id: "ch_1", object: "charge", customer: "cus_nobody" });
    expect(await deliverAll(services, stray, other, stray)).toEqual(["ignored", "ignored", "duplicate"]);
    expect(await webhookRow(stray.id)).toMatchObject({ status: "ignored", tenant_id: null });
  });
});

describe("payments and subscription lifecycle", () => {
  it("payment failed → past_due → suspended after the grace period → paid → active", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("wh-dun"));
    const sub = await subscribe(services, fake, client);
    const failure = fake.failPayment(sub.id);
    await deliverAll(services, failure.failed, failure.updated);
    let t = await tenantRow(services, tenant.id);
    expect(t).toMatchObject({ status: "past_due", billingPlan: "pro", lastPaymentStatus: "failed" });
    expect((await services.resolver.bySlug(tenant.slug))?.status).toBe("past_due");

    const day = 86_400_000;
    const grace = services.env.PAST_DUE_GRACE_DAYS;
    let report = await services.billing.runJobs({
      now: new Date(Date.now() + (grace - 1) * day),
      tenantIds: [tenant.id],
    });
    expect(report.suspended).toEqual([]);
    report = await services.billing.runJobs({
      now: new Date(Date.now() + (grace + 1) * day),
      tenantIds: [tenant.id],
    });
    expect(report.suspended).toEqual([tenant.slug]);
    t = await tenantRow(services, tenant.id);
    expect(t.status).toBe("suspended");
    expect(t.suspendedAt).not.toBeNull();
    expect((await services.resolver.bySlug(tenant.slug))?.status).toBe("suspended");

    // Stripe retries the card and says "still past due": the workspace stays suspended.
    await deliverAll(services, fake.updateSubscription(sub.id, { status: "past_due" }));
    expect((await tenantRow(services, tenant.id)).status).toBe("suspended");
    // The owner can still reach billing while suspended.
    expect((await billingRest(services, client, "portal")).status).toBe(200);

    const paid = fake.payLatest(sub.id);
    await deliverAll(services, paid.paid, paid.updated);
    t = await tenantRow(services, tenant.id);
    expect(t).toMatchObject({
      status: "active",
      suspendedAt: null,
      lastPaymentStatus: "paid",
      billingPlan: "pro",
    });
    expect(t.metadata.billing).toEqual({});
    expect((await services.resolver.bySlug(tenant.slug))?.status).toBe("active");
    const actions = (await auditActions(services, tenant.id)).map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining(["billing.payment_failed", "billing.suspended", "billing.payment_succeeded"]),
    );
  });

  it("a deleted subscription moves the tenant to Free (not a dead tenant); an old subscription ending changes nothing", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("wh-del"));
    const sub = await subscribe(services, fake, client, "enterprise");
    await deliverAll(services, fake.endSubscription(sub.id));
    const t = await tenantRow(services, tenant.id);
    expect(t).toMatchObject({
      billingPlan: "free",
      status: "active",
      stripeSubscriptionId: null,
      limits: PLANS.free.limits,
      features: PLANS.free.features,
    });
    expect(t.stripeCustomerId).not.toBeNull(); // kept for the next subscription

    const second = await subscribe(services, fake, client, "pro");
    expect(second.id).not.toBe(sub.id);
    // A late copy of the first subscription's deletion must not undo the second one.
    await deliverAll(services, fake.event("customer.subscription.deleted", fake.subscription(sub.id)));
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "pro",
      stripeSubscriptionId: second.id,
    });
  });
});

describe("trials", () => {
  it("the first checkout starts a TRIAL_DAYS trial; trial_will_end is recorded for notification", async () => {
    const trialServices = await stripeServices(fake, { TRIAL_DAYS: "14" });
    try {
      const { tenant, client } = await tenantWithOwner(trialServices, uniqueSlug("wh-tri"));
      const res = await billingRest(trialServices, client, "checkout", { plan: "pro", interval: "month" });
      const id = sessionIdOf(((await res.json()) as { url: string }).url);
      const done = fake.completeCheckout(id);
      await deliverAll(trialServices, ...done.events);
      const t = await tenantRow(trialServices, tenant.id);
      expect(t).toMatchObject({ status: "trial", billingPlan: "pro", features: PLANS.pro.features });
      expect(t.trialEndsAt!.getTime()).toBe(done.subscription.trial_end! * 1000);
      expect(Math.round((t.trialEndsAt!.getTime() - Date.now()) / 86_400_000)).toBe(14);

      await deliverAll(trialServices, fake.trialWillEnd(done.subscription.id));
      const [notice] = await auditActions(trialServices, tenant.id, "billing.trial_will_end");
      expect(notice).toMatchObject({ actor_type: "system", after: { notify: t.ownerEmail } });

      // The trial converts (the card is charged): active. A later subscription gets no new trial.
      await deliverAll(trialServices, fake.updateSubscription(done.subscription.id, { status: "active" }));
      expect((await tenantRow(trialServices, tenant.id)).status).toBe("active");
      await deliverAll(trialServices, fake.endSubscription(done.subscription.id));
      const again = await billingRest(trialServices, client, "checkout", { plan: "pro", interval: "month" });
      const params = fake.calls("POST", /^\/v1\/checkout\/sessions$/).at(-1)!.params as {
        subscription_data: Record<string, unknown>;
      };
      expect(again.status).toBe(200);
      expect(params.subscription_data.trial_period_days).toBeUndefined();
    } finally {
      await trialServices.close();
    }
  });
});

it("the webhook secret of another endpoint does not verify", async () => {
  const event = fake.event("customer.created", { id: "cus_z", object: "customer" });
  expect((await deliver(services, event, { secret: `${WEBHOOK_SECRET}x` })).status).toBe(400);
});
