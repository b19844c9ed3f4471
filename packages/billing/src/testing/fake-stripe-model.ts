// Over 400 lines on purpose: one state machine of Stripe objects whose transitions reach across
// customers, subscriptions, invoices and meters (a renewal touches all four); split by object it would
// pass its private state around.
import { randomBytes } from "node:crypto";
import { Stripe } from "../stripe";

/**
 * The behaviour of the Stripe double: customers and their way to pay, subscriptions and their
 * statuses, invoices (proration, renewal with metered usage), pending updates, Checkout, meter
 * events with Stripe's 24-hour identifier window, and the events Stripe sends for each change.
 * Every transition here is one Stripe documents (the comments name the page); the HTTP layer
 * (fake-stripe.ts) checks parameters against the SDK's own types before anything reaches this.
 */

export type Json = Record<string, unknown>;
/** How the customer's saved payment method behaves when charged. */
export type Card = "ok" | "declined" | "requires_action";

export class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export type FakeEvent = Json & { id: string; type: string; created: number; data: { object: Json } };
/** A v2 "thin" event as delivered to an event destination (fetch the full event by id). */
export type FakeThinEvent = Json & { id: string; object: "v2.core.event"; type: string; created: string };

type Price = Json & {
  id: string;
  unit_amount: number;
  recurring: {
    interval: "month" | "year";
    interval_count: 1;
    usage_type: "licensed" | "metered";
    meter: string | null;
  };
};
export type FakeItem = Json & {
  id: string;
  object: "subscription_item";
  price: Price;
  quantity?: number;
  current_period_start: number;
  current_period_end: number;
  subscription: string;
};
export type FakeSubscription = Json & {
  id: string;
  customer: string;
  status: string;
  created: number;
  cancel_at_period_end: boolean;
  cancel_at: number | null;
  trial_end: number | null;
  metadata: Record<string, string>;
  latest_invoice: string | null;
  pending_update: Json | null;
  items: { object: "list"; data: FakeItem[]; has_more: false; url: string };
};
export type FakeInvoice = Json & {
  id: string;
  customer: string;
  status: "draft" | "open" | "paid" | "void";
  amount_due: number;
  lines: { object: "list"; data: Json[]; has_more: false; url: string };
};
type Meter = { id: string; event_name: string; formula: "sum" | "last" | "count" };
export type FakeMeterEvent = {
  identifier: string;
  event_name: string;
  customer: string;
  value: number;
  timestamp: number;
  received: number;
  /** Dropped: a repeat of an identifier seen in the previous 24 hours. */
  duplicate: boolean;
};

const rand = () => randomBytes(9).toString("hex");
export const DAY = 86_400;
/** An incomplete subscription whose first invoice is not paid within 23 hours expires (docs: subscriptions/overview#payment-window). */
const FIRST_PAYMENT_WINDOW = 23 * 3600;
/** A pending update expires after 23 hours (docs: billing/subscriptions/pending-updates). */
const PENDING_UPDATE_WINDOW = 23 * 3600;
/** Meter event identifiers are unique within a rolling 24-hour window (docs: api/billing/meter-event/create). */
const METER_DEDUPE_WINDOW = DAY;
/** Renewal invoices stay draft for an hour before they are finalized; usage for the closed period still counts until then. */
export const INVOICE_GRACE = 3600;

const clone = <T>(v: T): T => structuredClone(v);

export class StripeModel {
  readonly customers = new Map<string, Json>();
  readonly subscriptions = new Map<string, FakeSubscription>();
  readonly invoices = new Map<string, FakeInvoice>();
  readonly checkoutSessions = new Map<string, Json>();
  readonly portalSessions: Json[] = [];
  readonly meterEvents: FakeMeterEvent[] = [];
  /** Every event Stripe would have sent, oldest first (scenario helpers also return theirs). */
  readonly events: FakeEvent[] = [];
  readonly thinEvents: FakeThinEvent[] = [];
  private readonly thinDetails = new Map<string, Json>();
  private readonly prices = new Map<string, Price>();
  private readonly meters = new Map<string, Meter>();
  private readonly cards = new Map<string, Card>();
  private readonly checkoutParams = new Map<string, Json>();
  /** The invoice whose payment applies a subscription's pending update. */
  private readonly pendingInvoice = new Map<string, string>();
  /** The API version the webhook endpoint is pinned to: event payloads are rendered at it. */
  endpointApiVersion: string = Stripe.API_VERSION;
  /** Stripe's clock runs with the wall clock, plus however far `advance` moved it. */
  private offset = 0;

  now(): number {
    return Math.floor(Date.now() / 1000) + this.offset;
  }

  // ─── Catalog ───────────────────────────────────────────────────────────────────────────────────

  definePrice(id: string, interval: "month" | "year", amount: number): void {
    this.prices.set(id, {
      id,
      object: "price",
      active: true,
      currency: "usd",
      type: "recurring",
      unit_amount: amount,
      recurring: { interval, interval_count: 1, usage_type: "licensed", meter: null },
    });
  }

