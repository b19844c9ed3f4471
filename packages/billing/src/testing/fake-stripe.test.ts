import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeClient, isMissingResource, Stripe, verifyWebhook } from "../stripe";
import { FakeStripe } from "./fake-stripe";
import { parseStripeForm } from "./stripe-form";

let fake: FakeStripe;
let stripe: Stripe;
beforeAll(async () => {
  fake = await new FakeStripe({
    price_m: { interval: "month", amount: 4900 },
    price_y: { interval: "year", amount: 49000 },
    price_m2: { interval: "month", amount: 9900 },
    price_m3: { interval: "month", amount: 19900 },
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

  it("signs deliveries the SDK verifies, at the endpoint's API version", async () => {
    const event = fake.event("customer.created", { id: "cus_x", object: "customer" });
    expect(event.api_version).toBe(Stripe.API_VERSION);
    const { body, signature } = FakeStripe.sign(event, "whsec_a");
    expect(verifyWebhook(body, signature, "whsec_a").id).toBe(event.id);
    expect(() => verifyWebhook(body, signature, "whsec_b")).toThrow();
    expect(() => verifyWebhook(body.replace("cus_x", "cus_y"), signature, "whsec_a")).toThrow();
    fake.endpointApiVersion = "2024-06-20";
    expect(fake.event("customer.updated", { id: "cus_x" }).api_version).toBe("2024-06-20");
    fake.endpointApiVersion = Stripe.API_VERSION;
  });
});

describe("the double refuses what Stripe refuses", () => {
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: { statusCode?: number; message?: string; type?: string; code?: string }) => ({
        status: e.statusCode,
        type: e.type,
        code: e.code,
        message: e.message,
      }),
    );

  it("unknown parameters, wrong enums and booleans, a hosted checkout without success_url; nothing changes", async () => {
    const customer = await stripe.customers.create({});
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: "price_m" }],
      trial_period_days: 3,
    });
    const before = fake.subscription(sub.id);
    const update = (params: Record<string, unknown>) =>
      refusal(stripe.subscriptions.update(sub.id, params as Stripe.SubscriptionUpdateParams));
    expect(await update({ prorate: true })).toMatchObject({
      status: 400,
      code: "parameter_unknown",
      message: expect.stringContaining("prorate"),
    });
    expect(await update({ proration_behavior: "bogus" })).toMatchObject({
      status: 400,
      message: expect.stringContaining("proration_behavior"),
    });
    expect(await update({ cancel_at_period_end: "yes" })).toMatchObject({
      status: 400,
      message: expect.stringContaining("yes"),
    });
    expect(
      await update({
        items: [{ id: sub.items.data[0]!.id, price: "price_y" }],
        payment_behavior: "pending_if_incomplete",
        metadata: { a: "b" },
      }),
    ).toMatchObject({ status: 400 });
    expect(fake.subscription(sub.id)).toEqual(before);
    const checkout = await refusal(
      stripe.checkout.sessions.create({
        mode: "subscription",
        customer: customer.id,
        line_items: [{ price: "price_m", quantity: 1 }],
      }),
    );
    expect(checkout).toMatchObject({ status: 400, message: expect.stringContaining("success_url") });
    const meter = await refusal(
      stripe.billing.meterEvents.create({
        event_name: "api_calls",
        payload: { stripe_customer_id: customer.id, value: "1" },
        extra: "x",
      } as Stripe.Billing.MeterEventCreateParams),
    );
    expect(meter).toMatchObject({ status: 400, code: "parameter_unknown" });
  });

  it("idempotency: the first answer is replayed, a 5xx too; other parameters under the same key are an idempotency error", async () => {
    fake.fail("POST", "/v1/customers", { status: 500 });
    const first = await refusal(
      stripe.customers.create({ email: "k@x.test" }, { idempotencyKey: "key-500" }),
    );
    expect(first).toMatchObject({ status: 500 });
    expect(
      await refusal(stripe.customers.create({ email: "k@x.test" }, { idempotencyKey: "key-500" })),
    ).toMatchObject({ status: 500 });
    expect(
      await refusal(stripe.customers.create({ email: "other@x.test" }, { idempotencyKey: "key-500" })),
    ).toMatchObject({
      status: 400,
      type: "StripeIdempotencyError",
    });
    expect((await stripe.customers.create({ email: "k@x.test" }, { idempotencyKey: "key-new" })).email).toBe(
      "k@x.test",
    );
  });
});

