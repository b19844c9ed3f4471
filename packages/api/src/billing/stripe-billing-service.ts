import { createHash } from "node:crypto";
import {
  type BillingInterval,
  isDowngrade,
  METER_IDS,
  PLANS,
  type PlanId,
  readSubscription,
  type Stripe,
  type SubscriptionState,
} from "@nchat/billing";
import { type PublicTx, withPlatformAdmin } from "@nchat/db";
import { type Tenant, tenants } from "@nchat/db/public";
import { eq, sql } from "drizzle-orm";
import { type Actor, audit } from "../audit/actor";
import { AppError } from "../errors";
import {
  type AuditEntry,
  assertFitsPlan,
  billingMeta,
  lockedTenant,
  notifyChanged,
  subscriptionChange,
  type WriteResult,
  writeBilling,
} from "./ledger";
import { type StripeBillingDeps, StripeWebhookProcessor } from "./stripe-webhooks";
import type {
  BillingProvider,
  BillingTenantRef,
  CheckoutRequest,
  CheckoutResult,
  PortalResult,
  SelfServePlan,
  SubscriptionResult,
  WebhookResult,
} from "./types";

export type { StripeBillingDeps } from "./stripe-webhooks";

/**
 * The idempotency key of a tenant's customer creation, derived from what is sent and the tenant's
 * attempt number: a retry of the same request (say, after saving the answer failed) gets the SAME
 * customer back; changed details are a new request (Stripe refuses a key reused with other
 * parameters); after a 5xx, which Stripe also replays for a day, or the customer's deletion, the
 * attempt number moves on so the next request is new.
 */
export function customerIdempotencyKey(tenantId: string, params: unknown, attempt = 0): string {
  const digest = createHash("sha256").update(JSON.stringify(params)).digest("hex").slice(0, 16);
  return `nchat-customer-${tenantId}-${attempt}-${digest}`;
}

/** A Stripe answer after which the same idempotency key would only replay a failure. */
const spentKey = (err: unknown) =>
  err instanceof Error &&
  "type" in err &&
  ((err as { type?: string }).type === "StripeIdempotencyError" ||
    ((err as { statusCode?: number }).statusCode ?? 0) >= 500);

/** A write that may wait for a payment: `paymentUrl` is where the owner pays (Stripe's hosted invoice). */
type ChangeResult = WriteResult & { paymentUrl?: string };

const noSubscription = () =>
  new AppError("CONFLICT", "This workspace has no subscription to change yet; start one through checkout.", {
    checkout: true,
  });

/**
 * Billing through Stripe. Owner actions call Stripe and apply the subscription Stripe answers with;
 * webhooks (stripe-webhooks.ts) re-fetch the subscription from Stripe and apply that, so late,
 * repeated and reordered deliveries converge on Stripe's state. All changes to a tenant run under
 * its billing lock.
 */
export class StripeBillingService implements BillingProvider {
  readonly mode = "stripe" as const;

  private readonly webhooks: StripeWebhookProcessor;

  constructor(private readonly deps: StripeBillingDeps) {
    this.webhooks = new StripeWebhookProcessor(deps);
  }

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
      const params = {
        email: t.ownerEmail,
        name: t.name,
        metadata: { tenant_id: t.id, tenant_slug: t.slug },
      };
      const attempt = billingMeta(t).customerAttempt ?? 0;
      const customer = await this.stripe.customers
        .create(params, { idempotencyKey: customerIdempotencyKey(t.id, params, attempt) })
        .catch(async (err: unknown) => {
          if (spentKey(err)) await this.nextCustomerAttempt(t.id);
          throw err;
        });
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

  /** Moves the tenant's customer attempt on (its own transaction: the caller's rolls back). */
  private async nextCustomerAttempt(tenantId: string) {
    await withPlatformAdmin(this.deps.db, (tx) =>
      tx.execute(sql`update public.tenants set metadata = coalesce(metadata, '{}'::jsonb) || jsonb_build_object('billing',
        coalesce(metadata -> 'billing', '{}'::jsonb) || jsonb_build_object('customerAttempt',
          coalesce((metadata #>> '{billing,customerAttempt}')::int, 0) + 1)) where id = ${tenantId}`),
    );
  }

  /** The metered prices a paid subscription carries for an interval (configured meters only). */
  private meteredPrices(interval: BillingInterval): string[] {
    const c = this.deps.config;
    return METER_IDS.filter((m) => c.meters[m] !== null)
      .map((m) => c.prices.meteredPriceFor(m, interval))
      .filter((p): p is string => p !== null);
  }