  /** A metered price on a billing meter (created with the meter when the event name is new). */
  defineMeteredPrice(
    id: string,
    o: { interval: "month" | "year"; unitAmount: number; eventName: string; formula?: Meter["formula"] },
  ): void {
    let meter = this.meters.get(o.eventName);
    if (!meter) {
      meter = { id: `mtr_${rand()}`, event_name: o.eventName, formula: o.formula ?? "sum" };
      this.meters.set(o.eventName, meter);
    }
    this.prices.set(id, {
      id,
      object: "price",
      active: true,
      currency: "usd",
      type: "recurring",
      unit_amount: o.unitAmount,
      recurring: { interval: o.interval, interval_count: 1, usage_type: "metered", meter: meter.id },
    });
  }

  price(id: string): Price {
    return clone(this.prices.get(id) ?? this.missing("price", id));
  }

  missing(kind: string, id: string): never {
    throw new StripeHttpError(404, "invalid_request_error", `No such ${kind}: '${id}'`, "resource_missing");
  }

  // ─── Events ────────────────────────────────────────────────────────────────────────────────────

  /** An event as Stripe sends it: a snapshot of `object`, at the endpoint's API version. */
  emit(type: string, object: Json, previous?: Json): FakeEvent {
    const event: FakeEvent = {
      id: `evt_${rand()}`,
      object: "event",
      api_version: this.endpointApiVersion,
      created: this.now(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: clone(object), ...(previous ? { previous_attributes: previous } : {}) },
    };
    this.events.push(event);
    return event;
  }

  private emitThin(type: string, relatedMeter: Meter | null, data: Json): FakeThinEvent {
    const id = `evt_${rand()}`;
    const created = new Date(this.now() * 1000).toISOString();
    const related = relatedMeter
      ? { id: relatedMeter.id, type: "billing.meter", url: `/v1/billing/meters/${relatedMeter.id}` }
      : null;
    const thin: FakeThinEvent = {
      id,
      object: "v2.core.event",
      type,
      created,
      livemode: false,
      context: null,
      ...(related ? { related_object: related } : {}),
    };
    this.thinEvents.push(thin);
    this.thinDetails.set(id, { ...thin, data, reason: null });
    return thin;
  }

  thinEvent(id: string): Json {
    return clone(this.thinDetails.get(id) ?? this.missing("event", id));
  }

  // ─── Customers ─────────────────────────────────────────────────────────────────────────────────

  createCustomer(p: Json): Json {
    const c = {
      id: `cus_${rand()}`,
      object: "customer",
      created: this.now(),
      email: p.email ?? null,
      name: p.name ?? null,
      metadata: p.metadata ?? {},
      invoice_settings: { default_payment_method: null },
      livemode: false,
    };
    this.customers.set(c.id, c);
    this.emit("customer.created", c);
    return clone(c);
  }

  customer(id: string): Json {
    const c = this.customers.get(id) ?? this.missing("customer", id);
    return clone(c.deleted ? { id, object: "customer", deleted: true } : c);
  }

  /** A live customer, or Stripe's refusal for a missing or deleted one. */
  liveCustomer(id: string): Json {
    const c = this.customers.get(id);
    if (!c || c.deleted) this.missing("customer", id);
    return c;
  }

  updateCustomer(id: string, p: Json): Json {
    const c = this.liveCustomer(id);
    for (const k of ["email", "name"] as const) if (p[k] !== undefined) c[k] = p[k] === "" ? null : p[k];
    if (p.metadata) c.metadata = { ...(c.metadata as Json), ...(p.metadata as Json) };
    this.emit("customer.updated", c);
    return clone(c);
  }

  /**
   * Deleting a customer cancels its subscriptions at once (docs: api/customers/delete); Stripe
   * sends customer.subscription.deleted for each, then customer.deleted.
   */
  deleteCustomer(id: string): { deleted: Json; events: FakeEvent[] } {
    const c = this.liveCustomer(id);
    const events: FakeEvent[] = [];
    for (const sub of this.subscriptions.values())
      if (sub.customer === id && !this.ended(sub)) events.push(this.cancelNow(sub));
    c.deleted = true;
    events.push(this.emit("customer.deleted", c));
    return { deleted: { id, object: "customer", deleted: true }, events };
  }

  /** The customer saves a payment method (Checkout, the portal) that behaves as `card`. */
  setCard(customer: string, card: Card | null): void {
    this.liveCustomer(customer);
    if (card) this.cards.set(customer, card);
    else this.cards.delete(customer);
  }

  // ─── Subscriptions ─────────────────────────────────────────────────────────────────────────────

  sub(id: string): FakeSubscription {
    return this.subscriptions.get(id) ?? this.missing("subscription", id);
  }

  ended(sub: FakeSubscription): boolean {
    return sub.status === "canceled" || sub.status === "incomplete_expired";
  }

  periodEnd(start: number, interval: "month" | "year"): number {
    const d = new Date(start * 1000);
    if (interval === "year") d.setUTCFullYear(d.getUTCFullYear() + 1);
    else d.setUTCMonth(d.getUTCMonth() + 1);
    return Math.floor(d.getTime() / 1000);
  }

