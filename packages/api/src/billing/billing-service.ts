import {
  type BillingInterval,
  createStripeClient,
  PLAN_IDS,
  PLANS,
  type PlanId,
  type Stripe,
  verifyWebhook,
} from "@nchat/billing";
import { type Database, withPlatformAdmin } from "@nchat/db";
import { type Tenant, type TenantLimits, tenants } from "@nchat/db/public";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../audit/actor";
import { AppError } from "../errors";
import type { BillingConfig } from "./config";
import { type JobOptions, type JobsReport, runBillingJobs } from "./jobs";
import { billingMeta, type TenantChanged } from "./ledger";
import { OfflineBillingService } from "./offline-billing-service";
import { type ReconcileReport, reconcileBilling } from "./reconcile";
import { StripeBillingService } from "./stripe-billing-service";
import { processThinEvent } from "./stripe-meter-errors";
import type {
  BillingMode,
  BillingProvider,
  BillingTenantRef,
  CheckoutResult,
  PortalResult,
  WebhookResult,
} from "./types";
import { type MeteredUsageView, meteredUsageView } from "./usage-view";

const interval = z.enum(["month", "year"], { error: "Choose monthly or yearly billing." }).default("month");

/** An owner's plan change: any self-serve plan (Free = cancel the paid plan). */
export const planChangeInput = z.object({
  plan: z.enum(["free", "pro", "enterprise"], { error: "Choose Free, Pro or Enterprise." }),
  interval,
});
/** Checkout: a paid self-serve plan. Unknown keys (a tenant id, a price) are dropped. */
export const checkoutInput = z.object({
  plan: z.enum(["pro", "enterprise"], { error: "Choose Pro or Enterprise." }),
  interval,
});
export const cancelInput = z.object({ immediately: z.boolean().default(false) });

/** What the billing page shows. `mode: "offline"`: changes apply directly, no payment is taken. */
export type BillingStatus = {
  mode: BillingMode;
  plan: PlanId;
  planName: string;
  interval: BillingInterval;
  status: Tenant["status"];
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  trialEndsAt: Date | null;
  hasSubscription: boolean;
  limits: TenantLimits;
  /** For those who manage billing only (null otherwise, or before any payment). */
  lastPayment: { date: Date | null; amount: number | null; status: string | null } | null;
  /** Owners only: an upgrade Stripe holds until its invoice is paid (null: none). */
  pendingChange: {
    plan: PlanId;
    planName: string;
    interval: BillingInterval;
    invoiceUrl: string | null;
    expiresAt: Date;
  } | null;
  /** The plans an owner can move to, and whether each can be bought here now. */
  plans: {
    id: PlanId;
    name: string;
    price: { month: number | null; year: number | null };
    current: boolean;
    available: boolean;
  }[];
};

/** Where Stripe sends the browser back to (absolute URLs on the tenant's host). */
export type ReturnUrls = { successUrl: string; cancelUrl: string };

/** A v2 event destination delivers `{ object: "v2.core.event", … }`; snapshot events are `{ object: "event" }`. */
function isThinEvent(rawBody: string): boolean {
  try {
    return (JSON.parse(rawBody) as { object?: unknown }).object === "v2.core.event";
  } catch {
    return false;
  }
}

export type BillingServiceDeps = {
  db: Database;
  config: BillingConfig;
  /** A ready client (tests); otherwise one is made from `config.stripe`. */
  stripe?: Stripe;
  onTenantChanged?: TenantChanged;
  log?: (msg: string, err?: unknown) => void;
  now?: () => Date;
};

/**
 * The billing facade the routers, REST handlers and jobs use. It picks the provider: Stripe when
 * STRIPE_SECRET_KEY is set, otherwise offline billing (plan changes apply directly, `mode:
 * "offline"`). Inputs are validated here; permissions are the callers' (owner: "billing:manage").
 */
export class BillingService {
  readonly provider: BillingProvider;
  /** The SDK client (null offline). */
  readonly stripe: Stripe | null;
  /** Webhook deliveries by outcome, for metrics (`invalid`: refused signature; `failed`: 500, retried). */
  readonly webhookOutcomes = { processed: 0, duplicate: 0, ignored: 0, failed: 0, invalid: 0 };

  constructor(private readonly deps: BillingServiceDeps) {
    this.stripe = deps.config.stripe ? (deps.stripe ?? createStripeClient(deps.config.stripe)) : null;
    this.provider = this.stripe
      ? new StripeBillingService({
          db: deps.db,
          stripe: this.stripe,
          config: deps.config,
          onTenantChanged: deps.onTenantChanged,
          log: deps.log,
          now: deps.now,
        })
      : new OfflineBillingService({ db: deps.db, onTenantChanged: deps.onTenantChanged, now: deps.now });
  }

