import type { BillingInterval, MeterId, PlanId, PriceCatalog } from "./plans";
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
  /** The plan's item (null: none of its prices is a plan price the catalog knows, nor a flat price). */
  planItemId: string | null;
  /** Metered items by meter (prices the catalog knows as metered). */
  meteredItems: Partial<Record<MeterId, { itemId: string; priceId: string }>>;
  /** A change waiting for its invoice to be paid (pending_if_incomplete); the plan is still the old one. */
  pendingUpdate: { expiresAt: Date; priceIds: string[] } | null;
};

const date = (s: number | null | undefined) => (typeof s === "number" ? new Date(s * 1000) : null);

export const idOf = (v: string | { id: string } | null | undefined): string | null =>
  v == null ? null : typeof v === "string" ? v : v.id;

/**
 * Reads a subscription as returned by `stripe.subscriptions.retrieve`. The plan is found by price,
 * not by position: the item whose price the catalog knows as a plan, else the one item that is not
 * metered (a Custom deal's own price).
 */
export function readSubscription(sub: Stripe.Subscription, prices: PriceCatalog): SubscriptionState {
  const items = sub.items?.data ?? [];
  const item =
    items.find((i) => prices.planFor(i.price.id) !== null) ??
    items.find((i) => prices.meterFor(i.price.id) === null && i.price.recurring?.usage_type !== "metered");
  const meteredItems: SubscriptionState["meteredItems"] = {};
  for (const i of items) {
    const meter = prices.meterFor(i.price.id);
    if (meter) meteredItems[meter] = { itemId: i.id, priceId: i.price.id };
  }
  const pending = sub.pending_update;
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
    planItemId: item?.id ?? null,
    meteredItems,
    pendingUpdate: pending
      ? {
          expiresAt: new Date(pending.expires_at * 1000),
          priceIds: (pending.subscription_items ?? []).map((i) => i.price.id),
        }
      : null,
  };
}
