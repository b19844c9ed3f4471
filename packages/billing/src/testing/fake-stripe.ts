// Over 400 lines on purpose: one in-memory Stripe double (its state, routes, idempotency replay and
// scenario helpers share the same store); billing is reworked later and this double with it.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Stripe } from "../stripe";

/**
 * A local stand-in for the Stripe API, for tests that run the REAL `stripe` SDK against it
 * (`new Stripe(key, { host: "127.0.0.1", port: fake.port, protocol: "http", maxNetworkRetries: 0 })`).
 *
 * It serves exactly what nchat's billing calls — customers, subscriptions (create, retrieve, update,
 * cancel, list), checkout sessions, billing portal sessions and billing meter events — with Stripe's
 * wire format (form-encoded requests, JSON answers, `{ error: { type, code, message } }` failures)
 * and Stripe's idempotency-key replay. It holds the "truth" tests change with the scenario helpers
 * (complete a checkout, fail a payment, …), each returning the events Stripe would send; `deliver`
 * signs them like Stripe. `fail()` injects HTTP failures.
 */

type Json = Record<string, unknown>;
type Item = {
  id: string;
  object: "subscription_item";
  price: Json;
  quantity: number;
  current_period_start: number;
  current_period_end: number;
  subscription: string;
};
export type FakeSubscription = Json & {
  id: string;
  customer: string;
  status: string;
  cancel_at_period_end: boolean;
  cancel_at: number | null;
  trial_end: number | null;
  metadata: Record<string, string>;
  items: { object: "list"; data: Item[]; has_more: false; url: string };
};

export type FakeRequest = { method: string; path: string; params: Json; idempotencyKey: string | null };
export type FakeEvent = Json & { id: string; type: string; created: number; data: { object: Json } };

type Fault = { method: string; path: RegExp; status: number; times: number; message: string };

const rand = () => randomBytes(9).toString("hex");
const DAY = 86_400;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** `a[b][0][c]=v` (Stripe's form encoding) → nested objects; numeric segments become arrays. */
export function parseStripeForm(body: string): Json {
  const out: Json = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split(/\[|\]\[|\]/).filter((p) => p !== "");
    let node: Record<string, unknown> | unknown[] = out;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = /^\d+$/.test(parts[i + 1] ?? "");
      const k = Array.isArray(node) ? Number(part) : part;
      const container = node as Record<string | number, unknown>;
      if (last) container[k] = value;
      else {
        container[k] ??= nextIsIndex ? [] : {};
        node = container[k] as Record<string, unknown> | unknown[];
      }
    });
  }
  return out;
}

const clone = <T>(v: T): T => structuredClone(v);

export class FakeStripe {
  readonly customers = new Map<string, Json>();
  readonly subscriptions = new Map<string, FakeSubscription>();
  readonly checkoutSessions = new Map<string, Json>();
  readonly portalSessions: Json[] = [];
  /** Accepted meter events, deduplicated by identifier as Stripe does. */
  readonly meterEvents = new Map<string, Json>();
  readonly requests: FakeRequest[] = [];
  private readonly prices = new Map<string, Json>();
  private readonly checkoutParams = new Map<string, Json>();
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  private readonly paymentMethods = new Set<string>();
  private faults: Fault[] = [];
  private server?: http.Server;
  port = 0;
  /** The fake's clock in seconds since the epoch. */
  now: () => number = () => Math.floor(Date.now() / 1000);

  /** Prices the fake knows: id → interval and amount. Unknown prices are refused like Stripe does. */
  constructor(prices: Record<string, { interval: "month" | "year"; amount: number }> = {}) {
    for (const [id, p] of Object.entries(prices)) this.definePrice(id, p.interval, p.amount);
  }