  get mode(): BillingMode {
    return this.provider.mode;
  }

  /** Stripe can deliver webhooks: a key and a signing secret are configured. */
  get webhooksEnabled(): boolean {
    return this.stripe !== null && this.deps.config.webhookSecret !== null;
  }

  async status(tenantId: string, opts: { includePayment?: boolean } = {}): Promise<BillingStatus> {
    const t = await this.tenant(tenantId);
    const prices = this.deps.config.prices;
    return {
      mode: this.mode,
      plan: t.billingPlan,
      planName: PLANS[t.billingPlan].name,
      interval: t.billingInterval,
      status: t.status,
      currentPeriodStart: t.currentPeriodStart,
      currentPeriodEnd: t.currentPeriodEnd,
      cancelAtPeriodEnd: t.cancelAtPeriodEnd,
      trialEndsAt: t.trialEndsAt,
      hasSubscription: this.mode === "stripe" ? t.stripeSubscriptionId !== null : t.billingPlan !== "free",
      limits: t.limits,
      lastPayment:
        opts.includePayment && (t.lastPaymentDate || t.lastPaymentStatus)
          ? { date: t.lastPaymentDate, amount: t.lastPaymentAmount, status: t.lastPaymentStatus }
          : null,
      pendingChange: (() => {
        const p = billingMeta(t).pendingChange;
        return opts.includePayment && p && new Date(p.expiresAt) > new Date()
          ? { ...p, planName: PLANS[p.plan].name, expiresAt: new Date(p.expiresAt) }
          : null;
      })(),
      plans: PLAN_IDS.map((id) => ({
        id,
        name: PLANS[id].name,
        price: PLANS[id].price,
        current: id === t.billingPlan,
        available:
          PLANS[id].selfServe &&
          (id === "free" ||
            this.mode === "offline" ||
            prices.priceFor(id, "month") !== null ||
            prices.priceFor(id, "year") !== null),
      })),
    };
  }

  /**
   * Moves to a plan. A paid plan without a live Stripe subscription goes through Checkout: `url`
   * is where to send the browser. Otherwise the change applies (Stripe: the subscription is updated
   * with proration; offline: directly) and `url` is null. Free cancels at the period end.
   */
  /** Metered usage of the current period and Stripe's estimate of the next invoice (owners, and the admin app). */
  async usage(tenantId: string): Promise<MeteredUsageView> {
    const t = await this.tenant(tenantId);
    return meteredUsageView(
      { db: this.deps.db, config: this.deps.config, stripe: this.stripe },
      t,
      this.deps.now?.() ?? new Date(),
    );
  }

  async changePlan(
    tenant: BillingTenantRef,
    { plan, interval }: z.output<typeof planChangeInput>,
    actor: Actor,
    urls: ReturnUrls,
  ): Promise<{ mode: BillingMode; url: string | null; status: BillingStatus }> {
    if (this.mode === "stripe" && plan !== "free") {
      const t = await this.tenant(tenant.id);
      const checkout = () =>
        this.provider.createCheckoutSession(tenant, { plan, interval, ...urls }, actor).then((r) => r.url);
      if (!t.stripeSubscriptionId)
        return { mode: this.mode, url: await checkout(), status: await this.status(t.id) };
      try {
        const changed = await this.provider.updateSubscription(tenant, plan, interval, actor);
        if (changed.paymentUrl)
          return {
            mode: this.mode,
            url: changed.paymentUrl,
            status: await this.status(t.id, { includePayment: true }),
          };
      } catch (err) {
        if (!(err instanceof AppError && err.details?.checkout)) throw err;
        return { mode: this.mode, url: await checkout(), status: await this.status(t.id) };
      }
    } else {
      await this.provider.updateSubscription(tenant, plan, interval, actor);
    }
    return { mode: this.mode, url: null, status: await this.status(tenant.id, { includePayment: true }) };
  }

  /** Stripe Checkout for a paid plan; offline, the plan applies at once. */
  async checkout(
    tenant: BillingTenantRef,
    { plan, interval }: z.output<typeof checkoutInput>,
    actor: Actor,
    urls: ReturnUrls,
  ): Promise<CheckoutResult> {
    return this.provider.createCheckoutSession(tenant, { plan, interval, ...urls }, actor);
  }

