import { PLANS } from "@nchat/billing";
import type { FakeStripe } from "@nchat/billing/testing";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { SYSTEM } from "../audit/actor";
import type { Services } from "../server";
import { tenantWithOwner } from "../testing";
import { customerIdempotencyKey } from "./stripe-billing-service";
import {
  addChannels,
  auditActions,
  billingRest,
  channelCount,
  deliverAll,
  rejection,
  sessionIdOf,
  startFakeStripe,
  stripeServices,
  subscribe,
  tenantRow,
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

const updatesOf = (subscriptionId: string) =>
  fake.calls("POST", new RegExp(`^/v1/subscriptions/${subscriptionId}$`)).map((r) => r.params);

describe("plan changes of a subscription", () => {
  it("upgrade is invoiced now with proration and applies at once; the audit names the owner", async () => {
    const { tenant, client, ownerId } = await tenantWithOwner(services, uniqueSlug("sb-up"));
    const sub = await subscribe(services, fake, client, "pro");
    const result = await client.call((c) => c.billing.changePlan({ plan: "enterprise", interval: "month" }));
    expect(result).toMatchObject({
      mode: "stripe",
      url: null,
      status: { plan: "enterprise", status: "active" },
    });
    expect(updatesOf(sub.id).at(-1)).toMatchObject({
      proration_behavior: "always_invoice",
      items: [{ id: sub.items.data[0]!.id, price: "price_ent_month" }],
    });
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "enterprise",
      limits: PLANS.enterprise.limits,
      features: PLANS.enterprise.features,
    });
    const [change] = (await auditActions(services, tenant.id, "billing.plan_change")).slice(-1);
    expect(change).toMatchObject({
      actor_type: "user",
      after: { to: { plan: "enterprise" }, via: "plan_change" },
    });
    const [row] = await services.db.admin<{ actor_id: string }[]>`
      select actor_id from public.tenant_audit_logs where tenant_id = ${tenant.id} and action = 'billing.plan_change' order by id desc limit 1`;
    expect(row!.actor_id).toBe(ownerId);

    // The webhook Stripe sends for the same change finds nothing left to do.
    await deliverAll(services, fake.event("customer.subscription.updated", fake.subscription(sub.id)));
    expect(await auditActions(services, tenant.id, "billing.plan_change")).toHaveLength(2);
  });

  it("an interval change keeps the plan and restarts the period", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("sb-int"));
    const sub = await subscribe(services, fake, client, "pro", "month");
    await client.call((c) => c.billing.changePlan({ plan: "pro", interval: "year" }));
    const t = await tenantRow(services, tenant.id);
    expect(t).toMatchObject({ billingPlan: "pro", billingInterval: "year", stripePriceId: "price_pro_year" });
    expect(t.currentPeriodEnd!.getTime() - t.currentPeriodStart!.getTime()).toBeGreaterThan(360 * 86_400_000);
    expect(updatesOf(sub.id).at(-1)).toMatchObject({ proration_behavior: "always_invoice" });
    const again = await rejection(
      client.call((c) => c.billing.changePlan({ plan: "pro", interval: "year" })),
    );
    expect(again).toMatchObject({ code: "CONFLICT", message: expect.stringContaining("already on Pro") });
  });

  it("a downgrade above the target plan's limits is refused with LIMIT_EXCEEDED and Stripe is not called", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("sb-down"));
    const sub = await subscribe(services, fake, client, "enterprise");
    await addChannels(services, tenant.schemaName, 51 - (await channelCount(services, tenant.schemaName)));
    const before = updatesOf(sub.id).length;
    const refused = await rejection(
      client.call((c) => c.billing.changePlan({ plan: "pro", interval: "month" })),
    );
    expect(refused).toMatchObject({
      code: "FORBIDDEN",
      appCode: "LIMIT_EXCEEDED",
      message: expect.stringContaining("51 channels (the plan allows 50)"),
      details: { plan: "pro", resources: [{ resource: "channels", used: 51, limit: 50 }] },
    });
    expect(updatesOf(sub.id)).toHaveLength(before);
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("enterprise");

    await services.db.admin.unsafe(
      `delete from "${tenant.schemaName}".channels where id = (select id from "${tenant.schemaName}".channels order by created_at desc limit 1)`,
    );
    await client.call((c) => c.billing.changePlan({ plan: "pro", interval: "month" }));
    expect(updatesOf(sub.id).at(-1)).toMatchObject({ proration_behavior: "create_prorations" });
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "pro",
      limits: PLANS.pro.limits,
    });

    // Free: refused while above Free's limits too (50 channels > 5).
    const toFree = await rejection(
      client.call((c) => c.billing.changePlan({ plan: "free", interval: "month" })),
    );
    expect(toFree).toMatchObject({ appCode: "LIMIT_EXCEEDED", details: { plan: "free" } });
  });

  it("Free cancels at the period end (plan kept until then); resume withdraws it; cancel immediately is Free now", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("sb-can"));
    const sub = await subscribe(services, fake, client, "pro");
    const r = await client.call((c) => c.billing.changePlan({ plan: "free", interval: "month" }));
    expect(r.status).toMatchObject({ plan: "pro", cancelAtPeriodEnd: true });
    expect(fake.subscription(sub.id).cancel_at_period_end).toBe(true);
    const resumed = await client.call((c) => c.billing.resume());
    expect(resumed.cancelAtPeriodEnd).toBe(false);
    expect(fake.subscription(sub.id).cancel_at_period_end).toBe(false);

    const now = await client.call((c) => c.billing.cancel({ immediately: true }));
    expect(now).toMatchObject({ plan: "free", status: "active", hasSubscription: false });
    expect(fake.subscription(sub.id).status).toBe("canceled");
    expect((await tenantRow(services, tenant.id)).limits).toEqual(PLANS.free.limits);
    const actions = (await auditActions(services, tenant.id)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["billing.cancel", "billing.resume"]));
    expect(await rejection(client.call((c) => c.billing.resume()))).toMatchObject({ code: "CONFLICT" });
  });

  it("changePlan without a subscription answers a Checkout url; a checkout with a live subscription changes it in place", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("sb-cp"));
    const r = await client.call((c) => c.billing.changePlan({ plan: "pro", interval: "month" }));
    expect(r.url).toMatch(/^https:\/\/checkout\.stripe\.test\//);
    const done = fake.completeCheckout(sessionIdOf(r.url!));
    await deliverAll(services, done.created, done.completed);
    const sessions = fake.calls("POST", /^\/v1\/checkout\/sessions$/).length;
    const res = await billingRest(services, client, "checkout", { plan: "enterprise", interval: "month" });
    expect(await res.json()).toEqual({ url: "/billing?upgraded=1", mode: "stripe" });
    expect(fake.calls("POST", /^\/v1\/checkout\/sessions$/)).toHaveLength(sessions);
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "enterprise",
      stripeSubscriptionId: done.subscription.id,
    });
  });

  it("two checkouts opened side by side: the second completed one replaces (cancels) the first", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("sb-two"));
    const a = await billingRest(services, client, "checkout", { plan: "pro", interval: "month" });
    const b = await billingRest(services, client, "checkout", { plan: "enterprise", interval: "month" });
    const first = fake.completeCheckout(sessionIdOf(((await a.json()) as { url: string }).url));
    await deliverAll(services, first.created, first.completed);
    const second = fake.completeCheckout(sessionIdOf(((await b.json()) as { url: string }).url));
    await deliverAll(services, second.completed, second.created);
    expect(fake.subscription(first.subscription.id).status).toBe("canceled");
    await deliverAll(
      services,
      fake.event("customer.subscription.deleted", fake.subscription(first.subscription.id)),
    );
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "enterprise",
      stripeSubscriptionId: second.subscription.id,
    });
  });

  it("refuses Custom and unknown plans, and a plan whose Stripe price is not configured", async () => {
    const { client } = await tenantWithOwner(services, uniqueSlug("sb-val"));
    expect(
      await rejection(
        client.call((c) => c.billing.changePlan({ plan: "custom" as "pro", interval: "month" })),
      ),
    ).toMatchObject({
      code: "BAD_REQUEST",
    });
    const res = await billingRest(services, client, "checkout", { plan: "custom", interval: "month" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: "VALIDATION_FAILED", message: "Choose Pro or Enterprise." },
    });
    const noPrice = await stripeServices(fake, { STRIPE_PRICE_ENTERPRISE_YEARLY: "" });
    try {
      const other = await tenantWithOwner(noPrice, uniqueSlug("sb-np"));
      const r = await billingRest(noPrice, other.client, "checkout", {
        plan: "enterprise",
        interval: "year",
      });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(
        /price is not configured/,
      );
      const status = await other.client.call((c) => c.billing.status());
      expect(status.plans.find((p) => p.id === "custom")?.available).toBe(false);
    } finally {
      await noPrice.close();
    }
  });
});