  /** Item changes for a plan change: the plan's item gets the new price; metered items follow the interval. */
  private itemsFor(state: SubscriptionState, price: string, interval: BillingInterval) {
    const items: Stripe.SubscriptionUpdateParams.Item[] = [{ id: state.planItemId!, price }];
    const c = this.deps.config;
    for (const meter of METER_IDS) {
      const want = c.meters[meter] ? c.prices.meteredPriceFor(meter, interval) : null;
      const have = state.meteredItems[meter];
      if (want && !have) items.push({ price: want });
      else if (want && have && have.priceId !== want) items.push({ id: have.itemId, price: want });
    }
    return items;
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
    const result = await withPlatformAdmin(this.deps.db, async (tx): Promise<ChangeResult> => {
      const t = await lockedTenant(tx, tenant.id);
      if (plan === "free") {
        await assertFitsPlan(tx, t, "free");
        return this.cancelLocked(tx, t, false, actor);
      }
      return this.changeLocked(tx, t, plan, interval, actor);
    });
    await this.after(result);
    return { mode: this.mode, tenant: result.tenant, paymentUrl: result.paymentUrl };
  }

  private async changeLocked(
    tx: PublicTx,
    t: Tenant,
    plan: SelfServePlan,
    interval: BillingInterval,
    actor: Actor,
  ): Promise<ChangeResult> {
    const price = this.price(plan, interval);
    if (!t.stripeSubscriptionId) throw noSubscription();
    const sub = await this.stripe.subscriptions.retrieve(t.stripeSubscriptionId);
    const state = readSubscription(sub, this.deps.config.prices);
    if (state.ended || !state.planItemId) throw noSubscription();
    if (state.plan === plan && state.interval === interval && !state.cancelAtPeriodEnd)
      throw new AppError(
        "CONFLICT",
        `This workspace is already on ${PLANS[plan].name}, billed ${interval}ly.`,
      );
    const from = state.plan ?? t.billingPlan;
    if (isDowngrade(from, plan)) await assertFitsPlan(tx, t, plan);
    const upgrade = PLANS[plan].rank > PLANS[from].rank || (plan === from && interval === "year");
    const items = this.itemsFor(state, price, interval);
    const samePlan = state.priceId === price;
    let updated = sub;
    if (!samePlan && upgrade) {
      // Invoiced now; the new plan applies only once that invoice is paid. Stripe keeps the change
      // pending otherwise (and drops it after 23 h). A pending update takes only item, proration and
      // trial attributes, so a scheduled cancellation is withdrawn in a second call once it applied.
      updated = await this.stripe.subscriptions.update(sub.id, {
        items,
        proration_behavior: "always_invoice",
        payment_behavior: "pending_if_incomplete",
        expand: ["latest_invoice"],
      });
      if (updated.pending_update) {
        const invoice = updated.latest_invoice;
        const url = invoice && typeof invoice === "object" ? (invoice.hosted_invoice_url ?? null) : null;
        await audit(tx, t.id, actor, {
          action: "billing.plan_change_pending",
          resourceType: "subscription",
          resourceId: sub.id,
          after: {
            to: { plan, interval },
            invoice: invoice && typeof invoice === "object" ? invoice.id : invoice,
          },
        });
        const write = await this.apply(tx, t, updated, actor, { via: "plan_change" }, [], url);
        return { ...write, paymentUrl: url ?? "/billing?payment=required" };
      }
    }
    if (samePlan || !upgrade || state.cancelAtPeriodEnd) {
      updated = await this.stripe.subscriptions.update(sub.id, {
        ...(samePlan || !upgrade ? { items, proration_behavior: "create_prorations" as const } : {}),
        metadata: { tenant_id: t.id },
        ...(state.cancelAtPeriodEnd ? { cancel_at_period_end: false, cancel_at: "" as const } : {}),
      });
    }
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
      // Either way of scheduling the end: the flag, or a date set through the portal.
      const updated = await this.stripe.subscriptions.update(sub.id, {
        cancel_at_period_end: false,
        cancel_at: "",
      });
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
    pendingInvoiceUrl?: string | null,
  ): Promise<WriteResult> {
    const change = subscriptionChange(
      t,
      readSubscription(sub, this.deps.config.prices),
      this.deps.config,
      this.now(),
      { pendingInvoiceUrl },
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
    type Outcome = { write: ChangeResult } | { session: Stripe.Checkout.Session };
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
        line_items: [
          { price, quantity: 1 },
          ...this.meteredPrices(request.interval).map((p) => ({ price: p })),
        ],
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
      return { mode: this.mode, url: outcome.write.paymentUrl ?? "/billing?upgraded=1" };
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

  /** One signature-verified event, applied exactly once (stripe-webhooks.ts). */
  processWebhookEvent(event: Stripe.Event): Promise<WebhookResult> {
    return this.webhooks.process(event);
  }

  /** A failed event processed again from its stored payload. */
  retryWebhookEvent(eventId: string): Promise<WebhookResult> {
    return this.webhooks.retry(eventId);
  }

  /** Events received at another API version than the SDK's. */
  get webhookVersionMismatches(): number {
    return this.webhooks.versionMismatches;
  }
}
