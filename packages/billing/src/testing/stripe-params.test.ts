import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ENDPOINTS,
  generateStripeParams,
  OUTPUT,
  renderStripeParams,
} from "../../scripts/generate-stripe-params";
import { createStripeClient, type Stripe } from "../stripe";
import { parseStripeForm } from "./stripe-form";
import { checkStripeParams, STRIPE_PARAMS, stripeEndpoint } from "./stripe-params";

const check = (method: string, path: string, body: string) =>
  checkStripeParams(method, path, parseStripeForm(body));

describe("the generated parameter description", () => {
  it("is what the installed stripe package's types say (regenerate with `pnpm --filter @nchat/billing stripe:params`)", () => {
    const fresh = generateStripeParams();
    expect(fresh.header.stripePackage).toBe(STRIPE_PARAMS.header.stripePackage);
    expect(fresh).toEqual(STRIPE_PARAMS);
    expect(renderStripeParams(fresh)).toBe(readFileSync(OUTPUT, "utf8"));
  }, 120_000); // the compiler reads the whole stripe package

  it("describes every endpoint nchat calls", () => {
    expect(Object.keys(STRIPE_PARAMS.endpoints).sort()).toEqual(Object.keys(ENDPOINTS).sort());
    const update = STRIPE_PARAMS.endpoints["POST /v1/subscriptions/{id}"]!.fields;
    expect(update.proration_behavior).toEqual({
      type: "enum",
      values: ["always_invoice", "create_prorations", "none"],
    });
    expect(update.cancel_at?.emptyable).toBe(true);
    expect(update.prorate).toBeUndefined();
  });
});

describe("parseStripeForm", () => {
  it("nests brackets, makes arrays of numeric segments and of [], keeps leaves as sent", () => {
    expect(
      parseStripeForm(
        "items[0][id]=si_1&items[0][price]=p&items[1][price]=m&metadata[tenant_id]=t&expand[]=a&expand[]=b&cancel_at=&q=1+2",
      ),
    ).toEqual({
      items: [{ id: "si_1", price: "p" }, { price: "m" }],
      metadata: { tenant_id: "t" },
      expand: ["a", "b"],
      cancel_at: "",
      q: "1 2",
    });
  });
});

