import {
  type BillingInterval,
  idOf,
  isDowngrade,
  PLANS,
  type PlanId,
  readSubscription,
  type Stripe,
} from "@nchat/billing";
import { type Database, type PublicTx, withPlatformAdmin } from "@nchat/db";
import { stripeWebhooks, type Tenant, tenants } from "@nchat/db/public";
import { eq, sql } from "drizzle-orm";
import { type Actor, audit, SYSTEM } from "../audit/actor";
import { AppError } from "../errors";
import type { BillingConfig } from "./config";
import {
  type AuditEntry,
  assertFitsPlan,
  type BillingChange,
  type BillingValues,
  billingMeta,
  lockedTenant,
  lockTenantBilling,
  notifyChanged,
  subscriptionChange,
  type TenantChanged,
  type WriteResult,
  writeBilling,
} from "./ledger";
import type {
  BillingProvider,
  BillingTenantRef,
  CheckoutRequest,
  CheckoutResult,
  PortalResult,
  SelfServePlan,
  SubscriptionResult,
  WebhookOutcome,
  WebhookResult,
} from "./types";

export type StripeBillingDeps = {
  db: Database;
  stripe: Stripe;
  config: BillingConfig;
  onTenantChanged?: TenantChanged;
  now?: () => Date;
  log?: (msg: string, err?: unknown) => void;
};

/** Event types that change a tenant; any other event is acknowledged and stored as "ignored". */
export const HANDLED_EVENTS = new Set([
  "checkout.session.completed",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.trial_will_end",
  "invoice.paid",
  "invoice.payment_failed",
]);

/** Webhook rows in these states are done: a repeat delivery is acknowledged without effect. */
const DONE = new Set(["processed", "ignored"]);

/** The idempotency key of a tenant's customer creation: a retry returns the same customer. */
export const customerIdempotencyKey = (tenantId: string) => `nchat-customer-${tenantId}`;

const noSubscription = () =>
  new AppError("CONFLICT", "This workspace has no subscription to change yet; start one through checkout.", {
    checkout: true,
  });

/**
 * Billing through Stripe. Owner actions call Stripe and apply the subscription Stripe answers with;
 * webhooks re-fetch the subscription from Stripe and apply that, so late, repeated and reordered
 * deliveries converge on Stripe's state. All changes to a tenant run under its billing lock.
 */
export class StripeBillingService implements BillingProvider {
  readonly mode = "stripe" as const;

  constructor(private readonly deps: StripeBillingDeps) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  private get stripe() {
    return this.deps.stripe;
  }

  /** The Stripe price of a self-serve paid plan, or a clear refusal. */
  private price(plan: PlanId, interval: BillingInterval): string {
    if (plan === "free" || !PLANS[plan].selfServe)
      throw new AppError("VALIDATION_FAILED", `The ${PLANS[plan].name} plan cannot be bought here.`);
    const id = this.deps.config.prices.priceFor(plan, interval);
    if (!id)
      throw new AppError(
        "VALIDATION_FAILED",
        `The ${PLANS[plan].name} plan (billed ${interval}ly) cannot be bought yet: its Stripe price is not configured.`,
      );
    return id;
  }

  private async after(result: WriteResult) {
    if (result.routingChanged) await notifyChanged(this.deps.db, this.deps.onTenantChanged, result.tenant);
  }

  // ─── Customer ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Created on first use and saved in the same transaction, under the tenant's billing lock. The
   * idempotency key is derived from the tenant id: if saving fails after Stripe created the
   * customer, the next attempt gets the SAME customer back from Stripe instead of a second one.
   */
  async createCustomer(tenant: BillingTenantRef, actor: Actor): Promise<string> {
    return withPlatformAdmin(this.deps.db, async (tx) => {
      const t = await lockedTenant(tx, tenant.id);
      if (t.stripeCustomerId) return t.stripeCustomerId;
      const customer = await this.stripe.customers.create(
        { email: t.ownerEmail, name: t.name, metadata: { tenant_id: t.id, tenant_slug: t.slug } },
        { idempotencyKey: customerIdempotencyKey(t.id) },
      );
      await tx
        .update(tenants)
        .set({ stripeCustomerId: customer.id, updatedAt: this.now() })
        .where(eq(tenants.id, t.id));
      await audit(tx, t.id, actor, {
        action: "billing.customer_create",
        resourceType: "stripe_customer",
        resourceId: customer.id,
      });
      return customer.id;
    });
  }