describe("the double's transitions are Stripe's", () => {
  it("default_incomplete never charges: incomplete even with a working card, incomplete_expired after 23 hours", async () => {
    const customer = await stripe.customers.create({});
    fake.setCard(customer.id, "ok");
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: "price_m" }],
      payment_behavior: "default_incomplete",
    });
    expect(sub.status).toBe("incomplete");
    const events = fake.advance(24 * 3600);
    expect(fake.subscription(sub.id).status).toBe("incomplete_expired");
    expect(events.map((e) => e.type)).toContain("customer.subscription.updated");
    fake.setCard(customer.id, "declined");
    const refused = await stripe.subscriptions
      .create({
        customer: customer.id,
        items: [{ price: "price_m" }],
        payment_behavior: "error_if_incomplete",
      })
      .catch((e: { statusCode?: number }) => e.statusCode);
    expect(refused).toBe(402);
  });

  it("a failed proration: pending_if_incomplete keeps the old price until paid; without it the new price applies and the subscription is past_due", async () => {
    const customer = await stripe.customers.create({});
    fake.setCard(customer.id, "ok");
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: "price_m" }] });
    expect(sub.status).toBe("active");
    fake.setCard(customer.id, "declined");
    const pending = await stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: "price_m2" }],
      proration_behavior: "always_invoice",
      payment_behavior: "pending_if_incomplete",
    });
    expect(pending.items.data[0]!.price.id).toBe("price_m");
    expect(pending.pending_update?.subscription_items?.[0]?.price.id).toBe("price_m2");
    expect(pending.status).toBe("active");
    const paid = fake.payInvoice(String(pending.latest_invoice));
    expect(paid.map((e) => e.type)).toEqual([
      "invoice.paid",
      "customer.subscription.updated",
      "customer.subscription.pending_update_applied",
    ]);
    expect(fake.subscription(sub.id).items.data[0]!.price.id).toBe("price_m2");

    const applied = await stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: "price_m3" }],
      proration_behavior: "always_invoice",
    });
    expect(applied.items.data[0]!.price.id).toBe("price_m3");
    expect(applied.status).toBe("past_due");
  });

  it("cancel_at: set through the portal, cleared only by cancel_at: ''; the subscription ends at that time", async () => {
    const customer = await stripe.customers.create({});
    fake.setCard(customer.id, "ok");
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: "price_m" }] });
    const at = fake.now() + 5 * 86_400;
    fake.updateSubscription(sub.id, { cancelAt: at });
    expect((await stripe.subscriptions.update(sub.id, { cancel_at_period_end: false })).cancel_at).toBe(at);
    expect((await stripe.subscriptions.update(sub.id, { cancel_at: "" })).cancel_at).toBeNull();
    fake.updateSubscription(sub.id, { cancelAt: at });
    const events = fake.advance(6 * 86_400);
    expect(events.map((e) => e.type)).toContain("customer.subscription.deleted");
    expect(fake.subscription(sub.id).status).toBe("canceled");
  });

  it("deleting a customer ends its subscriptions; retrieving it answers deleted", async () => {
    const customer = await stripe.customers.create({});
    fake.setCard(customer.id, "ok");
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: "price_m" }] });
    const events = fake.deleteCustomer(customer.id);
    expect(events.map((e) => e.type)).toEqual(["customer.subscription.deleted", "customer.deleted"]);
    expect(fake.subscription(sub.id).status).toBe("canceled");
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ deleted: true });
    expect(
      await stripe.checkout.sessions
        .create({
          mode: "subscription",
          customer: customer.id,
          line_items: [{ price: "price_m", quantity: 1 }],
          success_url: "http://x.test",
        })
        .catch((e: { code?: string }) => e.code),
    ).toBe("resource_missing");
  });

  it("meter events: a repeated identifier counts once within 24 hours; the renewal invoice bills the closed period's usage after the grace hour", async () => {
    fake.defineMeteredPrice("price_calls", { interval: "month", unitAmount: 2, eventName: "calls" });
    const customer = await stripe.customers.create({});
    fake.setCard(customer.id, "ok");
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: "price_m" }, { price: "price_calls" }],
    });
    const { current_period_start: start, current_period_end: end } = sub.items.data[0]!;
    const send = (identifier: string, value: number, timestamp = fake.now()) =>
      stripe.billing.meterEvents.create({
        event_name: "calls",
        identifier,
        timestamp,
        payload: { stripe_customer_id: customer.id, value: String(value) },
      });
    await send("a", 100);
    await send("a", 100);
    await send("b", 50);
    expect(fake.usage(customer.id, "calls", start, end)).toBe(150);
    fake.advance(end - fake.now() + 60); // renewed; the invoice is a draft for an hour
    await send("late", 25, end - 1); // reported in the grace: still the closed period
    const events = fake.advance(3600);
    const paid = events.find((e) => e.type === "invoice.paid")!.data.object as {
      lines: { data: { quantity: number; amount: number; pricing: { price_details: { price: string } } }[] };
    };
    const usage = paid.lines.data.find((l) => l.pricing.price_details.price === "price_calls")!;
    expect(usage).toMatchObject({ quantity: 175, amount: 350 });
    await send("a", 100); // more than 24 hours after the first: a new event for Stripe
    expect(fake.meterEvents.filter((e) => e.identifier === "a").map((e) => e.duplicate)).toEqual([
      false,
      true,
      false,
    ]);
    expect(
      await stripe.subscriptions
        .update(sub.id, { items: [{ price: "price_y" }] })
        .catch((e: { message?: string }) => e.message),
    ).toMatch(/interval/);
  });

  it("an unknown customer or meter in a meter event comes back later as a v1.billing.meter thin event, fetched from /v2/core/events", async () => {
    await stripe.billing.meterEvents.create({
      event_name: "calls",
      identifier: "who",
      payload: { stripe_customer_id: "cus_nobody", value: "1" },
    });
    await stripe.billing.meterEvents.create({
      event_name: "no_such_meter",
      identifier: "what",
      payload: { stripe_customer_id: "cus_nobody", value: "1" },
    });
    const [customerError, meterError] = fake.thinEvents.slice(-2);
    expect(customerError!.type).toBe("v1.billing.meter.error_report_triggered");
    expect(meterError!.type).toBe("v1.billing.meter.no_meter_found");
    const { body, signature } = FakeStripe.sign(customerError!, "whsec_t");
    const notification = stripe.parseEventNotification(body, signature, "whsec_t");
    const full = (await notification.fetchEvent()) as unknown as {
      data: {
        reason: { error_types: { code: string; sample_errors: { request: { identifier: string } }[] }[] };
      };
    };
    expect(full.data.reason.error_types[0]).toMatchObject({
      code: "meter_event_customer_not_found",
      sample_errors: [{ request: { identifier: "who" } }],
    });
  });
});
