import { type BillingInterval, isDowngrade, PLANS, type Stripe } from "@nchat/billing";
import { type Database, withPlatformAdmin } from "@nchat/db";
import type { Tenant } from "@nchat/db/public";
import type { Actor } from "../audit/actor";
import { AppError } from "../errors";
import {
  assertFitsPlan,
  type BillingChange,
  billingMeta,
  freeChange,
  lockedTenant,
  notifyChanged,
  planValues,
  setStatus,
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
  WebhookResult,
} from "./types";

export type OfflineBillingDeps = { db: Database; onTenantChanged?: TenantChanged; now?: () => Date };

/** The end of a billing period that starts at `start`. */
export function periodEnd(start: Date, interval: BillingInterval): Date {
  const d = new Date(start);
  if (interval === "year") d.setUTCFullYear(d.getUTCFullYear() + 1);
  else d.setUTCMonth(d.getUTCMonth() + 1);
  return d;
}

/**
 * Billing without Stripe (no STRIPE_SECRET_KEY: development, self-hosting). Plan changes apply
 * directly — status active, limits and features from the catalog — with the same rules and audit
 * entries as Stripe billing (downgrades refused above the target's limits). Responses say
 * `mode: "offline"` so the UI can label it. A cancellation at the period end is carried out by
 * `pnpm billing:jobs`.
 */
export class OfflineBillingService implements BillingProvider {
  readonly mode = "offline" as const;

  constructor(private readonly deps: OfflineBillingDeps) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /** There is no customer offline: a stable placeholder, nothing is stored. */
  async createCustomer(tenant: BillingTenantRef): Promise<string> {
    return `offline_${tenant.id}`;
  }

  async updateSubscription(
    tenant: BillingTenantRef,
    plan: SelfServePlan,
    interval: BillingInterval,
    actor: Actor,
  ): Promise<SubscriptionResult> {
    if (!PLANS[plan].selfServe)
      throw new AppError("VALIDATION_FAILED", `The ${PLANS[plan].name} plan cannot be bought here.`);
    return this.run(tenant, actor, "plan_change", async (tx, t) => {
      if (
        t.billingPlan === plan &&
        (plan === "free" || t.billingInterval === interval) &&
        !t.cancelAtPeriodEnd
      )
        throw new AppError("CONFLICT", `This workspace is already on ${PLANS[plan].name}.`);
      if (isDowngrade(t.billingPlan, plan)) await assertFitsPlan(tx, t, plan);
      return plan === "free" ? freeChange(t, this.now()) : this.paidChange(t, plan, interval);
    });
  }

  private paidChange(t: Tenant, plan: SelfServePlan, interval: BillingInterval): BillingChange {
    const now = this.now();
    const renew = t.billingPlan !== plan || t.billingInterval !== interval || !t.currentPeriodEnd;
    const change: BillingChange = {
      values: {
        ...planValues(t, plan, interval),
        currentPeriodStart: renew ? now : t.currentPeriodStart,
        currentPeriodEnd: renew ? periodEnd(now, interval) : t.currentPeriodEnd,
        cancelAtPeriodEnd: false,
      },
      meta: { ...billingMeta(t) },
    };
    setStatus(t, "active", now, change);
    return change;
  }

  async cancelSubscription(tenant: BillingTenantRef, immediately: boolean, actor: Actor) {
    return this.run(tenant, actor, "cancel", async (_tx, t) => {
      if (t.billingPlan === "free")
        throw new AppError("CONFLICT", "This workspace has no paid plan to cancel.");
      if (immediately || !t.currentPeriodEnd) return freeChange(t, this.now());
      return { values: { cancelAtPeriodEnd: true }, meta: { ...billingMeta(t) } };
    });
  }

  async resumeSubscription(tenant: BillingTenantRef, actor: Actor) {
    return this.run(tenant, actor, "resume", async (_tx, t) => {
      if (!t.cancelAtPeriodEnd)
        throw new AppError("CONFLICT", "Nothing to resume: no cancellation is scheduled.");
      return { values: { cancelAtPeriodEnd: false }, meta: { ...billingMeta(t) } };
    });
  }

  /** Applies the plan at once and sends the browser back to the billing page. */
  async createCheckoutSession(
    tenant: BillingTenantRef,
    request: CheckoutRequest,
    actor: Actor,
  ): Promise<CheckoutResult> {
    if (request.plan === "free")
      throw new AppError(
        "VALIDATION_FAILED",
        "The Free plan needs no checkout; cancel the paid plan instead.",
      );
    await this.updateSubscription(tenant, request.plan, request.interval, actor);
    return { mode: this.mode, url: "/billing?upgraded=1" };
  }

  async createPortalSession(): Promise<PortalResult> {
    return { mode: this.mode, url: "/billing" };
  }

  async processWebhookEvent(_event: Stripe.Event): Promise<WebhookResult> {
    throw new AppError(
      "CONFLICT",
      "Billing is offline (no STRIPE_SECRET_KEY): Stripe events are not accepted.",
    );
  }

  private async run(
    tenant: BillingTenantRef,
    actor: Actor,
    via: string,
    decide: (tx: Parameters<Parameters<typeof withPlatformAdmin>[1]>[0], t: Tenant) => Promise<BillingChange>,
  ): Promise<SubscriptionResult> {
    const result: WriteResult = await withPlatformAdmin(this.deps.db, async (tx) => {
      const t = await lockedTenant(tx, tenant.id);
      const change = await decide(tx, t);
      return writeBilling(tx, t, change, actor, { context: { via, mode: "offline" }, now: this.now() });
    });
    if (result.routingChanged) await notifyChanged(this.deps.db, this.deps.onTenantChanged, result.tenant);
    return { mode: this.mode, tenant: result.tenant };
  }
}
