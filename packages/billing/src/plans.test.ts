import { describe, expect, it } from "vitest";
import { isDowngrade, PLAN_IDS, PLANS, priceCatalog } from "./plans";

const env = {
  STRIPE_PRICE_PRO_MONTHLY: "price_pm",
  STRIPE_PRICE_PRO_YEARLY: "price_py",
  STRIPE_PRICE_ENTERPRISE_MONTHLY: "price_em",
  STRIPE_PRICE_ENTERPRISE_YEARLY: " price_ey ",
};

describe("plan catalog", () => {
  it("maps plans and intervals to the Stripe prices from the environment, and back", () => {
    const c = priceCatalog(env);
    expect(c.priceFor("pro", "month")).toBe("price_pm");
    expect(c.priceFor("pro", "year")).toBe("price_py");
    expect(c.priceFor("enterprise", "year")).toBe("price_ey");
    expect(c.planFor("price_em")).toEqual({ plan: "enterprise", interval: "month" });
    expect(c.planFor("price_py")).toEqual({ plan: "pro", interval: "year" });
    expect(c.planFor("price_unknown")).toBeNull();
    // Free and Custom are not sold through Stripe.
    expect(c.priceFor("free", "month")).toBeNull();
    expect(c.priceFor("custom", "year")).toBeNull();
  });

  it("an unset price leaves that plan unbuyable; one price for two plans is refused", () => {
    expect(priceCatalog({ STRIPE_PRICE_PRO_MONTHLY: "p" }).priceFor("pro", "year")).toBeNull();
    expect(() =>
      priceCatalog({ STRIPE_PRICE_PRO_MONTHLY: "p", STRIPE_PRICE_ENTERPRISE_MONTHLY: "p" }),
    ).toThrow(/two plans/);
  });

  it("keeps every plan's prices, limits, rate limits and features, and orders plans for downgrades", () => {
    for (const id of PLAN_IDS) {
      expect(PLANS[id].id).toBe(id);
      expect(PLANS[id].rateLimits.perMinute).toBeGreaterThan(0);
    }
    expect(PLANS.free.limits).toMatchObject({
      users: 10,
      channels: 5,
      storageGb: 1,
      apiCallsPerMonth: 1_000,
    });
    expect(PLANS.pro.limits).toMatchObject({
      users: 100,
      channels: 50,
      storageGb: 100,
      apiCallsPerMonth: 50_000,
    });
    expect(PLANS.enterprise.limits.users).toBe(-1);
    expect(PLANS.custom.selfServe).toBe(false);
    expect(isDowngrade("enterprise", "pro")).toBe(true);
    expect(isDowngrade("pro", "free")).toBe(true);
    expect(isDowngrade("free", "pro")).toBe(false);
    expect(isDowngrade("pro", "pro")).toBe(false);
  });
});