  // ─── Subscriptions ─────────────────────────────────────────────────────────────────────────────

  /** A trial for the first subscription only; a running sign-up trial carries over to its end. */
  private trial(t: Tenant): { trial_period_days?: number; trial_end?: number } {
    const now = this.now();
    if (t.status === "trial" && t.trialEndsAt && t.trialEndsAt.getTime() > now.getTime() + 48 * 3_600_000)
      return { trial_end: Math.floor(t.trialEndsAt.getTime() / 1000) };
    if (this.deps.config.trialDays > 0 && !billingMeta(t).trialUsed && t.status !== "trial")
      return { trial_period_days: this.deps.config.trialDays };
    return {};
  }

  /** A subscription without checkout (the customer already has a way to pay, or pays by invoice). */
  async createSubscription(
    tenant: BillingTenantRef,
    plan: SelfServePlan,
    interval: BillingInterval,
    actor: Actor,
  ): Promise<SubscriptionResult> {
    const price = this.price(plan, interval);
    const customer = await this.createCustomer(tenant, actor);
    const result = await withPlatformAdmin(this.deps.db, async (tx) => {
      const t = await lockedTenant(tx, tenant.id);
      if (t.stripeSubscriptionId) {
        const existing = readSubscription(
          await this.stripe.subscriptions.retrieve(t.stripeSubscriptionId),
          this.deps.config.prices,
        );
        if (!existing.ended)
          throw new AppError(
            "CONFLICT",
            "This workspace already has a subscription; change its plan instead.",
          );
      }
      if (isDowngrade(t.billingPlan, plan)) await assertFitsPlan(tx, t, plan);
      const sub = await this.stripe.subscriptions.create({
        customer,
        items: [{ price }],
        metadata: { tenant_id: t.id },
        payment_behavior: "default_incomplete",
        ...this.trial(t),
      });
      return this.apply(tx, t, sub, actor, { via: "create_subscription" });
    });
    await this.after(result);
    return { mode: this.mode, tenant: result.tenant };
  }

  /**
   * Upgrade, downgrade or interval change of the existing subscription. Upgrades are invoiced at
   * once with proration (`always_invoice`); downgrades credit the unused time on the next invoice
   * (`create_prorations`) and are refused while the workspace is above the target plan's limits.
   * Free means cancelling at the period end.
   */
  async updateSubscription(
    tenant: BillingTenantRef,
    plan: SelfServePlan,
    interval: BillingInterval,
    actor: Actor,
  ): Promise<SubscriptionResult> {
    const result = await withPlatformAdmin(this.deps.db, async (tx) => {
      const t = await lockedTenant(tx, tenant.id);
      if (plan === "free") {
        await assertFitsPlan(tx, t, "free");
        return this.cancelLocked(tx, t, false, actor);
      }
      return this.changeLocked(tx, t, plan, interval, actor);
    });
    await this.after(result);
    return { mode: this.mode, tenant: result.tenant };
  }

  private async changeLocked(
    tx: PublicTx,
    t: Tenant,
    plan: SelfServePlan,
    interval: BillingInterval,
    actor: Actor,
  ): Promise<WriteResult> {
    const price = this.price(plan, interval);
    if (!t.stripeSubscriptionId) throw noSubscription();
    const sub = await this.stripe.subscriptions.retrieve(t.stripeSubscriptionId);
    const state = readSubscription(sub, this.deps.config.prices);
    const item = sub.items.data[0];
    if (state.ended || !item) throw noSubscription();
    if (state.plan === plan && state.interval === interval && !state.cancelAtPeriodEnd)
      throw new AppError(
        "CONFLICT",
        `This workspace is already on ${PLANS[plan].name}, billed ${interval}ly.`,
      );
    const from = state.plan ?? t.billingPlan;
    if (isDowngrade(from, plan)) await assertFitsPlan(tx, t, plan);
    const upgrade = PLANS[plan].rank > PLANS[from].rank || (plan === from && interval === "year");
    const updated = await this.stripe.subscriptions.update(sub.id, {
      items: [{ id: item.id, price }],
      proration_behavior: upgrade ? "always_invoice" : "create_prorations",
      metadata: { tenant_id: t.id },
      ...(sub.cancel_at_period_end ? { cancel_at_period_end: false } : {}),
    });
    return this.apply(tx, t, updated, actor, { via: "plan_change" });
  }