describe("customers, portal and status", () => {
  it("the customer is created once, saved on first use, and reused by checkout and portal", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("sb-cus"));
    const res = await billingRest(services, client, "portal");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { url: string; mode: string };
    expect(body).toMatchObject({
      mode: "stripe",
      url: expect.stringMatching(/^https:\/\/billing\.stripe\.test\//),
    });
    const t = await tenantRow(services, tenant.id);
    expect(t.stripeCustomerId).toMatch(/^cus_/);
    expect(fake.customers.get(t.stripeCustomerId!)).toMatchObject({
      email: t.ownerEmail,
      metadata: { tenant_id: tenant.id, tenant_slug: tenant.slug },
    });
    expect(fake.portalSessions.at(-1)).toMatchObject({ return_url: `http://${client.host}/billing` });
    await billingRest(services, client, "checkout", { plan: "pro", interval: "month" });
    await billingRest(services, client, "portal");
    expect(
      [...fake.customers.values()].filter(
        (c) => (c.metadata as { tenant_id?: string }).tenant_id === tenant.id,
      ),
    ).toHaveLength(1);
  });

  it("no orphan customer: when saving fails after Stripe created it, the retry saves the SAME customer", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("sb-orph"));
    const fn = `nchat_test_fail_${tenant.id.replaceAll("-", "")}`;
    const sql = services.db.admin;
    // A real database failure on the save (not a mock): a trigger refuses this tenant's customer id once.
    await sql.unsafe(`create function public.${fn}() returns trigger language plpgsql as $$
      begin raise exception 'disk full (simulated)'; end $$`);
    await sql.unsafe(`create trigger ${fn} before update of stripe_customer_id on public.tenants
      for each row when (new.id = '${tenant.id}') execute function public.${fn}()`);
    try {
      const err = await services.billing.provider.createCustomer(tenant, SYSTEM).catch((e: unknown) => e);
      expect(String((err as { cause?: { message?: string } }).cause?.message)).toMatch(/disk full/);
    } finally {
      await sql.unsafe(`drop trigger ${fn} on public.tenants`);
      await sql.unsafe(`drop function public.${fn}()`);
    }
    expect((await tenantRow(services, tenant.id)).stripeCustomerId).toBeNull();
    const created = [...fake.customers.values()].filter(
      (c) => (c.metadata as { tenant_id?: string }).tenant_id === tenant.id,
    );
    expect(created).toHaveLength(1);

    const id = await services.billing.provider.createCustomer(tenant, SYSTEM);
    expect(id).toBe(created[0]!.id);
    expect((await tenantRow(services, tenant.id)).stripeCustomerId).toBe(id);
    expect(
      [...fake.customers.values()].filter(
        (c) => (c.metadata as { tenant_id?: string }).tenant_id === tenant.id,
      ),
    ).toHaveLength(1);
    const posts = fake
      .calls("POST", /^\/v1\/customers$/)
      .filter((r) => r.idempotencyKey?.includes(tenant.id));
    expect(posts).toHaveLength(2);
    expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey);
    expect(posts[0]!.idempotencyKey).toBe(customerIdempotencyKey(tenant.id, posts[0]!.params, 0));
    expect(await auditActions(services, tenant.id, "billing.customer_create")).toHaveLength(1);
  });

  it("status: plan, interval, status, mode, period, cancellation, trial, and the last payment for the owner", async () => {
    const { client } = await tenantWithOwner(services, uniqueSlug("sb-st"));
    await subscribe(services, fake, client, "pro", "year");
    const s = await client.call((c) => c.billing.status());
    expect(s).toMatchObject({
      mode: "stripe",
      plan: "pro",
      planName: "Pro",
      interval: "year",
      status: "active",
      cancelAtPeriodEnd: false,
      trialEndsAt: null,
      hasSubscription: true,
      lastPayment: { status: "paid", amount: 49_000 },
    });
    expect(s.currentPeriodEnd).toBeInstanceOf(Date);
    expect(s.plans.map((p) => [p.id, p.current, p.available])).toEqual([
      ["free", false, true],
      ["pro", true, true],
      ["enterprise", false, true],
      ["custom", false, false],
    ]);
  });
});