describe("checkStripeParams refuses what Stripe refuses", () => {
  it("an unknown parameter `prorate` on a subscription update, top-level and nested", () => {
    expect(check("POST", "/v1/subscriptions/sub_1", "prorate=false")).toEqual({
      status: 400,
      type: "invalid_request_error",
      code: "parameter_unknown",
      param: "prorate",
      message: "Received unknown parameter: prorate",
    });
    expect(
      check("POST", "/v1/subscriptions/sub_1", "items[0][id]=si_1&items[0][prorate]=true"),
    ).toMatchObject({
      code: "parameter_unknown",
      param: "items[0][prorate]",
      message: "Received unknown parameter: items[0][prorate]",
    });
  });

  it("proration_behavior=bogus, with the enum's values", () => {
    expect(check("POST", "/v1/subscriptions/sub_1", "proration_behavior=bogus")).toMatchObject({
      status: 400,
      param: "proration_behavior",
      message: "Invalid proration_behavior: must be one of always_invoice, create_prorations, or none",
    });
  });

  it("cancel_at_period_end=yes (only true and false are booleans)", () => {
    expect(check("POST", "/v1/subscriptions/sub_1", "cancel_at_period_end=yes")).toMatchObject({
      param: "cancel_at_period_end",
      message: "Invalid boolean: yes",
    });
    expect(check("POST", "/v1/subscriptions/sub_1", "cancel_at_period_end=false")).toBeNull();
  });

  it("a hosted Checkout session without success_url; an embedded one with it", () => {
    const body = "mode=subscription&customer=cus_1&line_items[0][price]=price_1&line_items[0][quantity]=1";
    expect(check("POST", "/v1/checkout/sessions", body)).toMatchObject({
      code: "parameter_missing",
      param: "success_url",
      message: "Missing required param: success_url.",
    });
    expect(check("POST", "/v1/checkout/sessions", `${body}&ui_mode=hosted_page`)).toMatchObject({
      param: "success_url",
    });
    expect(check("POST", "/v1/checkout/sessions", `${body}&success_url=https://a.test/ok`)).toBeNull();
    expect(
      check("POST", "/v1/checkout/sessions", `${body}&ui_mode=embedded_page&return_url=https://a.test`),
    ).toBeNull();
    expect(
      check("POST", "/v1/checkout/sessions", `${body}&ui_mode=embedded_page&success_url=https://a.test/ok`),
    ).toMatchObject({ param: "success_url" });
  });

  it("an extra top-level field on a meter event, and a payload without the default keys", () => {
    const ok = "event_name=api_calls&payload[stripe_customer_id]=cus_1&payload[value]=12";
    expect(check("POST", "/v1/billing/meter_events", ok)).toBeNull();
    expect(check("POST", "/v1/billing/meter_events", `${ok}&customer=cus_1`)).toMatchObject({
      code: "parameter_unknown",
      param: "customer",
    });
    expect(
      check("POST", "/v1/billing/meter_events", "event_name=api_calls&payload[stripe_customer_id]=cus_1"),
    ).toMatchObject({ code: "parameter_missing", param: "payload[value]" });
    expect(check("POST", "/v1/billing/meter_events", "event_name=api_calls&payload[value]=1")).toMatchObject({
      code: "parameter_missing",
      param: "payload[stripe_customer_id]",
    });
  });

  it("a missing required parameter", () => {
    expect(
      check("POST", "/v1/billing/meter_events", "payload[stripe_customer_id]=c&payload[value]=1"),
    ).toEqual({
      status: 400,
      type: "invalid_request_error",
      code: "parameter_missing",
      param: "event_name",
      message: "Missing required param: event_name.",
    });
    expect(
      check("GET", "/v1/billing/meters/mtr_1/event_summaries", "customer=cus_1&start_time=1"),
    ).toMatchObject({
      code: "parameter_missing",
      param: "end_time",
    });
  });

  it("a bad integer, top-level and nested", () => {
    expect(
      check(
        "POST",
        "/v1/billing/meter_events",
        "event_name=e&payload[stripe_customer_id]=c&payload[value]=1&timestamp=soon",
      ),
    ).toEqual({
      status: 400,
      type: "invalid_request_error",
      code: "parameter_invalid_integer",
      param: "timestamp",
      message: "Invalid integer: soon",
    });
    expect(
      check("POST", "/v1/subscriptions/sub_1", "items[0][id]=si_1&items[0][quantity]=1.5"),
    ).toMatchObject({
      code: "parameter_invalid_integer",
      param: "items[0][quantity]",
    });
    expect(check("POST", "/v1/subscriptions/sub_1", "items[0][id]=si_1&items[0][quantity]=2")).toBeNull();
  });

  it('"" unsets an emptyable parameter and is refused for the others', () => {
    expect(check("POST", "/v1/subscriptions/sub_1", "cancel_at=")).toBeNull();
    expect(check("POST", "/v1/subscriptions/sub_1", "metadata=")).toBeNull();
    expect(check("POST", "/v1/subscriptions/sub_1", "metadata[plan]=")).toBeNull();
    expect(check("POST", "/v1/subscriptions/sub_1", "proration_behavior=")).toMatchObject({
      code: "parameter_invalid_empty",
      param: "proration_behavior",
    });
    expect(
      check("POST", "/v1/billing/meter_events", "event_name=&payload[stripe_customer_id]=c&payload[value]=1"),
    ).toMatchObject({
      code: "parameter_invalid_empty",
      param: "event_name",
    });
  });

  it("metadata keys are free; an object where a string belongs is not", () => {
    expect(
      check("POST", "/v1/customers", "metadata[tenant_id]=t&metadata[anything_at_all]=x&metadata[0]=y"),
    ).toBeNull();
    expect(check("POST", "/v1/customers", "email[first]=a")).toMatchObject({ param: "email" });
  });

  it("cancel_at takes a timestamp or one of its keywords", () => {
    expect(check("POST", "/v1/subscriptions/sub_1", "cancel_at=1767225600")).toBeNull();
    expect(check("POST", "/v1/subscriptions/sub_1", "cancel_at=min_period_end")).toBeNull();
    expect(check("POST", "/v1/subscriptions/sub_1", "cancel_at=tomorrow")).toMatchObject({
      code: "parameter_invalid_integer",
      param: "cancel_at",
    });
  });

  it("payment_behavior=pending_if_incomplete with attributes pending updates do not support", () => {
    const base =
      "payment_behavior=pending_if_incomplete&proration_behavior=always_invoice&items[0][id]=si_1&items[0][price]=price_2";
    expect(check("POST", "/v1/subscriptions/sub_1", base)).toBeNull();
    expect(check("POST", "/v1/subscriptions/sub_1", `${base}&metadata[tenant_id]=t`)).toMatchObject({
      param: "metadata",
      message: expect.stringContaining("`metadata` is not supported"),
    });
    expect(check("POST", "/v1/subscriptions/sub_1", `${base}&cancel_at_period_end=false`)).toMatchObject({
      param: "cancel_at_period_end",
    });
    expect(check("POST", "/v1/subscriptions/sub_1", `${base}&items[0][metadata][a]=b`)).toMatchObject({
      param: "items[0][metadata]",
    });
    // The same attributes without pending updates are fine.
    expect(
      check(
        "POST",
        "/v1/subscriptions/sub_1",
        `${base.replace("pending_if_incomplete", "allow_incomplete")}&metadata[tenant_id]=t&cancel_at_period_end=false`,
      ),
    ).toBeNull();
  });

  it("an endpoint Stripe does not serve answers 404", () => {
    expect(check("POST", "/v1/subscriptions/sub_1/bogus", "")).toEqual({
      status: 404,
      type: "invalid_request_error",
      message: expect.stringMatching(/^Unrecognized request URL \(POST: \/v1\/subscriptions\/sub_1\/bogus\)/),
    });
    expect(check("PUT", "/v1/customers/cus_1", "")).toMatchObject({ status: 404 });
    expect(stripeEndpoint("POST", "/v1/invoices/create_preview")).toBe("POST /v1/invoices/create_preview");
    expect(stripeEndpoint("GET", "/v1/invoices/in_1")).toBe("GET /v1/invoices/{id}");
  });
});

