import { describe, expect, it } from "vitest";
import { priceCatalog } from "./plans";
import type { Stripe } from "./stripe";
import { readSubscription } from "./subscription";

const prices = priceCatalog({
  STRIPE_PRICE_PRO_MONTHLY: "price_pm",
  STRIPE_PRICE_ENTERPRISE_YEARLY: "price_ey",
});

function sub(over: Record<string, unknown> = {}, price = "price_pm", interval = "month") {
  return {
    id: "sub_1",
    object: "subscription",
    customer: "cus_1",
    status: "active",
    cancel_at_period_end: false,
    cancel_at: null,
    trial_end: null,
    metadata: { tenant_id: "t-1" },
    items: {
      object: "list",
      data: [
        {
          id: "si_1",
          price: { id: price, recurring: { interval } },
          current_period_start: 1_800_000_000,
          current_period_end: 1_802_592_000,
        },
      ],
    },
    ...over,
  } as unknown as Stripe.Subscription;
}

describe("readSubscription", () => {
  it("reads plan and interval from the price, the period from the item", () => {
    expect(readSubscription(sub(), prices)).toMatchObject({
      id: "sub_1",
      customerId: "cus_1",
      plan: "pro",
      interval: "month",
      ended: false,
      cancelAtPeriodEnd: false,
      currentPeriodStart: new Date(1_800_000_000_000),
      currentPeriodEnd: new Date(1_802_592_000_000),
      tenantId: "t-1",
    });
    expect(readSubscription(sub({}, "price_ey", "year"), prices)).toMatchObject({
      plan: "enterprise",
      interval: "year",
    });
  });

  it("an unknown price has no plan; canceled and incomplete_expired have ended", () => {
    expect(readSubscription(sub({}, "price_other", "year"), prices)).toMatchObject({
      plan: null,
      interval: "year",
    });
    expect(readSubscription(sub({ status: "canceled" }), prices).ended).toBe(true);
    expect(readSubscription(sub({ status: "incomplete_expired" }), prices).ended).toBe(true);
    expect(readSubscription(sub({ status: "past_due" }), prices).ended).toBe(false);
  });

  it("a cancel_at date (set through the portal) counts as cancelling at the period end", () => {
    expect(readSubscription(sub({ cancel_at: 1_802_592_000 }), prices).cancelAtPeriodEnd).toBe(true);
    expect(readSubscription(sub({ cancel_at_period_end: true }), prices).cancelAtPeriodEnd).toBe(true);
  });
});