  private item(subId: string, priceId: string, start: number, end: number): FakeItem {
    const price = this.price(priceId);
    return {
      id: `si_${rand()}`,
      object: "subscription_item",
      price,
      ...(price.recurring.usage_type === "licensed" ? { quantity: 1 } : {}),
      current_period_start: start,
      current_period_end: end,
      subscription: subId,
    };
  }

  /** The licensed (flat) item: the plan. */
  licensedItem(sub: FakeSubscription): FakeItem | undefined {
    return sub.items.data.find((i) => i.price.recurring.usage_type === "licensed");
  }

  /**
   * A new subscription. Its first invoice is charged according to `payment_behavior`
   * (docs: api/subscriptions/create#payment_behavior): `default_incomplete` never charges here
   * (the client confirms the payment: status `incomplete` when anything is due); `allow_incomplete`
   * charges the saved method (`incomplete` when that fails); `error_if_incomplete` answers 402 and
   * creates nothing when it fails. A trial means nothing is due: `trialing`.
   */
  createSubscription(o: {
    customer: string;
    prices: string[];
    trialDays?: number;
    trialEnd?: number;
    metadata?: Record<string, string>;
    paymentBehavior?: string;
  }): FakeSubscription {
    this.liveCustomer(o.customer);
    if (o.prices.length === 0)
      throw new StripeHttpError(
        400,
        "invalid_request_error",
        "Missing required param: items.",
        "parameter_missing",
        "items",
      );
    const now = this.now();
    const trialEnd = o.trialEnd ?? (o.trialDays ? now + o.trialDays * DAY : null);
    const id = `sub_${rand()}`;
    const interval = this.price(o.prices[0]!).recurring.interval;
    if (o.prices.some((p) => this.price(p).recurring.interval !== interval))
      throw new StripeHttpError(
        400,
        "invalid_request_error",
        "Currency and interval fields must match across all plans on this subscription.",
      );
    const end = trialEnd ?? this.periodEnd(now, interval);
    const sub: FakeSubscription = {
      id,
      object: "subscription",
      customer: o.customer,
      status: "incomplete",
      created: now,
      start_date: now,
      cancel_at_period_end: false,
      cancel_at: null,
      canceled_at: null,
      ended_at: null,
      trial_start: trialEnd ? now : null,
      trial_end: trialEnd,
      trial_settings: { end_behavior: { missing_payment_method: "create_invoice" } },
      metadata: o.metadata ?? {},
      latest_invoice: null,
      pending_update: null,
      livemode: false,
      items: {
        object: "list",
        has_more: false,
        url: `/v1/subscription_items?subscription=${id}`,
        data: o.prices.map((p) => this.item(id, p, now, end)),
      },
    };
    const due = trialEnd ? 0 : this.licensedAmount(sub);
    const invoice = this.newInvoice(sub, "subscription_create", [this.licensedLine(sub, due)], {
      start: now,
      end,
    });
    sub.latest_invoice = invoice.id;
    if (due === 0) {
      this.markPaid(invoice);
      sub.status = trialEnd ? "trialing" : "active";
    } else if (o.paymentBehavior === "default_incomplete") {
      invoice.status = "open";
    } else {
      const outcome = this.charge(sub.customer, invoice);
      if (outcome !== "ok" && o.paymentBehavior === "error_if_incomplete") {
        this.invoices.delete(invoice.id);
        throw new StripeHttpError(402, "card_error", "Your card was declined.", "card_declined");
      }
      sub.status = outcome === "ok" ? "active" : "incomplete";
    }
    this.subscriptions.set(id, sub);
    this.emit("customer.subscription.created", sub);
    this.invoiceEvents(invoice);
    return sub;
  }

  private licensedAmount(sub: FakeSubscription): number {
    return this.licensedItem(sub)?.price.unit_amount ?? 0;
  }

