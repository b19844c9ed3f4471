import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Stripe } from "../stripe";
import {
  type Card,
  type FakeEvent,
  type FakeSubscription,
  type FakeThinEvent,
  type Json,
  StripeHttpError,
  StripeModel,
} from "./fake-stripe-model";
import { parseStripeForm, type StripeForm } from "./stripe-form";
import { checkStripeParams } from "./stripe-params";

export type {
  Card,
  FakeEvent,
  FakeInvoice,
  FakeMeterEvent,
  FakeSubscription,
  FakeThinEvent,
} from "./fake-stripe-model";
export { INVOICE_GRACE } from "./fake-stripe-model";

/**
 * A strict local stand-in for the Stripe API, for tests that run the REAL `stripe` SDK against it
 * (`createStripeClient({ host: "127.0.0.1", port: fake.port, protocol: "http" })`).
 *
 * - Every request's parameters are checked against the parameter types the `stripe` package
 *   publishes for that endpoint (stripe-params.ts): unknown parameters, wrong types and enum values
 *   are refused with Stripe's error shape, before anything changes.
 * - Behaviour (fake-stripe-model.ts): customers and their card, subscriptions from `incomplete` to
 *   `canceled`, proration invoices, pending updates, renewals with metered usage, Checkout, meter
 *   events with the 24-hour identifier window, customer deletion — each change records the events
 *   Stripe would send (`events`, `takeEvents()`), at the endpoint's API version.
 * - Idempotency as Stripe documents it (docs: api/idempotent_requests): a key replays the first
 *   answer — including a 5xx — for 24 hours; the same key with other parameters is an
 *   `idempotency_error`; requests refused by validation are not saved.
 * - `fail()` injects HTTP failures; `advance()` moves the clock.
 */

type Fault = { method: string; path: RegExp; status: number; times: number; message: string };
export type FakeRequest = { method: string; path: string; params: Json; idempotencyKey: string | null };

const rand = () => randomBytes(9).toString("hex");
const IDEMPOTENCY_WINDOW = 86_400;

const ROUTES: [string, RegExp, string][] = [
  ["POST", /^\/v1\/customers$/, "/v1/customers"],
  ["GET", /^\/v1\/customers\/[^/]+$/, "/v1/customers/{id}"],
  ["POST", /^\/v1\/customers\/[^/]+$/, "/v1/customers/{id}"],
  ["DELETE", /^\/v1\/customers\/[^/]+$/, "/v1/customers/{id}"],
  ["POST", /^\/v1\/subscriptions$/, "/v1/subscriptions"],
  ["GET", /^\/v1\/subscriptions$/, "/v1/subscriptions"],
  ["GET", /^\/v1\/subscriptions\/[^/]+$/, "/v1/subscriptions/{id}"],
  ["POST", /^\/v1\/subscriptions\/[^/]+$/, "/v1/subscriptions/{id}"],
  ["DELETE", /^\/v1\/subscriptions\/[^/]+$/, "/v1/subscriptions/{id}"],
  ["POST", /^\/v1\/checkout\/sessions$/, "/v1/checkout/sessions"],
  ["POST", /^\/v1\/billing_portal\/sessions$/, "/v1/billing_portal/sessions"],
  ["POST", /^\/v1\/billing\/meter_events$/, "/v1/billing/meter_events"],
  ["GET", /^\/v1\/invoices$/, "/v1/invoices"],
  ["GET", /^\/v1\/invoices\/[^/]+$/, "/v1/invoices/{id}"],
  ["POST", /^\/v1\/invoices\/create_preview$/, "/v1/invoices/create_preview"],
  ["GET", /^\/v1\/prices\/[^/]+$/, "/v1/prices/{id}"],
];

export class FakeStripe {
  readonly model = new StripeModel();
  readonly requests: FakeRequest[] = [];
  private readonly idempotent = new Map<
    string,
    { at: number; fingerprint: string; status: number; body: unknown }
  >();
  private faults: Fault[] = [];
  private server?: http.Server;
  private delivered = 0;
  port = 0;

  /** Prices the fake knows: id → interval and amount. Unknown prices are refused like Stripe does. */
  constructor(prices: Record<string, { interval: "month" | "year"; amount: number }> = {}) {
    for (const [id, p] of Object.entries(prices)) this.model.definePrice(id, p.interval, p.amount);
  }

