import { METER_IDS, type MeterId, type Stripe } from "@nchat/billing";
import { type Database, withPlatformAdmin } from "@nchat/db";
import { type Tenant, tenantUsage } from "@nchat/db/public";
import { and, eq, sql } from "drizzle-orm";
import type { BillingConfig } from "./config";
import { meteredUsageOf } from "./metered-usage";

/** Metered usage of a tenant's current period and Stripe's estimate of its next invoice (billing pages). */
export type MeteredUsageView = {
  /** False when no meter is configured or the workspace has no subscription: nothing is billed by usage. */
  billed: boolean;
  periodStart: Date | null;
  periodEnd: Date | null;
  meters: {
    meter: MeterId;
    name: string;
    unit: string;
    /** A meter and its metered price are configured for this workspace's interval. */
    configured: boolean;
    /** The plan's allowance (API calls per month; GB); -1 = unlimited. */
    allowance: number;
    /** Used now: API calls this month; GB stored. */
    used: number;
    /** Above the allowance now. */
    overage: number;
    /** Reported to Stripe for this period (API calls: the sum; storage: the last value). */
    reported: number;
    /** Waiting to be sent (the next usage run sends it). */
    pending: number;
    /** Reports Stripe refused or could not confirm, with its message. */
    problems: string[];
  }[];
  /** Stripe's preview of the next invoice (amounts in cents). */
  estimate: {
    amountDue: number;
    currency: string;
    lines: { description: string; amount: number; quantity: number | null }[];
  } | null;
  estimateError: string | null;
};

const METER_LABELS: Record<MeterId, { name: string; unit: string }> = {
  api_calls: { name: "API calls above the monthly allowance", unit: "calls" },
  storage: { name: "Storage above the allowance", unit: "GB" },
};

const GB = 1024 ** 3;

export async function meteredUsageView(
  deps: { db: Database; config: BillingConfig; stripe: Stripe | null },
  t: Tenant,
  now: Date,
): Promise<MeteredUsageView> {
  const { config } = deps;
  const subscribed = deps.stripe !== null && t.stripeSubscriptionId !== null;
  const rows = await meteredUsageOf(deps, t.id, t.currentPeriodStart);
  const [usage] = await withPlatformAdmin(deps.db, (tx) =>
    tx
      .select({ calls: tenantUsage.apiCallsTotal })
      .from(tenantUsage)
      .where(and(eq(tenantUsage.tenantId, t.id), eq(tenantUsage.period, now.toISOString().slice(0, 7)))),
  );
  const [storage] = await withPlatformAdmin(deps.db, (tx) =>
    tx.execute<{ used: string }>(
      sql`select used from public.check_tenant_limits(${t.id}) where resource = 'storage'`,
    ),
  );
  const meters = METER_IDS.map((meter) => {
    const mine = rows.filter((r) => r.meter === meter);
    const sum = (status: string) =>
      mine.filter((r) => r.status === status).reduce((s, r) => s + Number(r.quantity), 0);
    const last = (status: string) => Number(mine.find((r) => r.status === status)?.last ?? 0);
    const allowance = meter === "api_calls" ? t.limits.apiCallsPerMonth : t.limits.storageGb;
    const used = meter === "api_calls" ? Number(usage?.calls ?? 0) : Number(storage?.used ?? 0) / GB;
    return {
      meter,
      ...METER_LABELS[meter],
      configured:
        config.meters[meter] !== null && config.prices.meteredPriceFor(meter, t.billingInterval) !== null,
      allowance,
      used: meter === "storage" ? Math.round(used * 100) / 100 : used,
      overage:
        allowance < 0 ? 0 : Math.max(0, meter === "storage" ? Math.ceil(used - allowance) : used - allowance),
      reported: meter === "api_calls" ? sum("sent") : last("sent"),
      pending: meter === "api_calls" ? sum("pending") : last("pending"),
      problems: mine
        .filter((r) => r.status === "failed" || r.status === "rejected" || r.status === "expired")
        .flatMap((r) => r.errors),
    };
  });
  let estimate: MeteredUsageView["estimate"] = null;
  let estimateError: string | null = null;
  if (subscribed) {
    try {
      const preview = await deps.stripe!.invoices.createPreview({
        customer: t.stripeCustomerId ?? undefined,
        subscription: t.stripeSubscriptionId!,
      });
      estimate = {
        amountDue: preview.amount_due,
        currency: preview.currency,
        lines: preview.lines.data.map((l) => ({
          description: l.description ?? "",
          amount: l.amount,
          quantity: l.quantity ?? null,
        })),
      };
    } catch (err) {
      estimateError = `Stripe could not estimate the next invoice: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return {
    billed: subscribed && meters.some((m) => m.configured),
    periodStart: t.currentPeriodStart,
    periodEnd: t.currentPeriodEnd,
    meters,
    estimate,
    estimateError,
  };
}