  definePrice(id: string, interval: "month" | "year", amount: number): void {
    this.prices.set(id, {
      id,
      object: "price",
      active: true,
      currency: "usd",
      type: "recurring",
      unit_amount: amount,
      recurring: { interval, interval_count: 1, usage_type: "licensed" },
    });
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The next `times` requests matching method and path are answered with `status` (default 500). */
  fail(
    method: string,
    path: RegExp | string,
    opts: { status?: number; times?: number; message?: string } = {},
  ) {
    this.faults.push({
      method: method.toUpperCase(),
      path: typeof path === "string" ? new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) : path,
      status: opts.status ?? 500,
      times: opts.times ?? 1,
      message: opts.message ?? "Injected failure",
    });
  }

  /** Requests received for a method and path pattern. */
  calls(method: string, path: RegExp): FakeRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && path.test(r.path));
  }

  // ─── Scenario helpers: change the truth as Stripe would, return the events it would send ─────────

  /** The customer pays on the hosted checkout page: a subscription starts (trialing with a trial). */
  completeCheckout(sessionId: string) {
    const session = this.checkoutSessions.get(sessionId);
    const params = this.checkoutParams.get(sessionId);
    if (!session || !params || session.status !== "open")
      throw new Error(`no open checkout session ${sessionId}`);
    const customer = String(session.customer);
    this.paymentMethods.add(customer);
    const line = (params.line_items as Json[] | undefined)?.[0] ?? {};
    const data = (params.subscription_data ?? {}) as Json;
    const sub = this.createSubscriptionObject({
      customer,
      price: String(line.price),
      trialDays: data.trial_period_days ? Number(data.trial_period_days) : 0,
      metadata: (data.metadata ?? {}) as Record<string, string>,
    });
    Object.assign(session, {
      status: "complete",
      payment_status: sub.status === "trialing" ? "no_payment_required" : "paid",
      subscription: sub.id,
    });
    const invoice = this.invoice(sub, "paid");
    return {
      subscription: clone(sub),
      created: this.event("customer.subscription.created", sub),
      completed: this.event("checkout.session.completed", session),
      paid: this.event("invoice.paid", invoice),
    };
  }

  /** A renewal payment fails: the subscription goes past_due. */
  failPayment(subscriptionId: string) {
    const sub = this.sub(subscriptionId);
    sub.status = "past_due";
    return {
      updated: this.event("customer.subscription.updated", sub),
      failed: this.event("invoice.payment_failed", this.invoice(sub, "open")),
    };
  }

  /** An invoice is paid (a retry succeeds, or the owner pays): the subscription is active again. */
  payInvoice(subscriptionId: string) {
    const sub = this.sub(subscriptionId);
    sub.status = "active";
    return {
      updated: this.event("customer.subscription.updated", sub),
      paid: this.event("invoice.paid", this.invoice(sub, "paid")),
    };
  }

  /** Changes a subscription directly (as the Dashboard or the portal would); returns the updated event. */
  updateSubscription(
    subscriptionId: string,
    patch: { status?: string; price?: string; cancelAtPeriodEnd?: boolean; trialEnd?: number | null },
  ) {
    const sub = this.sub(subscriptionId);
    if (patch.status !== undefined) sub.status = patch.status;
    if (patch.price !== undefined) this.changePrice(sub, patch.price);
    if (patch.cancelAtPeriodEnd !== undefined) sub.cancel_at_period_end = patch.cancelAtPeriodEnd;
    if (patch.trialEnd !== undefined) sub.trial_end = patch.trialEnd;
    return this.event("customer.subscription.updated", sub);
  }

  /** The subscription ends (canceled at period end, or unpaid for too long). */
  endSubscription(subscriptionId: string) {
    const sub = this.sub(subscriptionId);
    this.cancel(sub);
    return this.event("customer.subscription.deleted", sub);
  }

  /** Three days before a trial ends. */
  trialWillEnd(subscriptionId: string) {
    return this.event("customer.subscription.trial_will_end", this.sub(subscriptionId));
  }

  /** A Stripe event as delivered to webhooks: a snapshot of `object` at this moment. */
  event(type: string, object: Json, opts: { id?: string; created?: number } = {}): FakeEvent {
    return {
      id: opts.id ?? `evt_${rand()}`,
      object: "event",
      api_version: Stripe.API_VERSION,
      created: opts.created ?? this.now(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: clone(object) },
    };
  }

  /** The body and `Stripe-Signature` header of a webhook delivery, signed with `secret`. */
  static sign(event: FakeEvent, secret: string): { body: string; signature: string } {
    const body = JSON.stringify(event);
    return { body, signature: Stripe.webhooks.generateTestHeaderString({ payload: body, secret }) };
  }

  subscription(id: string): FakeSubscription {
    return clone(this.sub(id));
  }

  // ─── HTTP ──────────────────────────────────────────────────────────────────────────────────────

  private async serve(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://fake");
    const method = (req.method ?? "GET").toUpperCase();
    const raw = Buffer.concat(chunks).toString("utf8");
    const params =
      method === "GET" || method === "DELETE" ? parseStripeForm(url.search.slice(1)) : parseStripeForm(raw);
    const idem = (req.headers["idempotency-key"] as string | undefined) ?? null;
    // The SDK adds "stripe-node-retry-…" keys itself; only caller-chosen keys matter for replay.
    const idempotencyKey = idem && !idem.startsWith("stripe-node-retry-") ? idem : null;
    this.requests.push({ method, path: url.pathname, params, idempotencyKey });

    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "request-id": `req_${rand()}` });
      res.end(JSON.stringify(body));
    };
    if (!/^Bearer sk_(test|live)_/.test(String(req.headers.authorization ?? ""))) {
      return send(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided." } });
    }
    const fault = this.faults.find((f) => f.method === method && f.path.test(url.pathname) && f.times > 0);
    if (fault) {
      fault.times--;
      this.faults = this.faults.filter((f) => f.times > 0);
      return send(fault.status, { error: { type: "api_error", message: fault.message } });
    }
    const replayKey = idempotencyKey ? `${method} ${url.pathname} ${idempotencyKey}` : null;
    const replay = replayKey ? this.idempotent.get(replayKey) : undefined;
    if (replay) return send(replay.status, replay.body);
    let status = 200;
    let body: unknown;
    try {
      body = this.route(method, url.pathname, params);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      status = err.status;
      body = { error: { type: err.type, message: err.message, ...(err.code ? { code: err.code } : {}) } };
    }
    if (replayKey && status < 500) this.idempotent.set(replayKey, { status, body: clone(body) });
    send(status, body);
  }

  private route(method: string, path: string, p: Json): unknown {
    const customer = path.match(/^\/v1\/customers\/([^/]+)$/);
    const subscription = path.match(/^\/v1\/subscriptions\/([^/]+)$/);
    if (method === "POST" && path === "/v1/customers") return this.createCustomer(p);
    if (method === "GET" && customer) return this.customer(customer[1]!);
    if (method === "POST" && path === "/v1/subscriptions") return this.createSubscription(p);
    if (method === "GET" && path === "/v1/subscriptions") return this.listSubscriptions(p);
    if (subscription) {
      const sub = this.sub(subscription[1]!);
      if (method === "GET") return clone(sub);
      if (method === "POST") return this.update(sub, p);
      if (method === "DELETE") return clone(this.cancel(sub));
    }
    if (method === "POST" && path === "/v1/checkout/sessions") return this.createCheckout(p);
    if (method === "POST" && path === "/v1/billing_portal/sessions") return this.createPortal(p);
    if (method === "POST" && path === "/v1/billing/meter_events") return this.createMeterEvent(p);
    throw new HttpError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
  }

  private missing(kind: string, id: string): never {
    throw new HttpError(404, "invalid_request_error", `No such ${kind}: '${id}'`, "resource_missing");
  }

  private createCustomer(p: Json): Json {
    const c = {
      id: `cus_${rand()}`,
      object: "customer",
      created: this.now(),
      email: p.email ?? null,
      name: p.name ?? null,
      metadata: p.metadata ?? {},
      livemode: false,
    };
    this.customers.set(c.id, c);
    return clone(c);
  }

  private customer(id: string): Json {
    return clone(this.customers.get(id) ?? this.missing("customer", id));
  }

  private sub(id: string): FakeSubscription {
    return this.subscriptions.get(id) ?? this.missing("subscription", id);
  }

  private price(id: string): Json {
    return clone(this.prices.get(id) ?? this.missing("price", id));
  }

  private periodEnd(start: number, price: Json): number {
    const interval = (price.recurring as Json).interval;
    const d = new Date(start * 1000);
    if (interval === "year") d.setUTCFullYear(d.getUTCFullYear() + 1);
    else d.setUTCMonth(d.getUTCMonth() + 1);
    return Math.floor(d.getTime() / 1000);
  }

  private createSubscriptionObject(o: {
    customer: string;
    price: string;
    trialDays: number;
    metadata: Record<string, string>;
    status?: string;
  }): FakeSubscription {
    if (!this.customers.has(o.customer)) this.missing("customer", o.customer);
    const price = this.price(o.price);
    const id = `sub_${rand()}`;
    const now = this.now();
    const trialEnd = o.trialDays > 0 ? now + o.trialDays * DAY : null;
    const sub: FakeSubscription = {
      id,
      object: "subscription",
      customer: o.customer,
      status: o.status ?? (trialEnd ? "trialing" : "active"),
      created: now,
      start_date: now,
      cancel_at_period_end: false,
      cancel_at: null,
      canceled_at: null,
      ended_at: null,
      trial_start: trialEnd ? now : null,
      trial_end: trialEnd,
      metadata: o.metadata,
      latest_invoice: null,
      livemode: false,
      items: {
        object: "list",
        has_more: false,
        url: `/v1/subscription_items?subscription=${id}`,
        data: [
          {
            id: `si_${rand()}`,
            object: "subscription_item",
            price,
            quantity: 1,
            current_period_start: now,
            current_period_end: trialEnd ?? this.periodEnd(now, price),
            subscription: id,
          },
        ],
      },
    };
    this.subscriptions.set(id, sub);
    return sub;
  }

  private createSubscription(p: Json): Json {
    const items = (p.items as Json[] | undefined) ?? [];
    const customer = String(p.customer ?? "");
    const trialDays = p.trial_period_days ? Number(p.trial_period_days) : 0;
    return clone(
      this.createSubscriptionObject({
        customer,
        price: String(items[0]?.price ?? ""),
        trialDays,
        metadata: (p.metadata ?? {}) as Record<string, string>,
        status: trialDays > 0 ? "trialing" : this.paymentMethods.has(customer) ? "active" : "incomplete",
      }),
    );
  }

  private listSubscriptions(p: Json): Json {
    const status = String(p.status ?? "");
    const data = [...this.subscriptions.values()]
      .filter((s) => !p.customer || s.customer === p.customer)
      .filter((s) => status === "all" || (status ? s.status === status : s.status !== "canceled"))
      .sort((a, b) => Number(b.created) - Number(a.created))
      .map(clone);
    return { object: "list", data, has_more: false, url: "/v1/subscriptions" };
  }

  private changePrice(sub: FakeSubscription, priceId: string) {
    const item = sub.items.data[0]!;
    const price = this.price(priceId);
    const oldInterval = (item.price.recurring as Json).interval;
    item.price = price;
    if ((price.recurring as Json).interval !== oldInterval) {
      // An interval change restarts the billing cycle now.
      const now = this.now();
      item.current_period_start = now;
      item.current_period_end = this.periodEnd(now, price);
    }
  }

  private update(sub: FakeSubscription, p: Json): Json {
    if (sub.status === "canceled")
      throw new HttpError(
        400,
        "invalid_request_error",
        "A canceled subscription can only update its metadata.",
      );
    const items = (p.items as Json[] | undefined) ?? [];
    for (const it of items) {
      if (it.id && it.id !== sub.items.data[0]?.id) this.missing("subscription_item", String(it.id));
      if (it.price) this.changePrice(sub, String(it.price));
    }
    if (p.cancel_at_period_end !== undefined) sub.cancel_at_period_end = p.cancel_at_period_end === "true";
    if (p.metadata) sub.metadata = { ...sub.metadata, ...(p.metadata as Record<string, string>) };
    return clone(sub);
  }

  private cancel(sub: FakeSubscription): FakeSubscription {
    if (sub.status === "canceled") return sub;
    const now = this.now();
    Object.assign(sub, { status: "canceled", canceled_at: now, ended_at: now, cancel_at_period_end: false });
    return sub;
  }

  private createCheckout(p: Json): Json {
    if (p.mode !== "subscription")
      throw new HttpError(400, "invalid_request_error", "Only subscription mode here.");
    if (!p.customer || !this.customers.has(String(p.customer))) this.missing("customer", String(p.customer));
    const line = (p.line_items as Json[] | undefined)?.[0];
    this.price(String(line?.price ?? ""));
    const id = `cs_test_${rand()}`;
    const session = {
      id,
      object: "checkout.session",
      mode: "subscription",
      status: "open",
      payment_status: "unpaid",
      customer: p.customer,
      client_reference_id: p.client_reference_id ?? null,
      metadata: p.metadata ?? {},
      subscription: null,
      success_url: p.success_url ?? null,
      cancel_url: p.cancel_url ?? null,
      url: `https://checkout.stripe.test/c/pay/${id}`,
      created: this.now(),
      livemode: false,
    };
    this.checkoutSessions.set(id, session);
    this.checkoutParams.set(id, clone(p));
    return clone(session);
  }

  private createPortal(p: Json): Json {
    if (!p.customer || !this.customers.has(String(p.customer))) this.missing("customer", String(p.customer));
    const id = `bps_${rand()}`;
    const session = {
      id,
      object: "billing_portal.session",
      customer: p.customer,
      return_url: p.return_url ?? null,
      url: `https://billing.stripe.test/p/session/${id}`,
      created: this.now(),
      livemode: false,
    };
    this.portalSessions.push(session);
    return clone(session);
  }

  private createMeterEvent(p: Json): Json {
    const payload = (p.payload ?? {}) as Record<string, string>;
    if (!p.event_name || !payload.stripe_customer_id || payload.value === undefined)
      throw new HttpError(
        400,
        "invalid_request_error",
        "event_name, payload[stripe_customer_id] and payload[value] are required.",
      );
    const timestamp = p.timestamp ? Number(p.timestamp) : this.now();
    if (timestamp < this.now() - 35 * DAY || timestamp > this.now() + 300)
      throw new HttpError(
        400,
        "invalid_request_error",
        "Timestamp must be within the past 35 days or up to 5 minutes in the future.",
      );
    const identifier = String(p.identifier ?? `mev_${rand()}`);
    const event = {
      object: "billing.meter_event",
      created: this.now(),
      event_name: p.event_name,
      identifier,
      livemode: false,
      payload,
      timestamp,
    };
    // Stripe accepts a repeated identifier and drops the duplicate when it processes events.
    if (!this.meterEvents.has(identifier)) this.meterEvents.set(identifier, event);
    return clone(event);
  }

  private invoice(sub: FakeSubscription, status: "paid" | "open"): Json {
    const item = sub.items.data[0]!;
    const amount = sub.status === "trialing" ? 0 : Number(item.price.unit_amount ?? 0);
    const now = this.now();
    return {
      id: `in_${rand()}`,
      object: "invoice",
      customer: sub.customer,
      status,
      currency: "usd",
      amount_due: amount,
      amount_paid: status === "paid" ? amount : 0,
      amount_remaining: status === "paid" ? 0 : amount,
      attempt_count: 1,
      attempted: true,
      billing_reason: "subscription_cycle",
      created: now,
      period_start: item.current_period_start,
      period_end: item.current_period_end,
      parent: {
        type: "subscription_details",
        quote_details: null,
        subscription_details: { subscription: sub.id, metadata: sub.metadata },
      },
      status_transitions: {
        finalized_at: now,
        paid_at: status === "paid" ? now : null,
        marked_uncollectible_at: null,
        voided_at: null,
      },
      livemode: false,
    };
  }
}
