import { idOf, readSubscription, Stripe } from "@nchat/billing";
import { type Database, type PublicTx, withPlatformAdmin } from "@nchat/db";
import { stripeWebhooks, type Tenant, tenants } from "@nchat/db/public";
import { eq, sql } from "drizzle-orm";
import { SYSTEM } from "../audit/actor";
import { AppError } from "../errors";
import type { BillingConfig } from "./config";
import {
  type AuditEntry,
  type BillingChange,
  type BillingValues,
  billingMeta,
  freeChange,
  lockTenantBilling,
  notifyChanged,
  subscriptionChange,
  type TenantChanged,
  type WriteResult,
  writeBilling,
} from "./ledger";
import type { WebhookOutcome, WebhookResult } from "./types";

/** What Stripe billing works with (the service and its webhook processor). */
export type StripeBillingDeps = {
  db: Database;
  stripe: Stripe;
  config: BillingConfig;
  onTenantChanged?: TenantChanged;
  now?: () => Date;
  log?: (msg: string, err?: unknown) => void;
};

/**
 * Event types that change a tenant; any other event is acknowledged and stored as "ignored". The
 * webhook endpoint must be subscribed to these (docs/billing.md lists them with the API version).
 */
export const HANDLED_EVENTS = new Set([
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "checkout.session.async_payment_failed",
  "customer.deleted",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.paused",
  "customer.subscription.resumed",
  "customer.subscription.pending_update_applied",
  "customer.subscription.pending_update_expired",
  "customer.subscription.trial_will_end",
  "invoice.paid",
  "invoice.payment_failed",
  "invoice.payment_action_required",
]);

/** The note stored with an event rendered at another API version than the SDK's (it is still processed: the subscription is re-fetched at the SDK's version). */
export const versionNote = (event: { api_version?: string | null }) =>
  event.api_version && event.api_version !== Stripe.API_VERSION
    ? `rendered at API version ${event.api_version}; this build uses ${Stripe.API_VERSION}: set the webhook endpoint's version to match`
    : null;

/** Webhook rows in these states are done: a repeat delivery is acknowledged without effect. */
const DONE = new Set(["processed", "ignored"]);

/**
 * Stripe's webhook events, each applied once, in the same transaction as its `stripe_webhooks`
 * row: the subscription is re-fetched from Stripe (the payload may be stale), so late, repeated
 * and reordered deliveries converge on Stripe's state.
 */
export class StripeWebhookProcessor {
  /** Events received at another API version than the SDK's (a warning for operators). */
  versionMismatches = 0;

  constructor(private readonly deps: StripeBillingDeps) {}

  /**
   * Processes a stored event again from its payload (an operator's "Retry" after fixing the cause):
   * the subscription is re-fetched from Stripe, so the retry applies today's state. Only events that
   * failed can be retried.
   */
  async retry(eventId: string): Promise<WebhookResult> {
    const [row] = await withPlatformAdmin(this.deps.db, (tx) =>
      tx.select().from(stripeWebhooks).where(eq(stripeWebhooks.id, eventId)),
    );
    if (!row) throw new AppError("NOT_FOUND", "No such Stripe event.");
    if (row.status !== "failed")
      throw new AppError("CONFLICT", `This event was ${row.status}; only failed events can be retried.`);
    return this.process(row.payload as Stripe.Event);
  }

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  private get stripe() {
    return this.deps.stripe;
  }

  /**
   * Applies one (signature-verified) event exactly once:
   * - the event row in `stripe_webhooks` is written in the SAME transaction as the effect, under
   *   the tenant's billing lock, so concurrent duplicates take turns and all but one find it done;
   * - the subscription is re-fetched from Stripe, so out-of-order and stale events converge;
   * - on failure the transaction rolls back and the event is recorded as "failed" (with the
   *   error) in a separate transaction, then the error propagates: Stripe's retry is processed.
   */
  async process(event: Stripe.Event): Promise<WebhookResult> {
    const base = { eventId: event.id, type: event.type };
    if (await this.done(event.id)) return { ...base, outcome: "duplicate", tenantId: null };
    const object = event.data.object as unknown as { id?: string; customer?: string | { id: string } | null };
    const customerId = event.type === "customer.deleted" ? (object.id ?? null) : idOf(object.customer);
    const version = versionNote(event);
    if (version) {
      this.deps.log?.(`billing: Stripe event ${event.id} (${event.type}) ${version}`);
      this.versionMismatches++;
    }
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
          ? version
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
      case "checkout.session.async_payment_succeeded":
      case "checkout.session.async_payment_failed":
        subscriptionId = idOf(event.data.object.subscription);
        break;
      case "customer.subscription.created":
      case "customer.subscription.updated":
      case "customer.subscription.deleted":
      case "customer.subscription.paused":
      case "customer.subscription.resumed":
      case "customer.subscription.pending_update_applied":
      case "customer.subscription.pending_update_expired":
        subscriptionId = event.data.object.id;
        break;
      case "customer.deleted": {
        // The customer is gone (deleted in the Dashboard): its subscriptions ended with it. Forget
        // it, so the next checkout creates a new one, with a new idempotency key.
        if (tenant.stripeCustomerId !== event.data.object.id) return null;
        const change = tenant.stripeSubscriptionId
          ? freeChange(tenant, this.now())
          : { values: {}, meta: billingMeta(tenant) };
        change.values.stripeCustomerId = null;
        change.meta = { ...change.meta, customerAttempt: (billingMeta(tenant).customerAttempt ?? 0) + 1 };
        return writeBilling(tx, tenant, change, SYSTEM, {
          context: { stripeEvent: event.id, stripeEventType: event.type },
          extra: [
            {
              action: "billing.customer_deleted",
              resourceType: "stripe_customer",
              resourceId: event.data.object.id,
              after: {},
            },
          ],
          now: this.now(),
        });
      }
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
      case "invoice.payment_failed":
      case "invoice.payment_action_required": {
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
          action: paid
            ? "billing.payment_succeeded"
            : event.type === "invoice.payment_action_required"
              ? "billing.payment_action_required"
              : "billing.payment_failed",
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

  private async after(result: WriteResult) {
    if (result.routingChanged) await notifyChanged(this.deps.db, this.deps.onTenantChanged, result.tenant);
  }
}
