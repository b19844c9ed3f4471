import { PLANS } from "@nchat/billing";
import type { FakeStripe } from "@nchat/billing/testing";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import type { Services } from "../server";
import { TEST_BASE_DOMAIN, TestClient, tenantWithOwner } from "../testing";
import { BillingService } from "./billing-service";
import { billingConfig } from "./config";
import {
  auditActions,
  billingRest,
  deliverAll,
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

const DAY = 86_400_000;

/** A workspace on a sign-up trial of `days` (no Stripe subscription), with a signed-in owner. */
async function trialTenant(days: number) {
  const slug = uniqueSlug("job-tr");
  const { tenant } = await services.tenants.createTenant(
    {
      name: `Org ${slug}`,
      slug,
      ownerEmail: `owner@${slug}.test`,
      ownerName: "Owner",
      ownerPassword: "owner-password-1",
    },
    SYSTEM,
    { plan: "pro", trialDays: days },
  );
  const client = new TestClient(services, `${slug}.${TEST_BASE_DOMAIN}`);
  await client.call((c) => c.auth.signIn({ email: `owner@${slug}.test`, password: "owner-password-1" }));
  return { tenant, client };
}

describe("trial expiry", () => {
  it("an unpaid trial past its end moves to Free (TRIAL_EXPIRY_ACTION=free), audited", async () => {
    const { tenant } = await trialTenant(3);
    expect(tenant).toMatchObject({ status: "trial", billingPlan: "pro" });
    let report = await services.billing.runJobs({
      now: new Date(Date.now() + 2 * DAY),
      tenantIds: [tenant.id],
    });
    expect(report.trialsExpired).toEqual([]);
    report = await services.billing.runJobs({ now: new Date(Date.now() + 4 * DAY), tenantIds: [tenant.id] });
    expect(report.trialsExpired).toEqual([{ slug: tenant.slug, action: "free" }]);
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      status: "active",
      billingPlan: "free",
      limits: PLANS.free.limits,
      features: PLANS.free.features,
    });
    expect((await services.resolver.bySlug(tenant.slug))?.plan).toBe("free");
    const [expired] = await auditActions(services, tenant.id, "billing.trial_expired");
    expect(expired).toMatchObject({ actor_type: "system", after: { action: "free" } });
    // A second run finds nothing left to do.
    report = await services.billing.runJobs({ now: new Date(Date.now() + 5 * DAY), tenantIds: [tenant.id] });
    expect(report.trialsExpired).toEqual([]);
  });

  it("TRIAL_EXPIRY_ACTION=suspend suspends it; paying through checkout brings it back", async () => {
    const suspending = new BillingService({
      db: services.db,
      config: { ...billingConfig(services.env), trialExpiryAction: "suspend" },
      stripe: services.billing.stripe!,
      onTenantChanged: (t) => services.resolver.invalidate(t),
    });
    const { tenant, client } = await trialTenant(1);
    const report = await suspending.runJobs({ now: new Date(Date.now() + 2 * DAY), tenantIds: [tenant.id] });
    expect(report.trialsExpired).toEqual([{ slug: tenant.slug, action: "suspend" }]);
    expect(await tenantRow(services, tenant.id)).toMatchObject({ status: "suspended", billingPlan: "pro" });
    expect((await services.resolver.bySlug(tenant.slug))?.status).toBe("suspended");

    // Suspended workspaces are read-only, but the owner can still pay.
    const res = await billingRest(services, client, "checkout", { plan: "pro", interval: "month" });
    expect(res.status).toBe(200);
    const done = fake.completeCheckout(sessionIdOf(((await res.json()) as { url: string }).url));
    await deliverAll(services, ...done.events);
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      status: "active",
      suspendedAt: null,
      billingPlan: "pro",
    });
  });

  it("a super admin's suspension is not lifted by a payment", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("job-adm"));
    const sub = await subscribe(services, fake, client);
    await services.tenants.updateTenant(
      tenant.id,
      { status: "suspended" },
      { type: "super_admin", id: "root" },
    );
    fake.failPayment(sub.id);
    const paid = fake.payLatest(sub.id);
    await deliverAll(services, paid.paid, paid.updated);
    expect((await tenantRow(services, tenant.id)).status).toBe("suspended");
  });
});

describe("reconcile", () => {
  it("repairs drift from missed webhooks (dry run first), and is quiet when nothing drifted", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("job-rec"));
    const sub = await subscribe(services, fake, client, "pro");
    // Changed in Stripe (Dashboard, portal) and the webhooks never arrived.
    fake.updateSubscription(sub.id, { price: "price_ent_year", cancelAtPeriodEnd: true });

    const dry = await services.billing.reconcile({ dryRun: true, tenantIds: [tenant.id] });
    expect(dry.drifted).toMatchObject([
      {
        slug: tenant.slug,
        subscriptionId: sub.id,
        changes: {
          billingPlan: { from: "pro", to: "enterprise" },
          billingInterval: { from: "month", to: "year" },
          cancelAtPeriodEnd: { from: false, to: true },
        },
      },
    ]);
    expect((await tenantRow(services, tenant.id)).billingPlan).toBe("pro");

    const real = await services.billing.reconcile({ tenantIds: [tenant.id] });
    expect(real.drifted.map((d) => d.slug)).toEqual([tenant.slug]);
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "enterprise",
      billingInterval: "year",
      cancelAtPeriodEnd: true,
      limits: PLANS.enterprise.limits,
    });
    const [change] = (await auditActions(services, tenant.id, "billing.plan_change")).slice(-1);
    expect(change).toMatchObject({ actor_type: "system", after: { via: "reconcile" } });
    expect((await services.billing.reconcile({ tenantIds: [tenant.id] })).drifted).toEqual([]);
  });

  it("finds a subscription whose checkout webhooks were lost; reports one that no longer exists", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("job-lost"));
    const res = await billingRest(services, client, "checkout", { plan: "enterprise", interval: "month" });
    const done = fake.completeCheckout(sessionIdOf(((await res.json()) as { url: string }).url));
    const gone = await tenantWithOwner(services, uniqueSlug("job-gone"));
    await subscribe(services, fake, gone.client);
    await services.db
      .admin`update public.tenants set stripe_subscription_id = 'sub_deleted_by_hand' where id = ${gone.tenant.id}`;

    const report = await services.billing.reconcile({ tenantIds: [tenant.id, gone.tenant.id] });
    expect(report.checked).toBe(2);
    expect(report.drifted.map((d) => [d.slug, d.subscriptionId])).toEqual([
      [tenant.slug, done.subscription.id],
    ]);
    expect(report.errors).toMatchObject([
      { slug: gone.tenant.slug, error: expect.stringContaining("no longer exists") },
    ]);
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "enterprise",
      stripeSubscriptionId: done.subscription.id,
    });
    expect((await tenantRow(services, gone.tenant.id)).billingPlan).toBe("pro");
  });
});