  get customers() {
    return this.model.customers;
  }
  get subscriptions() {
    return this.model.subscriptions;
  }
  get checkoutSessions() {
    return this.model.checkoutSessions;
  }
  get portalSessions() {
    return this.model.portalSessions;
  }
  get invoices() {
    return this.model.invoices;
  }
  /** Meter events received, repeats included (`duplicate: true` for the ones Stripe drops). */
  get meterEvents() {
    return this.model.meterEvents;
  }
  get thinEvents(): FakeThinEvent[] {
    return this.model.thinEvents;
  }
  set endpointApiVersion(v: string) {
    this.model.endpointApiVersion = v;
  }
  now(): number {
    return this.model.now();
  }

  definePrice(id: string, interval: "month" | "year", amount: number): void {
    this.model.definePrice(id, interval, amount);
  }
  defineMeteredPrice(...args: Parameters<StripeModel["defineMeteredPrice"]>): void {
    this.model.defineMeteredPrice(...args);
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

  /** The events sent since the last call (what a webhook endpoint would receive next). */
  takeEvents(): FakeEvent[] {
    const out = this.model.events.slice(this.delivered);
    this.delivered = this.model.events.length;
    return out;
  }

  // ─── Scenario helpers: what happens outside the API (the customer, the Dashboard, time) ────────

  completeCheckout(sessionId: string, how: "paid" | "async" = "paid") {
    return this.model.completeCheckout(sessionId, how);
  }
  asyncPaymentFailed(sessionId: string) {
    return this.model.asyncPaymentFailed(sessionId);
  }
  expireCheckout(sessionId: string) {
    return this.model.expireCheckout(sessionId);
  }
  /** The customer's saved payment method from now on. */
  setCard(customerId: string, card: Card | null) {
    this.model.setCard(customerId, card);
  }
  /** The customer pays an open invoice (hosted invoice page, or a successful retry). */
  payInvoice(invoiceId: string) {
    return this.model.payInvoice(invoiceId);
  }
  /** A renewal payment fails now (card declined): the subscription goes past_due. */
  failPayment(subscriptionId: string) {
    const events = this.model.failRenewal(subscriptionId);
    return {
      updated: events.find((e) => e.type === "customer.subscription.updated")!,
      failed: events.find((e) => e.type === "invoice.payment_failed")!,
      invoiceId: events.find((e) => e.type === "invoice.payment_failed")!.data.object.id as string,
    };
  }
  /** The subscription's open invoice is paid; returns the events by type. */
  payLatest(subscriptionId: string) {
    const id = this.model.sub(subscriptionId).latest_invoice;
    if (!id) throw new Error(`subscription ${subscriptionId} has no invoice`);
    const events = this.model.payInvoice(id);
    const of = (t: string) => events.find((e) => e.type === t)!;
    return { paid: of("invoice.paid"), updated: of("customer.subscription.updated"), events };
  }
  /** The open invoice of a subscription's latest change or renewal. */
  latestInvoice(subscriptionId: string) {
    const id = this.model.sub(subscriptionId).latest_invoice;
    return id ? structuredClone(this.model.invoice(id)) : null;
  }
  /** Deleted in the Dashboard: its subscriptions end at once. */
  deleteCustomer(customerId: string) {
    return this.model.deleteCustomer(customerId).events;
  }
  /** Changes a subscription as the Dashboard or the portal would (returns the updated event). */
  updateSubscription(
    subscriptionId: string,
    patch: {
      status?: string;
      price?: string;
      cancelAtPeriodEnd?: boolean;
      cancelAt?: number | null;
      trialEnd?: number | null;
      pauseWithoutPaymentMethod?: boolean;
    },
  ) {
    const sub = this.model.sub(subscriptionId);
    if (patch.status !== undefined) sub.status = patch.status;
    if (patch.price !== undefined) this.model.setPlanPrice(sub, patch.price);
    if (patch.cancelAtPeriodEnd !== undefined) {
      sub.cancel_at_period_end = patch.cancelAtPeriodEnd;
      sub.cancel_at = patch.cancelAtPeriodEnd ? this.model.period(sub).end : null;
    }
    if (patch.cancelAt !== undefined) sub.cancel_at = patch.cancelAt;
    if (patch.trialEnd !== undefined) sub.trial_end = patch.trialEnd;
    if (patch.pauseWithoutPaymentMethod)
      sub.trial_settings = { end_behavior: { missing_payment_method: "pause" } };
    return this.model.emit("customer.subscription.updated", sub);
  }
  /** The subscription ends now (canceled in the Dashboard, or unpaid for too long). */
  endSubscription(subscriptionId: string) {
    return this.model.cancelNow(this.model.sub(subscriptionId));
  }
  trialWillEnd(subscriptionId: string) {
    return this.model.emit("customer.subscription.trial_will_end", this.model.sub(subscriptionId));
  }
  /** Moves Stripe's clock forward; returns the events sent meanwhile. */
  advance(seconds: number): FakeEvent[] {
    return this.model.advance(seconds);
  }
  /** A snapshot event of any object (for replaying stale or reordered deliveries). */
  event(type: string, object: Json): FakeEvent {
    return this.model.emit(type, object);
  }
  subscription(id: string): FakeSubscription {
    return structuredClone(this.model.sub(id));
  }
  /** The usage Stripe would bill on a meter for a customer over [start, end). */
  usage(customer: string, eventName: string, start: number, end: number): number {
    return this.model.usage(customer, eventName, start, end);
  }

  /** The body and `Stripe-Signature` header of a webhook delivery, signed with `secret`. */
  static sign(event: Json, secret: string, timestamp?: number): { body: string; signature: string } {
    const body = JSON.stringify(event);
    return {
      body,
      signature: Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }),
    };
  }

  // ─── HTTP ──────────────────────────────────────────────────────────────────────────────────────

  private async serve(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://fake");
    const method = (req.method ?? "GET").toUpperCase();
    const raw = Buffer.concat(chunks).toString("utf8");
    const v2 = url.pathname.startsWith("/v2/");
    const params =
      method === "GET" || method === "DELETE"
        ? parseStripeForm(url.search.slice(1))
        : v2
          ? raw
            ? (JSON.parse(raw) as Json)
            : {}
          : parseStripeForm(raw);
    const idem = (req.headers["idempotency-key"] as string | undefined) ?? null;
    // The SDK adds "stripe-node-retry-…" keys itself; only caller-chosen keys matter for replay.
    const idempotencyKey = idem && !idem.startsWith("stripe-node-retry-") ? idem : null;
    this.requests.push({ method, path: url.pathname, params, idempotencyKey });

    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "request-id": `req_${rand()}` });
      res.end(JSON.stringify(body));
    };
    const error = (e: StripeHttpError) => ({
      error: {
        type: e.type,
        message: e.message,
        ...(e.code ? { code: e.code } : {}),
        ...(e.param ? { param: e.param } : {}),
      },
    });
    if (!/^Bearer sk_(test|live)_/.test(String(req.headers.authorization ?? "")))
      return send(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided." } });

    const template = v2 ? null : ROUTES.find(([m, re]) => m === method && re.test(url.pathname))?.[2];
    if (!v2 && !template)
      return send(404, {
        error: {
          type: "invalid_request_error",
          message: `Unrecognized request URL (${method}: ${url.pathname}).`,
        },
      });
    if (template) {
      const problem = checkStripeParams(method, template, params as StripeForm);
      if (problem)
        return send(problem.status, {
          error: {
            type: problem.type,
            message: problem.message,
            param: problem.param,
            ...(problem.code ? { code: problem.code } : {}),
          },
        });
    }

    const fingerprint = createHash("sha256")
      .update(`${method} ${url.pathname} ${JSON.stringify(params)}`)
      .digest("hex");
    const replayKey = idempotencyKey && method === "POST" ? idempotencyKey : null;
    const saved = replayKey ? this.idempotent.get(replayKey) : undefined;
    if (saved && saved.at > this.now() - IDEMPOTENCY_WINDOW) {
      if (saved.fingerprint !== fingerprint)
        return send(400, {
          error: {
            type: "idempotency_error",
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${replayKey}' if you meant to execute a different request.`,
          },
        });
      return send(saved.status, saved.body);
    }

    let status = 200;
    let body: unknown;
    const fault = this.faults.find((f) => f.method === method && f.path.test(url.pathname) && f.times > 0);
    if (fault) {
      fault.times--;
      this.faults = this.faults.filter((f) => f.times > 0);
      status = fault.status;
      body = { error: { type: "api_error", message: fault.message } };
    } else {
      try {
        body = this.route(method, url.pathname, params);
      } catch (err) {
        if (!(err instanceof StripeHttpError)) throw err;
        status = err.status;
        body = error(err);
      }
    }
    // Stripe saves the first answer once the endpoint began executing, 5xx included.
    if (replayKey)
      this.idempotent.set(replayKey, { at: this.now(), fingerprint, status, body: structuredClone(body) });
    send(status, body);
  }

  private route(method: string, path: string, p: Json): unknown {
    const m = this.model;
    const id = path.split("/")[3] ?? "";
    const expand = new Set(((p.expand as string[] | undefined) ?? []).map(String));
    const subOut = (s: FakeSubscription) => {
      const out: Json = structuredClone(s);
      if (expand.has("latest_invoice") && s.latest_invoice)
        out.latest_invoice = structuredClone(m.invoice(s.latest_invoice));
      return out;
    };
    if (path === "/v1/customers") return m.createCustomer(p);
    if (path.startsWith("/v1/customers/")) {
      if (method === "GET") return m.customer(id);
      if (method === "POST") return m.updateCustomer(id, p);
      return m.deleteCustomer(id).deleted;
    }
    if (path === "/v1/subscriptions" && method === "POST") {
      const items = (p.items as Json[] | undefined) ?? [];
      return subOut(
        m.createSubscription({
          customer: String(p.customer),
          prices: items.map((i) => String(i.price)),
          trialDays: p.trial_period_days ? Number(p.trial_period_days) : 0,
          trialEnd: p.trial_end ? Number(p.trial_end) : undefined,
          metadata: (p.metadata ?? {}) as Record<string, string>,
          paymentBehavior: p.payment_behavior ? String(p.payment_behavior) : "allow_incomplete",
        }),
      );
    }
    if (path === "/v1/subscriptions") return this.listSubscriptions(p);
    if (path.startsWith("/v1/subscriptions/")) {
      const sub = m.sub(id);
      if (method === "GET") return subOut(sub);
      if (method === "POST") return subOut(m.update(sub, p));
      if (!m.ended(sub)) m.cancelNow(sub);
      return subOut(sub);
    }
    if (path === "/v1/checkout/sessions") return this.createCheckout(p);
    if (path === "/v1/billing_portal/sessions") {
      m.liveCustomer(String(p.customer));
      const session = {
        id: `bps_${rand()}`,
        object: "billing_portal.session",
        customer: p.customer,
        return_url: p.return_url ?? null,
        url: `https://billing.stripe.test/p/session/${rand()}`,
        created: this.now(),
        livemode: false,
      };
      m.portalSessions.push(session);
      return session;
    }
    if (path === "/v1/billing/meter_events") return m.meterEvent(p);
    if (path === "/v1/invoices/create_preview") return m.preview(p);
    if (path === "/v1/invoices") {
      const data = [...m.invoices.values()]
        .filter((i) => !p.customer || i.customer === p.customer)
        .filter(
          (i) =>
            !p.subscription ||
            ((i.parent as Json).subscription_details as Json).subscription === p.subscription,
        )
        .sort((a, b) => Number(b.created) - Number(a.created));
      return { object: "list", data: structuredClone(data), has_more: false, url: "/v1/invoices" };
    }
    if (path.startsWith("/v1/invoices/")) return structuredClone(m.invoice(id));
    if (path.startsWith("/v1/prices/")) return m.price(id);
    const thin = path.match(/^\/v2\/core\/events\/([^/]+)$/);
    if (method === "GET" && thin) return m.thinEvent(thin[1]!);
    throw new StripeHttpError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
  }

  private createCheckout(p: Json): Json {
    if (p.mode !== "subscription")
      throw new StripeHttpError(
        400,
        "invalid_request_error",
        "This double serves subscription mode only.",
        undefined,
        "mode",
      );
    const session = this.model.createCheckout(p, (id) => `https://checkout.stripe.test/c/pay/${id}`);
    return session;
  }

  private listSubscriptions(p: Json): Json {
    const status = String(p.status ?? "");
    const data = [...this.model.subscriptions.values()]
      .filter((s) => !p.customer || s.customer === p.customer)
      .filter((s) =>
        status === "all"
          ? true
          : status
            ? s.status === status
            : s.status !== "canceled" && s.status !== "incomplete_expired",
      )
      .sort((a, b) => Number(b.created) - Number(a.created))
      .map((s) => structuredClone(s));
    return { object: "list", data, has_more: false, url: "/v1/subscriptions" };
  }
}
