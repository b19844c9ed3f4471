import type { BillingInterval, PlanId, PriceCatalog } from "./plans";
import type { Stripe } from "./stripe";

/** Stripe subscription statuses after which the subscription gives no service and never resumes. */
const ENDED: ReadonlySet<string> = new Set(["canceled", "incomplete_expired"]);

/** What a Stripe subscription says about a tenant's billing, independent of the tenant's current row. */
export type SubscriptionState = {
  id: string;
  customerId: string;
  status: Stripe.Subscription.Status;
  /** Ended for good (canceled, incomplete_expired): the tenant falls back to Free. */
  ended: boolean;
  priceId: string | null;
  /** From the price (null: a price the catalog does not know). */
  plan: PlanId | null;
  interval: BillingInterval | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  /** Ends at the period end (cancel_at_period_end, or a cancel_at date set through the portal). */
  cancelAtPeriodEnd: boolean;
  trialEnd: Date | null;
  tenantId: string | null;
};

const date = (s: number | null | undefined) => (typeof s === "number" ? new Date(s * 1000) : null);

export const idOf = (v: string | { id: string } | null | undefined): string | null =>
  v == null ? null : typeof v === "string" ? v : v.id;

/** Reads a subscription as returned by `stripe.subscriptions.retrieve` (the first item is the plan). */
export function readSubscription(sub: Stripe.Subscription, prices: PriceCatalog): SubscriptionState {
  const item = sub.items?.data?.[0];
  const priceId = item?.price?.id ?? null;
  const known = priceId ? prices.planFor(priceId) : null;
  const recurring = item?.price?.recurring?.interval;
  return {
    id: sub.id,
    customerId: idOf(sub.customer) ?? "",
    status: sub.status,
    ended: ENDED.has(sub.status),
    priceId,
    plan: known?.plan ?? null,
    interval: known?.interval ?? (recurring === "year" ? "year" : recurring === "month" ? "month" : null),
    currentPeriodStart: date(item?.current_period_start),
    currentPeriodEnd: date(item?.current_period_end),
    cancelAtPeriodEnd: sub.cancel_at_period_end || (sub.cancel_at != null && !ENDED.has(sub.status)),
    trialEnd: date(sub.trial_end),
    tenantId: sub.metadata?.tenant_id ?? null,
  };
}