  /**
   * An update (docs: api/subscriptions/update). Price changes with `always_invoice` invoice the
   * proration now; with `pending_if_incomplete` a failed payment leaves the items unchanged and
   * records a `pending_update` (applied when the invoice is paid, expired after 23 hours), without
   * it the change applies and a failed payment makes the subscription `past_due`.
   */
  update(sub: FakeSubscription, p: Json): FakeSubscription {
    if (this.ended(sub)) {
      const onlyMetadata = Object.keys(p).every((k) => k === "metadata" || k === "expand");
      if (!onlyMetadata)
        throw new StripeHttpError(
          400,
          "invalid_request_error",
          "A canceled subscription can only update its cancellation_details and metadata.",
        );
    }
    const before = clone(sub);
    const items = (p.items as Json[] | undefined) ?? [];
    const next = this.nextItems(sub, items);
    const proration = String(p.proration_behavior ?? "create_prorations");
    const pendingIfIncomplete = p.payment_behavior === "pending_if_incomplete";
    if (next) {
      const due = proration === "always_invoice" ? this.prorationAmount(sub, next) : 0;
      if (due > 0) {
        const invoice = this.newInvoice(
          sub,
          "subscription_update",
          [{ amount: due, description: "Proration", price: this.planPriceOf(next) }],
          this.period(sub),
        );
        sub.latest_invoice = invoice.id;
        const outcome = this.charge(sub.customer, invoice);
        if (outcome === "ok") this.applyItems(sub, next);
        else if (pendingIfIncomplete) {
          sub.pending_update = {
            billing_cycle_anchor: null,
            expires_at: this.now() + PENDING_UPDATE_WINDOW,
            subscription_items: clone(next),
            trial_end: null,
            trial_from_plan: null,
          };
          this.pendingInvoice.set(sub.id, invoice.id);
        } else {
          this.applyItems(sub, next);
          sub.status = "past_due";
        }
        this.invoiceEvents(invoice);
      } else this.applyItems(sub, next);
    }
    if (p.cancel_at_period_end !== undefined) {
      sub.cancel_at_period_end = p.cancel_at_period_end === "true";
      // Since 2025, cancel_at_period_end=true is cancel_at = the period end (docs: changelog "basil").
      sub.cancel_at = sub.cancel_at_period_end ? this.period(sub).end : sub.cancel_at;
    }
    if (p.cancel_at !== undefined) {
      sub.cancel_at = p.cancel_at === "" ? null : this.cancelAt(sub, String(p.cancel_at));
      if (sub.cancel_at === null) sub.cancel_at_period_end = false;
    }
    if (p.metadata) sub.metadata = { ...sub.metadata, ...(p.metadata as Record<string, string>) };
    if (p.trial_end !== undefined) sub.trial_end = p.trial_end === "now" ? this.now() : Number(p.trial_end);
    this.emit("customer.subscription.updated", sub, this.previous(before, sub));
    return sub;
  }

  private cancelAt(sub: FakeSubscription, v: string): number {
    const { end } = this.period(sub);
    if (v === "max_period_end" || v === "min_period_end") return end;
    return Number(v);
  }

  /** The items after an update's `items` (id + price replaces, price alone adds, deleted removes). */
  private nextItems(sub: FakeSubscription, items: Json[]): FakeItem[] | null {
    if (items.length === 0) return null;
    const next = sub.items.data.map((i) => clone(i));
    for (const it of items) {
      if (it.id) {
        const idx = next.findIndex((i) => i.id === it.id);
        if (idx < 0) this.missing("subscription_item", String(it.id));
        if (it.deleted === "true") next.splice(idx, 1);
        else if (it.price) {
          const price = this.price(String(it.price));
          next[idx] = {
            ...next[idx]!,
            price,
            ...(price.recurring.usage_type === "licensed" ? { quantity: 1 } : {}),
          };
          if (price.recurring.usage_type === "metered") delete next[idx]!.quantity;
        }
      } else if (it.price) {
        const { start, end } = this.period(sub);
        next.push(this.item(sub.id, String(it.price), start, end));
      }
    }
    if (new Set(next.map((i) => i.price.recurring.interval)).size > 1)
      throw new StripeHttpError(
        400,
        "invalid_request_error",
        "Currency and interval fields must match across all plans on this subscription.",
      );
    const prices = next.map((i) => i.price.id);
    if (new Set(prices).size !== prices.length)
      throw new StripeHttpError(
        400,
        "invalid_request_error",
        "Cannot add multiple subscription items with the same price.",
      );
    return next;
  }

  private planPriceOf(items: FakeItem[]): string | null {
    return items.find((i) => i.price.recurring.usage_type === "licensed")?.price.id ?? null;
  }

  period(sub: FakeSubscription): { start: number; end: number } {
    const item = sub.items.data[0]!;
    return { start: item.current_period_start, end: item.current_period_end };
  }

  /** Unused time of the old plan credited, remaining time of the new one charged; an interval change restarts the cycle. */
  private prorationAmount(sub: FakeSubscription, next: FakeItem[]): number {
    const oldItem = this.licensedItem(sub);
    const newItem = next.find((i) => i.price.recurring.usage_type === "licensed");
    if (!oldItem || !newItem || oldItem.price.id === newItem.price.id) return 0;
    const { start, end } = this.period(sub);
    const left = Math.max(0, end - this.now()) / Math.max(1, end - start);
    const credit = Math.round(oldItem.price.unit_amount * left);
    if (newItem.price.recurring.interval !== oldItem.price.recurring.interval)
      return Math.max(0, newItem.price.unit_amount - credit);
    return Math.max(0, Math.round(newItem.price.unit_amount * left) - credit);
  }

  private applyItems(sub: FakeSubscription, next: FakeItem[]) {
    const oldInterval = this.licensedItem(sub)?.price.recurring.interval;
    const newInterval = next.find((i) => i.price.recurring.usage_type === "licensed")?.price.recurring
      .interval;
    sub.items.data = next;
    if (newInterval && oldInterval && newInterval !== oldInterval) {
      const now = this.now();
      for (const i of sub.items.data) {
        i.current_period_start = now;
        i.current_period_end = this.periodEnd(now, newInterval);
      }
    }
    sub.pending_update = null;
  }