  /** Immediately (back to Free now) or at the period end (the plan runs until then). */
  async cancelSubscription(
    tenant: BillingTenantRef,
    immediately: boolean,
    actor: Actor,
  ): Promise<SubscriptionResult> {
    const result = await withPlatformAdmin(this.deps.db, async (tx) =>
      this.cancelLocked(tx, await lockedTenant(tx, tenant.id), immediately, actor),
    );
    await this.after(result);
    return { mode: this.mode, tenant: result.tenant };
  }

  private async cancelLocked(tx: PublicTx, t: Tenant, immediately: boolean, actor: Actor) {
    if (!t.stripeSubscriptionId)
      throw new AppError("CONFLICT", "This workspace has no subscription to cancel.");
    const id = t.stripeSubscriptionId;
    const updated = immediately
      ? await this.stripe.subscriptions.cancel(id)
      : await this.stripe.subscriptions.update(id, { cancel_at_period_end: true });
    return this.apply(tx, t, updated, actor, { via: "cancel" }, [
      { action: "billing.cancel", resourceType: "subscription", resourceId: id, after: { immediately } },
    ]);
  }

  async resumeSubscription(tenant: BillingTenantRef, actor: Actor): Promise<SubscriptionResult> {
    const result = await withPlatformAdmin(this.deps.db, async (tx) => {
      const t = await lockedTenant(tx, tenant.id);
      if (!t.stripeSubscriptionId)
        throw new AppError("CONFLICT", "This workspace has no subscription to resume.");
      const sub = await this.stripe.subscriptions.retrieve(t.stripeSubscriptionId);
      if (readSubscription(sub, this.deps.config.prices).ended)
        throw new AppError("CONFLICT", "The subscription has ended; start a new one through checkout.", {
          checkout: true,
        });
      const updated = await this.stripe.subscriptions.update(sub.id, { cancel_at_period_end: false });
      return this.apply(tx, t, updated, actor, { via: "resume" }, [
        { action: "billing.resume", resourceType: "subscription", resourceId: sub.id, after: {} },
      ]);
    });
    await this.after(result);
    return { mode: this.mode, tenant: result.tenant };
  }

  /** Applies a subscription as Stripe returned it (inside the caller's locked transaction). */
  private apply(
    tx: PublicTx,
    t: Tenant,
    sub: Stripe.Subscription,
    actor: Actor,
    context: Record<string, unknown>,
    extra: AuditEntry[] = [],
  ): Promise<WriteResult> {
    const change = subscriptionChange(
      t,
      readSubscription(sub, this.deps.config.prices),
      this.deps.config,
      this.now(),
    ) ?? {
      values: {},
      meta: billingMeta(t),
    };
    return writeBilling(tx, t, change, actor, { context, extra, now: this.now() });
  }

  // ─── Checkout and portal ───────────────────────────────────────────────────────────────────────

  /**
   * A Stripe Checkout session for a paid plan (with the first subscription's trial). A workspace
   * that already has a live subscription is changed in place instead (a second subscription would
   * bill twice), and its url is the billing page.
   */
  async createCheckoutSession(
    tenant: BillingTenantRef,
    request: CheckoutRequest,
    actor: Actor,
  ): Promise<CheckoutResult> {
    const price = this.price(request.plan, request.interval);
    const customer = await this.createCustomer(tenant, actor);
    type Outcome = { write: WriteResult } | { session: Stripe.Checkout.Session };
    const outcome = await withPlatformAdmin(this.deps.db, async (tx): Promise<Outcome> => {
      const t = await lockedTenant(tx, tenant.id);
      if (t.stripeSubscriptionId) {
        const live = !readSubscription(
          await this.stripe.subscriptions.retrieve(t.stripeSubscriptionId),
          this.deps.config.prices,
        ).ended;
        if (live) {
          return { write: await this.changeLocked(tx, t, request.plan, request.interval, actor) };
        }
      }
      if (isDowngrade(t.billingPlan, request.plan)) await assertFitsPlan(tx, t, request.plan);
      const session = await this.stripe.checkout.sessions.create({
        mode: "subscription",
        customer,
        client_reference_id: t.id,
        line_items: [{ price, quantity: 1 }],
        subscription_data: { metadata: { tenant_id: t.id }, ...this.trial(t) },
        metadata: { tenant_id: t.id, plan: request.plan, interval: request.interval },
        success_url: request.successUrl,
        cancel_url: request.cancelUrl,
      });
      await audit(tx, t.id, actor, {
        action: "billing.checkout_start",
        resourceType: "checkout_session",
        resourceId: session.id,
        after: { plan: request.plan, interval: request.interval },
      });
      return { session };
    });
    if ("write" in outcome) {
      await this.after(outcome.write);
      return { mode: this.mode, url: "/billing?upgraded=1" };
    }
    if (!outcome.session.url) throw new Error(`checkout session ${outcome.session.id} has no url`);
    return { mode: this.mode, url: outcome.session.url, sessionId: outcome.session.id };
  }

