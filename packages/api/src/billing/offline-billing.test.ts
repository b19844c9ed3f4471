import { PLANS } from "@nchat/billing";
import { FakeStripe } from "@nchat/billing/testing";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { billingCheckoutRoute, billingWebhookRoute } from "../rest/billing";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";
import {
  addChannels,
  auditActions,
  billingRest,
  channelCount,
  rejection,
  sessionCookie,
  tenantRow,
  WEBHOOK_SECRET,
} from "./testing";

let services: Services;
beforeAll(async () => {
  services = await testServices(); // no STRIPE_SECRET_KEY: offline billing
});
afterAll(() => services.close());
afterEach(() => {
  vi.restoreAllMocks();
});

type Owner = Awaited<ReturnType<typeof tenantWithOwner>>;

/** A signed-in member (not owner) of the owner's workspace, through a real invitation. */
async function member(owner: Owner, role: "admin" | "member" = "admin") {
  vi.spyOn(console, "info").mockImplementation(() => {});
  const { token } = await owner.client.call((c) =>
    c.members.invite({ email: `${role}-${uniqueSlug("m")}@people.test`, role }),
  );
  const browser = new TestClient(services, owner.client.host);
  await browser.call((c) =>
    c.members.acceptInvitation({ token, name: "Mia Member", password: "member-password-1" }),
  );
  return browser;
}

describe("offline billing (no STRIPE_SECRET_KEY)", () => {
  it("checkout applies the plan directly: active, the catalog's limits and features, labelled offline", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("off-co"));
    expect(services.billing.mode).toBe("offline");
    expect((await services.resolver.bySlug(tenant.slug))?.plan).toBe("free");
    const res = await billingRest(services, client, "checkout", { plan: "pro", interval: "year" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ url: "/billing?upgraded=1", mode: "offline" });
    const t = await tenantRow(services, tenant.id);
    expect(t).toMatchObject({
      billingPlan: "pro",
      billingInterval: "year",
      status: "active",
      limits: PLANS.pro.limits,
      features: PLANS.pro.features,
      stripeCustomerId: null,
      stripeSubscriptionId: null,
      cancelAtPeriodEnd: false,
    });
    expect(
      Math.round((t.currentPeriodEnd!.getTime() - t.currentPeriodStart!.getTime()) / 86_400_000),
    ).toBeGreaterThan(364);
    expect((await services.resolver.bySlug(tenant.slug))?.plan).toBe("pro");
    const [change] = await auditActions(services, tenant.id, "billing.plan_change");
    expect(change).toMatchObject({
      actor_type: "user",
      after: { mode: "offline", to: { plan: "pro", interval: "year" } },
    });

    const status = await client.call((c) => c.billing.status());
    expect(status).toMatchObject({ mode: "offline", plan: "pro", interval: "year", hasSubscription: true });
    expect(status.plans.filter((p) => p.available).map((p) => p.id)).toEqual(["free", "pro", "enterprise"]);
    expect(await (await billingRest(services, client, "portal")).json()).toEqual({
      url: "/billing",
      mode: "offline",
    });
  });

  it("plan changes apply at once; downgrades are refused above the target's limits", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("off-ch"));
    const up = await client.call((c) => c.billing.changePlan({ plan: "enterprise", interval: "month" }));
    expect(up).toMatchObject({ mode: "offline", url: null, status: { plan: "enterprise" } });
    await addChannels(services, tenant.schemaName, 6 - (await channelCount(services, tenant.schemaName)));
    const refused = await rejection(
      client.call((c) => c.billing.changePlan({ plan: "free", interval: "month" })),
    );
    expect(refused).toMatchObject({
      appCode: "LIMIT_EXCEEDED",
      details: { plan: "free", resources: [{ resource: "channels", used: 6, limit: 5 }] },
    });
    const down = await client.call((c) => c.billing.changePlan({ plan: "pro", interval: "month" }));
    expect(down.status).toMatchObject({ plan: "pro", limits: PLANS.pro.limits });
  });

  it("a cancellation at the period end takes effect when billing:jobs runs after it", async () => {
    const { tenant, client } = await tenantWithOwner(services, uniqueSlug("off-can"));
    await client.call((c) => c.billing.changePlan({ plan: "pro", interval: "month" }));
    const s = await client.call((c) => c.billing.cancel());
    expect(s).toMatchObject({ plan: "pro", cancelAtPeriodEnd: true });
    let report = await services.billing.runJobs({ tenantIds: [tenant.id] });
    expect(report.cancellationsEnded).toEqual([]);
    report = await services.billing.runJobs({
      now: new Date(Date.now() + 40 * 86_400_000),
      tenantIds: [tenant.id],
    });
    expect(report.cancellationsEnded).toEqual([tenant.slug]);
    expect(report.usage.skipped).toBe("offline billing");
    expect(await tenantRow(services, tenant.id)).toMatchObject({
      billingPlan: "free",
      cancelAtPeriodEnd: false,
      currentPeriodEnd: null,
      limits: PLANS.free.limits,
    });
  });

  it("the webhook endpoint answers 503 when Stripe is not configured, and stores nothing", async () => {
    const fake = new FakeStripe();
    const { body, signature } = FakeStripe.sign(
      fake.event("customer.created", { id: "cus_1" }),
      WEBHOOK_SECRET,
    );
    const res = await billingWebhookRoute(
      services,
      new Request("http://nchat.test/api/billing/webhook", {
        method: "POST",
        headers: { "stripe-signature": signature },
        body,
      }),
    );
    expect(res.status).toBe(503);
  });
});