  private previous(before: FakeSubscription, after: FakeSubscription): Json {
    const out: Json = {};
    for (const k of Object.keys(after))
      if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) out[k] = before[k] ?? null;
    return out;
  }

  cancelNow(sub: FakeSubscription): FakeEvent {
    const now = this.now();
    Object.assign(sub, {
      status: "canceled",
      canceled_at: now,
      ended_at: now,
      cancel_at_period_end: false,
      pending_update: null,
    });
    return this.emit("customer.subscription.deleted", sub);
  }

  // ─── Invoices and payments ─────────────────────────────────────────────────────────────────────

  private newInvoice(
    sub: FakeSubscription,
    reason: string,
    lines: { amount: number; description: string; price: string | null; quantity?: number }[],
    period: { start: number; end: number },
  ): FakeInvoice {
    const id = `in_${rand()}`;
    const amount = lines.reduce((s, l) => s + l.amount, 0);
    const now = this.now();
    const invoice: FakeInvoice = {
      id,
      object: "invoice",
      customer: sub.customer,
      status: "draft",
      currency: "usd",
      amount_due: amount,
      amount_paid: 0,
      amount_remaining: amount,
      attempt_count: 0,
      attempted: false,
      billing_reason: reason,
      created: now,
      period_start: period.start,
      period_end: period.end,
      hosted_invoice_url: `https://invoice.stripe.test/i/${id}`,
      lines: {
        object: "list",
        has_more: false,
        url: `/v1/invoices/${id}/lines`,
        data: lines.map((l) => ({
          id: `il_${rand()}`,
          object: "line_item",
          amount: l.amount,
          currency: "usd",
          description: l.description,
          quantity: l.quantity ?? 1,
          period: { start: period.start, end: period.end },
          pricing: l.price
            ? { type: "price_details", price_details: { price: l.price, product: `prod_${l.price}` } }
            : null,
        })),
      },
      parent: {
        type: "subscription_details",
        quote_details: null,
        subscription_details: { subscription: sub.id, metadata: sub.metadata },
      },
      status_transitions: {
        finalized_at: null,
        paid_at: null,
        marked_uncollectible_at: null,
        voided_at: null,
      },
      livemode: false,
    };
    this.invoices.set(id, invoice);
    return invoice;
  }

  private licensedLine(sub: FakeSubscription, amount: number) {
    const item = this.licensedItem(sub);
    return { amount, description: "Plan", price: item?.price.id ?? null };
  }

  private markPaid(invoice: FakeInvoice) {
    const now = this.now();
    Object.assign(invoice, { status: "paid", amount_paid: invoice.amount_due, amount_remaining: 0 });
    (invoice.status_transitions as Json).finalized_at ??= now;
    (invoice.status_transitions as Json).paid_at = now;
  }

  /** Finalizes and charges the saved payment method; the invoice is paid or stays open. */
  private charge(customer: string, invoice: FakeInvoice): Card | "none" {
    (invoice.status_transitions as Json).finalized_at = this.now();
    invoice.attempt_count = Number(invoice.attempt_count) + 1;
    invoice.attempted = true;
    const card = this.cards.get(customer) ?? "none";
    if (card === "ok" || invoice.amount_due === 0) {
      this.markPaid(invoice);
      return "ok";
    }
    invoice.status = "open";
    invoice.failure = card === "requires_action" ? "requires_action" : "declined";
    return card;
  }

  private invoiceEvents(invoice: FakeInvoice) {
    this.emit("invoice.finalized", invoice);
    if (invoice.status === "paid") this.emit("invoice.paid", invoice);
    else if (invoice.failure === "requires_action") this.emit("invoice.payment_action_required", invoice);
    else this.emit("invoice.payment_failed", invoice);
  }

  invoice(id: string): FakeInvoice {
    return this.invoices.get(id) ?? this.missing("invoice", id);
  }

  /**
   * The invoice is paid (the customer paid the hosted invoice, or a retry succeeded): an
   * incomplete subscription becomes active, a past_due one active again, a pending update applies.
   */
  payInvoice(invoiceId: string): FakeEvent[] {
    const invoice = this.invoice(invoiceId);
    if (invoice.status !== "open") throw new Error(`invoice ${invoiceId} is ${invoice.status}`);
    const start = this.events.length;
    this.markPaid(invoice);
    this.emit("invoice.paid", invoice);
    const subId = ((invoice.parent as Json).subscription_details as Json).subscription as string;
    const sub = this.sub(subId);
    const before = clone(sub);
    const pending = sub.pending_update as (Json & { subscription_items: FakeItem[] }) | null;
    if (pending && this.pendingInvoice.get(sub.id) === invoiceId) {
      this.pendingInvoice.delete(sub.id);
      this.applyItems(sub, pending.subscription_items);
      this.emit("customer.subscription.updated", sub, this.previous(before, sub));
      this.emit("customer.subscription.pending_update_applied", sub);
    } else if (sub.status === "incomplete" || sub.status === "past_due" || sub.status === "unpaid") {
      sub.status = "active";
      this.emit("customer.subscription.updated", sub, this.previous(before, sub));
    }
    return this.events.slice(start);
  }

  /** A renewal charge fails now (the card is declined): the invoice stays open, the subscription is past_due. */
  failRenewal(subscriptionId: string): FakeEvent[] {
    const sub = this.sub(subscriptionId);
    const start = this.events.length;
    this.setCard(sub.customer, "declined");
    const invoice = this.newInvoice(
      sub,
      "subscription_cycle",
      [this.licensedLine(sub, this.licensedAmount(sub))],
      this.period(sub),
    );
    sub.latest_invoice = invoice.id;
    const before = clone(sub);
    this.charge(sub.customer, invoice);
    this.invoiceEvents(invoice);
    sub.status = "past_due";
    this.emit("customer.subscription.updated", sub, this.previous(before, sub));
    return this.events.slice(start);
  }

  /** The plan's price changed outside the API (the Dashboard), without proration. */
  setPlanPrice(sub: FakeSubscription, priceId: string): void {
    const item = this.licensedItem(sub);
    if (!item) throw new Error(`subscription ${sub.id} has no plan item`);
    const next = sub.items.data.map((i) =>
      i.id === item.id ? { ...clone(i), price: this.price(priceId) } : clone(i),
    );
    this.applyItems(sub, next);
  }

  // ─── Checkout ──────────────────────────────────────────────────────────────────────────────────

  createCheckout(p: Json, url: (id: string) => string): Json {
    if (p.customer) this.liveCustomer(String(p.customer));
    for (const line of (p.line_items as Json[] | undefined) ?? []) this.price(String(line.price));
    const id = `cs_test_${rand()}`;
    const session = {
      id,
      object: "checkout.session",
      mode: p.mode,
      status: "open",
      payment_status: "unpaid",
      customer: p.customer ?? null,
      client_reference_id: p.client_reference_id ?? null,
      metadata: p.metadata ?? {},
      subscription: null,
      success_url: p.success_url ?? null,
      cancel_url: p.cancel_url ?? null,
      url: url(id),
      created: this.now(),
      expires_at: this.now() + DAY,
      livemode: false,
    };
    this.checkoutSessions.set(id, session);
    this.checkoutParams.set(id, clone(p));
    return clone(session);
  }

  /**
   * The customer finishes the hosted page. `paid`: the card is charged there (Checkout only
   * completes when the payment succeeded or nothing is due). `async`: a delayed payment method
   * (bank debit) — the session completes `unpaid`, the subscription stays `incomplete` until
   * `asyncPaymentSucceeded` / `asyncPaymentFailed` (docs: checkout/fulfillment#delayed-notification).
   */
  completeCheckout(sessionId: string, how: "paid" | "async" = "paid") {
    const session = this.checkoutSessions.get(sessionId);
    const params = this.checkoutParams.get(sessionId);
    if (!session || !params || session.status !== "open")
      throw new Error(`no open checkout session ${sessionId}`);
    const customer = String(session.customer);
    const start = this.events.length;
    if (how === "paid") this.setCard(customer, "ok");
    const data = (params.subscription_data ?? {}) as Json;
    const sub = this.createSubscription({
      customer,
      prices: ((params.line_items as Json[] | undefined) ?? []).map((l) => String(l.price)),
      trialDays: data.trial_period_days ? Number(data.trial_period_days) : 0,
      trialEnd: data.trial_end ? Number(data.trial_end) : undefined,
      metadata: (data.metadata ?? {}) as Record<string, string>,
      paymentBehavior: how === "async" ? "default_incomplete" : "allow_incomplete",
    });
    Object.assign(session, {
      status: "complete",
      payment_status:
        sub.status === "trialing" ? "no_payment_required" : sub.status === "active" ? "paid" : "unpaid",
      subscription: sub.id,
    });
    const completed = this.emit("checkout.session.completed", session);
    const all = this.events.slice(start);
    const byType = (t: string) => all.find((e) => e.type === t)!;
    return {
      subscription: clone(sub),
      created: byType("customer.subscription.created"),
      completed,
      paid: all.find((e) => e.type === "invoice.paid") ?? null,
      events: all,
    };
  }

  asyncPaymentFailed(sessionId: string): FakeEvent[] {
    const session = this.checkoutSessions.get(sessionId) ?? this.missing("checkout.session", sessionId);
    return [this.emit("checkout.session.async_payment_failed", session)];
  }

  expireCheckout(sessionId: string): FakeEvent {
    const session = this.checkoutSessions.get(sessionId) ?? this.missing("checkout.session", sessionId);
    if (session.status !== "open") throw new Error(`checkout session ${sessionId} is ${session.status}`);
    session.status = "expired";
    return this.emit("checkout.session.expired", session);
  }

  // ─── Meter events ──────────────────────────────────────────────────────────────────────────────

  /**
   * Accepted synchronously when well-formed (docs: api/billing/meter-event/create); a repeat of an
   * identifier within 24 hours is dropped; an unknown event name or customer is reported later as a
   * `v1.billing.meter.no_meter_found` / `error_report_triggered` thin event.
   */
  meterEvent(p: Json): Json {
    const payload = (p.payload ?? {}) as Record<string, string>;
    const now = this.now();
    const timestamp = p.timestamp !== undefined ? Number(p.timestamp) : now;
    if (timestamp < now - 35 * DAY || timestamp > now + 300)
      throw new StripeHttpError(
        400,
        "invalid_request_error",
        "Timestamp must be within the past 35 days and not more than 5 minutes in the future.",
        undefined,
        "timestamp",
      );
    if (!/^\d+$/.test(String(payload.value)))
      throw new StripeHttpError(
        400,
        "invalid_request_error",
        "The value of payload[value] must be a non-negative whole number.",
        undefined,
        "payload[value]",
      );
    const identifier = String(p.identifier ?? `mev_${rand()}`);
    const duplicate = this.meterEvents.some(
      (e) => e.identifier === identifier && !e.duplicate && e.received > now - METER_DEDUPE_WINDOW,
    );
    const event: FakeMeterEvent = {
      identifier,
      event_name: String(p.event_name),
      customer: payload.stripe_customer_id ?? "",
      value: Number(payload.value),
      timestamp,
      received: now,
      duplicate,
    };
    this.meterEvents.push(event);
    const meter = this.meters.get(event.event_name);
    if (!meter) {
      this.emitThin(
        "v1.billing.meter.no_meter_found",
        null,
        this.meterError(
          "no_meter",
          `No active meter was found for event_name '${event.event_name}'.`,
          identifier,
        ),
      );
    } else if (!this.customers.get(event.customer) || this.customers.get(event.customer)!.deleted) {
      this.emitThin(
        "v1.billing.meter.error_report_triggered",
        meter,
        this.meterError(
          "meter_event_customer_not_found",
          `Customer ${event.customer} was not found.`,
          identifier,
        ),
      );
    }
    return {
      object: "billing.meter_event",
      created: now,
      event_name: event.event_name,
      identifier,
      livemode: false,
      payload,
      timestamp,
    };
  }

  private meterError(code: string, message: string, identifier: string): Json {
    const at = new Date(this.now() * 1000).toISOString();
    return {
      developer_message_summary: message,
      reason: {
        error_count: 1,
        error_types: [
          { code, error_count: 1, sample_errors: [{ error_message: message, request: { identifier } }] },
        ],
      },
      validation_start: at,
      validation_end: at,
    };
  }

  /** The aggregated usage of a customer on a meter over [start, end) (counted events only). */
  usage(customer: string, eventName: string, start: number, end: number): number {
    const meter = this.meters.get(eventName);
    const events = this.meterEvents
      .filter((e) => !e.duplicate && e.customer === customer && e.event_name === eventName)
      .filter((e) => e.timestamp >= start && e.timestamp < end);
    if (!meter || events.length === 0) return 0;
    if (meter.formula === "count") return events.length;
    if (meter.formula === "last") return [...events].sort((a, b) => a.timestamp - b.timestamp).at(-1)!.value;
    return events.reduce((s, e) => s + e.value, 0);
  }

  private meterName(meterId: string | null): string | null {
    for (const m of this.meters.values()) if (m.id === meterId) return m.event_name;
    return null;
  }

  /** Metered lines for a subscription's usage over a period (the renewal invoice, in arrears). */
  private meteredLines(sub: FakeSubscription, start: number, end: number) {
    return sub.items.data
      .filter((i) => i.price.recurring.usage_type === "metered")
      .map((i) => {
        const quantity = this.usage(sub.customer, this.meterName(i.price.recurring.meter) ?? "", start, end);
        return { amount: quantity * i.price.unit_amount, description: "Usage", price: i.price.id, quantity };
      });
  }

  /** The next invoice as it stands now (docs: api/invoices/create_preview). */
  preview(p: Json): Json {
    const sub = this.sub(String(p.subscription ?? ""));
    if (p.customer && p.customer !== sub.customer) this.missing("subscription", sub.id);
    const { start, end } = this.period(sub);
    const nextEnd = this.periodEnd(end, this.licensedItem(sub)?.price.recurring.interval ?? "month");
    const lines = [
      { amount: this.licensedAmount(sub), description: "Plan", price: this.planPriceOf(sub.items.data) },
      ...this.meteredLines(sub, start, this.now() + 1),
    ];
    const draft = this.newInvoice(sub, "upcoming", lines, { start: end, end: nextEnd });
    this.invoices.delete(draft.id);
    return { ...clone(draft), id: null, status: "draft", period_start: start, period_end: end };
  }

  // ─── The clock ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Moves time forward and runs what Stripe would have run meanwhile: first payments not made
   * within 23 hours expire, pending updates expire, trials end, periods renew (or the subscription
   * ends at a scheduled cancellation), renewal invoices are finalized an hour after the period
   * closed (with the metered usage of the closed period) and charged. Returns the events sent.
   */
  advance(seconds: number): FakeEvent[] {
    const start = this.events.length;
    const target = this.now() + seconds;
    for (;;) {
      const next = this.nextDue(target);
      if (next === null) break;
      if (next.at > this.now()) this.offset += next.at - this.now();
      next.run();
    }
    if (target > this.now()) this.offset += target - this.now();
    return this.events.slice(start);
  }

  private nextDue(limit: number): { at: number; run: () => void } | null {
    const due: { at: number; run: () => void }[] = [];
    for (const sub of this.subscriptions.values()) {
      if (sub.status === "incomplete")
        due.push({ at: sub.created + FIRST_PAYMENT_WINDOW, run: () => this.expireIncomplete(sub) });
      const pending = sub.pending_update as { expires_at: number } | null;
      if (pending) due.push({ at: pending.expires_at, run: () => this.expirePending(sub) });
      if (["active", "trialing", "past_due"].includes(sub.status)) {
        const { end } = this.period(sub);
        if (sub.cancel_at !== null && sub.cancel_at <= end)
          due.push({ at: sub.cancel_at, run: () => this.cancelNow(sub) });
        else due.push({ at: end, run: () => this.renew(sub) });
      }
    }
    for (const inv of this.invoices.values())
      if (inv.status === "draft" && typeof inv.finalize_at === "number")
        due.push({ at: inv.finalize_at, run: () => this.finalizeRenewal(inv) });
    const first = due.filter((d) => d.at <= limit).sort((a, b) => a.at - b.at)[0];
    return first ?? null;
  }

  private expireIncomplete(sub: FakeSubscription) {
    const before = clone(sub);
    sub.status = "incomplete_expired";
    sub.ended_at = this.now();
    const inv = sub.latest_invoice ? this.invoices.get(sub.latest_invoice) : undefined;
    if (inv && inv.status === "open") inv.status = "void";
    this.emit("customer.subscription.updated", sub, this.previous(before, sub));
  }

  private expirePending(sub: FakeSubscription) {
    const inv = this.invoices.get(this.pendingInvoice.get(sub.id) ?? "");
    this.pendingInvoice.delete(sub.id);
    if (inv && inv.status === "open") {
      inv.status = "void";
      (inv.status_transitions as Json).voided_at = this.now();
    }
    sub.pending_update = null;
    this.emit("customer.subscription.pending_update_expired", sub);
  }

  /**
   * A period closes. A trial that ends without a way to pay pauses when the subscription says so
   * (trial_settings.end_behavior.missing_payment_method = pause); otherwise the next period starts
   * and its invoice — the plan in advance, the closed period's metered usage in arrears — is a draft
   * for an hour, then finalized and charged.
   */
  private renew(sub: FakeSubscription) {
    const before = clone(sub);
    const { start, end } = this.period(sub);
    const trialEnding = sub.status === "trialing";
    const missingPayment = !this.cards.has(sub.customer);
    const behavior = ((sub.trial_settings as Json).end_behavior as Json).missing_payment_method;
    if (trialEnding && missingPayment && behavior === "pause") {
      sub.status = "paused";
      this.emit("customer.subscription.updated", sub, this.previous(before, sub));
      this.emit("customer.subscription.paused", sub);
      return;
    }
    const interval = this.licensedItem(sub)?.price.recurring.interval ?? "month";
    const nextEnd = this.periodEnd(end, interval);
    for (const i of sub.items.data) {
      i.current_period_start = end;
      i.current_period_end = nextEnd;
    }
    if (trialEnding) sub.status = "active";
    const invoice = this.newInvoice(
      sub,
      trialEnding ? "subscription_create" : "subscription_cycle",
      [this.licensedLine(sub, this.licensedAmount(sub))],
      { start, end },
    );
    invoice.finalize_at = this.now() + INVOICE_GRACE;
    invoice.usage_period = { start, end };
    sub.latest_invoice = invoice.id;
    this.emit("invoice.created", invoice);
    this.emit("customer.subscription.updated", sub, this.previous(before, sub));
  }

  private finalizeRenewal(invoice: FakeInvoice) {
    delete invoice.finalize_at;
    const subId = ((invoice.parent as Json).subscription_details as Json).subscription as string;
    const sub = this.sub(subId);
    const usage = invoice.usage_period as { start: number; end: number };
    const metered = this.meteredLines(sub, usage.start, usage.end).filter((l) => l.quantity > 0);
    const lines = invoice.lines.data;
    for (const l of metered)
      lines.push({
        id: `il_${rand()}`,
        object: "line_item",
        amount: l.amount,
        currency: "usd",
        description: l.description,
        quantity: l.quantity,
        period: usage,
        pricing: { type: "price_details", price_details: { price: l.price, product: `prod_${l.price}` } },
      });
    invoice.amount_due = lines.reduce((s, l) => s + Number(l.amount), 0);
    invoice.amount_remaining = invoice.amount_due;
    const outcome = this.charge(sub.customer, invoice);
    this.invoiceEvents(invoice);
    if (outcome !== "ok" && sub.status === "active") {
      const before = clone(sub);
      sub.status = "past_due";
      this.emit("customer.subscription.updated", sub, this.previous(before, sub));
    }
  }
}
