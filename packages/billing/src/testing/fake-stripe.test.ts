import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeClient, isMissingResource, Stripe, verifyWebhook } from "../stripe";
import { FakeStripe, parseStripeForm } from "./fake-stripe";

let fake: FakeStripe;
let stripe: Stripe;
beforeAll(async () => {
  fake = await new FakeStripe({
    price_m: { interval: "month", amount: 4900 },
    price_y: { interval: "year", amount: 49000 },
  }).start();
  stripe = createStripeClient({
    secretKey: "sk_test_fake",
    host: "127.0.0.1",
    port: fake.port,
    protocol: "http",
  });
});
afterAll(() => fake.close());

describe("the fake Stripe server, driven by the real SDK", () => {
  it("parses Stripe's form encoding", () => {
    expect(parseStripeForm("a=1&items[0][price]=p&items[0][quantity]=2&metadata[k]=v&x[y][z]=w")).toEqual({
      a: "1",
      items: [{ price: "p", quantity: "2" }],
      metadata: { k: "v" },
      x: { y: { z: "w" } },
    });
  });

  it("creates customers and replays an idempotency key with the same customer", async () => {
    const a = await stripe.customers.create(
      { email: "a@x.test", metadata: { tenant_id: "t1" } },
      { idempotencyKey: "k-1" },
    );
    const b = await stripe.customers.create(
      { email: "a@x.test", metadata: { tenant_id: "t1" } },
      { idempotencyKey: "k-1" },
    );
    const c = await stripe.customers.create({ email: "c@x.test" });
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    expect(fake.customers.get(a.id)).toMatchObject({ metadata: { tenant_id: "t1" } });
  });

  it("runs a subscription's life: create, retrieve, update with proration, cancel", async () => {
    const customer = await stripe.customers.create({});
    const created = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: "price_m" }],
      trial_period_days: 7,
    });
    expect(created.status).toBe("trialing");
    const item = created.items.data[0]!;
    expect(item.current_period_end - item.current_period_start).toBe(7 * 86_400);
    const updated = await stripe.subscriptions.update(created.id, {
      items: [{ id: item.id, price: "price_y" }],
      proration_behavior: "always_invoice",
    });
    expect(updated.items.data[0]!.price.recurring?.interval).toBe("year");
    expect(
      fake.calls("POST", new RegExp(`/v1/subscriptions/${created.id}$`))[0]!.params.proration_behavior,
    ).toBe("always_invoice");
    const canceled = await stripe.subscriptions.cancel(created.id);
    expect(canceled.status).toBe("canceled");
    expect((await stripe.subscriptions.retrieve(created.id)).status).toBe("canceled");
    const list = await stripe.subscriptions.list({ customer: customer.id, status: "all" });
    expect(list.data.map((s) => s.id)).toEqual([created.id]);
  });

  it("answers unknown objects with 404 resource_missing, and injected faults once", async () => {
    const missing = await stripe.subscriptions.retrieve("sub_nope").catch((e: unknown) => e);
    expect(isMissingResource(missing)).toBe(true);
    fake.fail("GET", /^\/v1\/customers\//, { status: 500 });
    const customer = await stripe.customers.create({});
    await expect(stripe.customers.retrieve(customer.id)).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((await stripe.customers.retrieve(customer.id)).id).toBe(customer.id);
  });

  it("checkout: a session, then completing it starts the subscription and yields Stripe's events", async () => {
    const customer = await stripe.customers.create({});
    const session = await stripe.checkout.sessions.create({
      mode: "subscription",
      customer: customer.id,
      line_items: [{ price: "price_m", quantity: 1 }],
      subscription_data: { metadata: { tenant_id: "t9" } },
      success_url: "http://x.test/billing?s={CHECKOUT_SESSION_ID}",
    });
    expect(session.url).toContain(session.id);
    const done = fake.completeCheckout(session.id);
    expect(done.subscription).toMatchObject({
      status: "active",
      customer: customer.id,
      metadata: { tenant_id: "t9" },
    });
    expect(done.completed.type).toBe("checkout.session.completed");
    expect((done.completed.data.object as { subscription: string }).subscription).toBe(done.subscription.id);
    const portal = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: "http://x.test",
    });
    expect(portal.url).toMatch(/^https:\/\/billing\.stripe\.test\//);
  });

  it("signs deliveries the SDK verifies, and keeps one meter event per identifier", async () => {
    const event = fake.event("customer.created", { id: "cus_x", object: "customer" });
    const { body, signature } = FakeStripe.sign(event, "whsec_a");
    expect(verifyWebhook(body, signature, "whsec_a").id).toBe(event.id);
    expect(() => verifyWebhook(body, signature, "whsec_b")).toThrow();
    expect(() => verifyWebhook(body.replace("cus_x", "cus_y"), signature, "whsec_a")).toThrow();

    const params = {
      event_name: "api_calls",
      identifier: "id-1",
      payload: { stripe_customer_id: "cus_x", value: "5" },
    };
    await stripe.billing.meterEvents.create(params);
    await stripe.billing.meterEvents.create(params);
    expect([...fake.meterEvents.values()].filter((e) => e.identifier === "id-1")).toHaveLength(1);
  });
});