describe("who may manage billing", () => {
  let a: Owner;
  let b: Owner;
  beforeAll(async () => {
    a = await tenantWithOwner(services, uniqueSlug("acc-a"));
    b = await tenantWithOwner(services, uniqueSlug("acc-b"));
  });

  it("a non-owner member is FORBIDDEN (REST and tRPC) and sees the plan without payment details", async () => {
    const admin = await member(a, "admin");
    const res = await billingRest(services, admin, "checkout", { plan: "pro", interval: "month" });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect((await billingRest(services, admin, "portal")).status).toBe(403);
    const calls = [
      () => admin.call((c) => c.billing.changePlan({ plan: "pro", interval: "month" })),
      () => admin.call((c) => c.billing.cancel({ immediately: true })),
      () => admin.call((c) => c.billing.resume()),
      () => admin.call((c) => c.billing.portal()),
    ];
    for (const call of calls) expect(await rejection(call())).toMatchObject({ code: "FORBIDDEN" });
    const status = await admin.call((c) => c.billing.status());
    expect(status).toMatchObject({ plan: "free", lastPayment: null });
    expect((await tenantRow(services, a.tenant.id)).billingPlan).toBe("free");
  });

  it("the host decides the tenant: another tenant's id in the body is ignored; A's cookie on B's host is unknown", async () => {
    const res = await billingRest(services, a.client, "checkout", {
      plan: "pro",
      interval: "month",
      tenantId: b.tenant.id,
      tenant: b.tenant.slug,
    });
    expect(res.status).toBe(200);
    expect((await tenantRow(services, a.tenant.id)).billingPlan).toBe("pro");
    expect((await tenantRow(services, b.tenant.id)).billingPlan).toBe("free");

    // A's session cookie sent to B's host (and spoofed tenant headers): not a session there.
    const stranger = new TestClient(services, b.client.host, "web", {
      cookie: sessionCookie(a.client),
      "x-tenant-id": a.tenant.id,
      "x-tenant-slug": a.tenant.slug,
    });
    const cross = await billingRest(services, stranger, "checkout", {
      plan: "enterprise",
      interval: "month",
    });
    expect(cross.status).toBe(401);
    expect((await tenantRow(services, b.tenant.id)).billingPlan).toBe("free");
    expect((await tenantRow(services, a.tenant.id)).billingPlan).toBe("pro");
  });

  it("cross-origin and signed-out requests are refused", async () => {
    const evil = await billingRest(
      services,
      a.client,
      "checkout",
      { plan: "enterprise", interval: "month" },
      {
        origin: "http://evil.test",
      },
    );
    expect(evil.status).toBe(403);
    const sibling = await billingRest(services, a.client, "portal", undefined, {
      origin: `http://${b.client.host}`,
    });
    expect(sibling.status).toBe(403);
    const signedOut = new TestClient(services, a.client.host);
    expect(
      (await billingRest(services, signedOut, "checkout", { plan: "pro", interval: "month" })).status,
    ).toBe(401);
    expect((await tenantRow(services, a.tenant.id)).billingPlan).not.toBe("enterprise");
    const get = await billingCheckoutRoute(
      services,
      new Request(`http://${a.client.host}/api/billing/checkout`, { headers: a.client.headers() }),
    );
    expect(get.status).toBe(405);
  });
});