  async cancel(
    tenant: BillingTenantRef,
    { immediately = false }: z.input<typeof cancelInput>,
    actor: Actor,
  ): Promise<BillingStatus> {
    await this.provider.cancelSubscription(tenant, immediately, actor);
    return this.status(tenant.id, { includePayment: true });
  }

  async resume(tenant: BillingTenantRef, actor: Actor): Promise<BillingStatus> {
    await this.provider.resumeSubscription(tenant, actor);
    return this.status(tenant.id, { includePayment: true });
  }

  portal(tenant: BillingTenantRef, returnUrl: string, actor: Actor): Promise<PortalResult> {
    return this.provider.createPortalSession(tenant, returnUrl, actor);
  }

  /**
   * A webhook delivery: verifies the signature over the raw body (VALIDATION_FAILED, nothing
   * stored, when it does not match), then processes the event exactly once.
   */
  async handleWebhook(rawBody: string, signature: string | null): Promise<WebhookResult> {
    const secret = this.deps.config.webhookSecret;
    if (!this.stripe || !secret) throw new AppError("CONFLICT", "Stripe webhooks are not configured.");
    if (!signature) throw new AppError("VALIDATION_FAILED", "Missing Stripe-Signature header.");
    if (isThinEvent(rawBody))
      return this.handleThinEvent(rawBody, signature, this.deps.config.eventDestinationSecret ?? secret);
    let event: Stripe.Event;
    try {
      event = verifyWebhook(rawBody, signature, secret);
    } catch {
      this.webhookOutcomes.invalid++;
      throw new AppError("VALIDATION_FAILED", "Invalid Stripe signature.");
    }
    try {
      const result = await this.provider.processWebhookEvent(event);
      this.webhookOutcomes[result.outcome]++;
      return result;
    } catch (err) {
      this.webhookOutcomes.failed++;
      throw err;
    }
  }

  /** A v2 "thin" event (an event destination's delivery): meter errors, see stripe-meter-errors.ts. */
  private async handleThinEvent(rawBody: string, signature: string, secret: string): Promise<WebhookResult> {
    let notification: { id: string; type: string; fetchEvent(): Promise<unknown> };
    try {
      notification = this.stripe!.parseEventNotification(rawBody, signature, secret);
    } catch {
      this.webhookOutcomes.invalid++;
      throw new AppError("VALIDATION_FAILED", "Invalid Stripe signature.");
    }
    try {
      const result = await processThinEvent(this.deps, notification);
      this.webhookOutcomes[result.outcome]++;
      return result;
    } catch (err) {
      this.webhookOutcomes.failed++;
      throw err;
    }
  }

  /** An admin's "Retry" of a failed Stripe event: processed again from its stored payload, with Stripe's current state. */
  async retryEvent(eventId: string): Promise<WebhookResult> {
    if (!(this.provider instanceof StripeBillingService))
      throw new AppError("CONFLICT", "Billing is offline: there are no Stripe events to retry.");
    const result = await this.provider.retryWebhookEvent(eventId);
    this.webhookOutcomes[result.outcome]++;
    return result;
  }

  /** `pnpm billing:jobs`: trial expiry, past-due suspension, offline period ends, metered usage. */
  runJobs(opts: JobOptions = {}): Promise<JobsReport> {
    return runBillingJobs(
      {
        db: this.deps.db,
        config: this.deps.config,
        stripe: this.stripe,
        onTenantChanged: this.deps.onTenantChanged,
        log: this.deps.log,
      },
      { ...opts, now: opts.now ?? this.deps.now?.() ?? new Date() },
    );
  }

  /** `pnpm billing:reconcile`: Stripe's truth applied to every tenant with a Stripe customer. */
  reconcile(opts: { dryRun?: boolean; now?: Date; tenantIds?: string[] } = {}): Promise<ReconcileReport> {
    if (!this.stripe)
      throw new AppError("CONFLICT", "Billing is offline (no STRIPE_SECRET_KEY): nothing to reconcile.");
    return reconcileBilling(
      {
        db: this.deps.db,
        config: this.deps.config,
        stripe: this.stripe,
        onTenantChanged: this.deps.onTenantChanged,
        log: this.deps.log,
      },
      opts,
    );
  }

  private async tenant(id: string): Promise<Tenant> {
    const [t] = await withPlatformAdmin(this.deps.db, (tx) =>
      tx.select().from(tenants).where(eq(tenants.id, id)),
    );
    if (!t || t.status === "deleted") throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
    return t;
  }
}