describe("requests the real SDK encodes are accepted", () => {
  type Recorded = { method: string; path: string; raw: string };
  const recorded: Recorded[] = [];
  let server: http.Server;
  let stripe: Stripe;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => {
        raw += chunk;
      });
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const method = req.method ?? "GET";
        recorded.push({ method, path: url.pathname, raw: method === "POST" ? raw : url.search.slice(1) });
        res.writeHead(200, { "content-type": "application/json", "request-id": "req_test" });
        res.end(
          JSON.stringify({ id: "obj_1", object: "list", data: [], has_more: false, url: url.pathname }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    stripe = createStripeClient({
      secretKey: "sk_test_params",
      host: "127.0.0.1",
      port: (server.address() as AddressInfo).port,
      protocol: "http",
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const now = 1_767_225_600;
  const calls: [string, () => Promise<unknown>][] = [
    [
      "customers.create",
      () =>
        stripe.customers.create(
          { email: "owner@acme.test", name: "Acme", metadata: { tenant_id: "t_1", tenant_slug: "acme" } },
          { idempotencyKey: "nchat-customer-t_1-abc" },
        ),
    ],
    ["customers.retrieve", () => stripe.customers.retrieve("cus_1")],
    [
      "customers.update",
      () => stripe.customers.update("cus_1", { email: "new@acme.test", name: "Acme Inc" }),
    ],
    ["customers.del", () => stripe.customers.del("cus_1")],
    [
      "subscriptions.create",
      () =>
        stripe.subscriptions.create({
          customer: "cus_1",
          items: [{ price: "price_team_month" }, { price: "price_api_overage" }],
          metadata: { tenant_id: "t_1" },
          payment_behavior: "default_incomplete",
          payment_settings: { save_default_payment_method: "on_subscription" },
          trial_end: now + 14 * 86_400,
          expand: ["latest_invoice.confirmation_secret"],
        }),
    ],
    ["subscriptions.list", () => stripe.subscriptions.list({ customer: "cus_1", status: "all", limit: 10 })],
    ["subscriptions.retrieve", () => stripe.subscriptions.retrieve("sub_1", { expand: ["latest_invoice"] })],
    [
      "subscriptions.update (upgrade, pending if incomplete)",
      () =>
        stripe.subscriptions.update("sub_1", {
          items: [{ id: "si_1", price: "price_business_month" }, { price: "price_api_overage" }],
          proration_behavior: "always_invoice",
          payment_behavior: "pending_if_incomplete",
        }),
    ],
    [
      "subscriptions.update (downgrade, resume)",
      () =>
        stripe.subscriptions.update("sub_1", {
          items: [{ id: "si_1", price: "price_team_month" }],
          proration_behavior: "create_prorations",
          metadata: { tenant_id: "t_1" },
          cancel_at_period_end: false,
          cancel_at: "",
        }),
    ],
    [
      "subscriptions.update (cancel at period end)",
      () => stripe.subscriptions.update("sub_1", { cancel_at_period_end: true }),
    ],
    [
      "subscriptions.cancel",
      () => stripe.subscriptions.cancel("sub_1", { invoice_now: true, prorate: true }),
    ],
    [
      "checkout.sessions.create",
      () =>
        stripe.checkout.sessions.create({
          mode: "subscription",
          customer: "cus_1",
          client_reference_id: "t_1",
          line_items: [{ price: "price_team_month", quantity: 1 }, { price: "price_api_overage" }],
          subscription_data: { metadata: { tenant_id: "t_1" }, trial_end: now + 14 * 86_400 },
          metadata: { tenant_id: "t_1", plan: "team", interval: "month" },
          success_url: "https://acme.nchat.test/billing?checkout={CHECKOUT_SESSION_ID}",
          cancel_url: "https://acme.nchat.test/billing",
        }),
    ],
    [
      "billingPortal.sessions.create",
      () =>
        stripe.billingPortal.sessions.create({
          customer: "cus_1",
          return_url: "https://acme.nchat.test/billing",
        }),
    ],
    [
      "billing.meterEvents.create",
      () =>
        stripe.billing.meterEvents.create(
          {
            event_name: "nchat_api_calls",
            identifier: "t_1-api-2026-01",
            timestamp: now,
            payload: { stripe_customer_id: "cus_1", value: String(1234) },
          },
          { idempotencyKey: "t_1-api-2026-01" },
        ),
    ],
    [
      "billing.meters.listEventSummaries",
      () =>
        stripe.billing.meters.listEventSummaries("mtr_1", {
          customer: "cus_1",
          start_time: now - 30 * 86_400,
          end_time: now,
          value_grouping_window: "day",
        }),
    ],
    [
      "invoices.list",
      () => stripe.invoices.list({ customer: "cus_1", subscription: "sub_1", status: "open", limit: 3 }),
    ],
    ["invoices.retrieve", () => stripe.invoices.retrieve("in_1", { expand: ["lines"] })],
    [
      "invoices.createPreview",
      () =>
        stripe.invoices.createPreview({
          customer: "cus_1",
          subscription: "sub_1",
          subscription_details: {
            items: [{ id: "si_1", price: "price_business_month" }],
            proration_behavior: "always_invoice",
            proration_date: now,
          },
        }),
    ],
    ["prices.retrieve", () => stripe.prices.retrieve("price_api_overage", { expand: ["tiers"] })],
  ];

  it.each(calls)("%s", async (_name, call) => {
    const before = recorded.length;
    await call();
    const request = recorded[before]!;
    expect(recorded).toHaveLength(before + 1);
    expect(checkStripeParams(request.method, request.path, parseStripeForm(request.raw))).toBeNull();
  });

  it('the SDK sends an unset as "" and a boolean as "false", which the checker reads as such', () => {
    const resume = recorded.find((r) => r.method === "POST" && r.raw.includes("cancel_at="))!;
    expect(parseStripeForm(resume.raw)).toMatchObject({ cancel_at: "", cancel_at_period_end: "false" });
  });

  it("the calls above reach every described endpoint", () => {
    const reached = new Set(recorded.map((r) => stripeEndpoint(r.method, r.path)));
    expect([...reached].sort()).toEqual(Object.keys(ENDPOINTS).sort());
  });

  it("and the SDK's encoding of a wrong value is refused", async () => {
    const before = recorded.length;
    await stripe.subscriptions.update("sub_1", {
      items: [{ id: "si_1", price: "price_business_month" }],
      proration_behavior: "bogus" as Stripe.SubscriptionUpdateParams.ProrationBehavior,
      cancel_at_period_end: "yes" as unknown as boolean,
    });
    const request = recorded[before]!;
    expect(checkStripeParams(request.method, request.path, parseStripeForm(request.raw))).toMatchObject({
      param: "proration_behavior",
    });
  });
});