  /** Stripe's customer portal (payment methods, invoices, cancellation). */
  async createPortalSession(
    tenant: BillingTenantRef,
    returnUrl: string,
    actor: Actor,
  ): Promise<PortalResult> {
    const customer = await this.createCustomer(tenant, actor);
    const session = await this.stripe.billingPortal.sessions.create({ customer, return_url: returnUrl });
    return { mode: this.mode, url: session.url };
  }

  // ─── Webhooks ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Applies one (signature-verified) event exactly once:
   * - the event row in `stripe_webhooks` is written in the SAME transaction as the effect, under
   *   the tenant's billing lock, so concurrent duplicates take turns and all but one find it done;
   * - the subscription is re-fetched from Stripe, so out-of-order and stale events converge;
   * - on failure the transaction rolls back and the event is recorded as "failed" (with the
   *   error) in a separate transaction, then the error propagates: Stripe's retry is processed.
   */
  async processWebhookEvent(event: Stripe.Event): Promise<WebhookResult> {
    const base = { eventId: event.id, type: event.type };
    if (await this.done(event.id)) return { ...base, outcome: "duplicate", tenantId: null };
    const object = event.data.object as unknown as { customer?: string | { id: string } | null };
    const customerId = idOf(object.customer);
    const tenantId = customerId ? await this.tenantByCustomer(customerId) : null;
    let result: { outcome: WebhookOutcome; write?: WriteResult };
    try {
      result = await withPlatformAdmin(this.deps.db, async (tx) => {
        if (tenantId) await lockTenantBilling(tx, tenantId);
        else
          await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`nchat:stripe-event:${event.id}`}))`);
        const [row] = await tx
          .select({ status: stripeWebhooks.status })
          .from(stripeWebhooks)
          .where(eq(stripeWebhooks.id, event.id));
        if (row && DONE.has(row.status)) return { outcome: "duplicate" as const };
        const write =
          tenantId && HANDLED_EVENTS.has(event.type) ? await this.applyEvent(tx, tenantId, event) : null;
        const outcome: WebhookOutcome = write ? "processed" : "ignored";
        const note = write
          ? null
          : tenantId
            ? `not handled: ${event.type}`
            : `no workspace for customer ${customerId ?? "(none)"}`;
        const now = this.now();
        await tx
          .insert(stripeWebhooks)
          .values({
            id: event.id,
            type: event.type,
            tenantId,
            status: outcome,
            attempts: 1,
            error: note,
            payload: event,
            processedAt: now,
          })
          .onConflictDoUpdate({
            target: stripeWebhooks.id,
            set: {
              status: outcome,
              tenantId,
              attempts: sql`${stripeWebhooks.attempts} + 1`,
              error: note,
              processedAt: now,
            },
          });
        return { outcome, write: write ?? undefined };
      });
    } catch (err) {
      await this.recordFailure(event, tenantId, err).catch((e) =>
        this.deps.log?.("billing: recording a failed webhook failed", e),
      );
      throw err;
    }
    if (result.write) await this.after(result.write);
    return { ...base, outcome: result.outcome, tenantId };
  }

  private async done(eventId: string): Promise<boolean> {
    const [row] = await withPlatformAdmin(this.deps.db, (tx) =>
      tx.select({ status: stripeWebhooks.status }).from(stripeWebhooks).where(eq(stripeWebhooks.id, eventId)),
    );
    return !!row && DONE.has(row.status);
  }

  private async tenantByCustomer(customerId: string): Promise<string | null> {
    const [row] = await withPlatformAdmin(this.deps.db, (tx) =>
      tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.stripeCustomerId, customerId)),
    );
    return row?.id ?? null;
  }

  /** In its own transaction (the event's own one rolled back); never overwrites a finished event. */
  private async recordFailure(event: Stripe.Event, tenantId: string | null, err: unknown) {
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
    await withPlatformAdmin(this.deps.db, (tx) =>
      tx
        .insert(stripeWebhooks)
        .values({
          id: event.id,
          type: event.type,
          tenantId,
          status: "failed",
          attempts: 1,
          error: message,
          payload: event,
        })
        .onConflictDoUpdate({
          target: stripeWebhooks.id,
          set: { status: "failed", error: message, attempts: sql`${stripeWebhooks.attempts} + 1` },
          setWhere: sql`${stripeWebhooks.status} not in ('processed', 'ignored')`,
        }),
    );
  }

  private async applyEvent(tx: PublicTx, tenantId: string, event: Stripe.Event): Promise<WriteResult | null> {
    const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, tenantId));
    if (!tenant) return null;
    const extra: AuditEntry[] = [];
    let subscriptionId: string | null = null;
    let payment: BillingValues | undefined;
    switch (event.type) {
      case "checkout.session.completed": {
        const session = event.data.object;
        if (session.mode !== "subscription") return null;
        subscriptionId = idOf(session.subscription);
        extra.push({
          action: "billing.checkout_completed",
          resourceType: "checkout_session",
          resourceId: session.id,
          after: { subscription: subscriptionId },
        });
        break;
      }
      case "customer.subscription.created":
      case "customer.subscription.updated":
      case "customer.subscription.deleted":
        subscriptionId = event.data.object.id;
        break;
      case "customer.subscription.trial_will_end": {
        const sub = event.data.object;
        subscriptionId = sub.id;
        extra.push({
          action: "billing.trial_will_end",
          resourceType: "subscription",
          resourceId: sub.id,
          after: {
            trialEndsAt: sub.trial_end ? new Date(sub.trial_end * 1000).toISOString() : null,
            notify: tenant.ownerEmail,
          },
        });
        break;
      }
      case "invoice.paid":
      case "invoice.payment_failed": {
        const invoice = event.data.object;
        const paid = event.type === "invoice.paid";
        subscriptionId = idOf(invoice.parent?.subscription_details?.subscription);
        const at = new Date(((paid ? invoice.status_transitions?.paid_at : null) ?? event.created) * 1000);
        const amount = paid ? invoice.amount_paid : invoice.amount_due;
        // An older invoice event delivered late does not overwrite a newer payment.
        if (!tenant.lastPaymentDate || tenant.lastPaymentDate.getTime() <= at.getTime())
          payment = {
            lastPaymentDate: at,
            lastPaymentAmount: amount,
            lastPaymentStatus: paid ? "paid" : "failed",
          };
        extra.push({
          action: paid ? "billing.payment_succeeded" : "billing.payment_failed",
          resourceType: "invoice",
          resourceId: invoice.id ?? null,
          after: { amount, currency: invoice.currency, attempt: invoice.attempt_count },
        });
        break;
      }
      default:
        return null;
    }

    let change: BillingChange = { values: {}, meta: billingMeta(tenant) };
    if (subscriptionId) {
      const sub = await this.stripe.subscriptions.retrieve(subscriptionId);
      if (event.type === "checkout.session.completed") await this.endReplacedSubscription(tenant, sub);
      change =
        subscriptionChange(
          tenant,
          readSubscription(sub, this.deps.config.prices),
          this.deps.config,
          this.now(),
        ) ?? change;
    }
    if (payment) Object.assign(change.values, payment);
    return writeBilling(tx, tenant, change, SYSTEM, {
      context: { stripeEvent: event.id, stripeEventType: event.type },
      extra,
      now: this.now(),
    });
  }

  /** A completed checkout while an older subscription is still live: end the old one (no double billing). */
  private async endReplacedSubscription(tenant: Tenant, next: Stripe.Subscription) {
    const old = tenant.stripeSubscriptionId;
    if (!old || old === next.id) return;
    if (readSubscription(next, this.deps.config.prices).ended) return;
    const previous = await this.stripe.subscriptions.retrieve(old);
    if (!readSubscription(previous, this.deps.config.prices).ended)
      await this.stripe.subscriptions.cancel(old);
  }
}
