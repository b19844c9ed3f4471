import { PLAN_IDS, PLANS, type PlanId } from "@nchat/billing/plans";
import type { PublicTx } from "@nchat/db";
import { tenants, tenantUsage } from "@nchat/db/public";
import { and, asc, count, desc, eq, gte, sql } from "drizzle-orm";
import { usagePeriod } from "../limits/usage";
import { TENANT_STATUSES, type TenantStatus } from "./inputs";

/**
 * The platform overview: its counts (one query each, index-backed or grouped) and the figures the
 * admin console shows from them (tenants and paying tenants per plan and status, MRR from the
 * catalog prices).
 */

export type OverviewCounts = {
  byPlanStatus: { plan: PlanId; status: TenantStatus; interval: "month" | "year"; count: number }[];
  signupsPerWeek: { week: string; count: number }[];
  top: {
    id: string;
    name: string;
    slug: string;
    plan: PlanId;
    status: TenantStatus;
    messages: number;
    activeUsers: number;
    apiCalls: number;
    storageBytes: number;
  }[];
  month: { messages: number; activeUsers: number; apiCalls: number; storageBytes: number; signups: number };
};

/** Counts behind the platform overview (one round trip per figure, all index-backed or grouped). */
export async function overviewQuery(
  tx: PublicTx,
  period = usagePeriod(),
  weeks = 12,
): Promise<OverviewCounts> {
  const monthStart = new Date(`${period}-01T00:00:00.000Z`);
  const [byPlanStatus, signups, top, [month], [monthSignups]] = await Promise.all([
    tx
      .select({
        plan: tenants.billingPlan,
        status: tenants.status,
        interval: tenants.billingInterval,
        count: count(),
      })
      .from(tenants)
      .groupBy(tenants.billingPlan, tenants.status, tenants.billingInterval),
    tx.execute<{ week: string; count: string }>(sql`
      select to_char(w, 'YYYY-MM-DD') as week, count(t.id) as count
      from generate_series(
             date_trunc('week', now() at time zone 'utc') - make_interval(weeks => ${weeks - 1}),
             date_trunc('week', now() at time zone 'utc'),
             interval '1 week') as w
      left join public.tenants t
        on t.created_at >= (w at time zone 'utc') and t.created_at < ((w + interval '1 week') at time zone 'utc')
      group by w order by w`),
    tx
      .select({
        id: tenants.id,
        name: tenants.name,
        slug: tenants.slug,
        plan: tenants.billingPlan,
        status: tenants.status,
        messages: tenantUsage.messagesSent,
        activeUsers: tenantUsage.usersActive,
        apiCalls: tenantUsage.apiCallsTotal,
        storageBytes: tenantUsage.storageBytes,
      })
      .from(tenantUsage)
      .innerJoin(tenants, eq(tenants.id, tenantUsage.tenantId))
      .where(and(eq(tenantUsage.period, period), sql`${tenantUsage.messagesSent} > 0`))
      .orderBy(desc(tenantUsage.messagesSent), asc(tenants.id))
      .limit(10),
    tx
      .select({
        messages: sql<string>`coalesce(sum(${tenantUsage.messagesSent}), 0)`,
        activeUsers: sql<string>`coalesce(sum(${tenantUsage.usersActive}), 0)`,
        apiCalls: sql<string>`coalesce(sum(${tenantUsage.apiCallsTotal}), 0)`,
        storageBytes: sql<string>`coalesce(sum(${tenantUsage.storageBytes}), 0)`,
      })
      .from(tenantUsage)
      .where(eq(tenantUsage.period, period)),
    tx.select({ n: count() }).from(tenants).where(gte(tenants.createdAt, monthStart)),
  ]);
  return {
    byPlanStatus,
    signupsPerWeek: signups.map((r) => ({ week: r.week, count: Number(r.count) })),
    top,
    month: {
      messages: Number(month?.messages ?? 0),
      activeUsers: Number(month?.activeUsers ?? 0),
      apiCalls: Number(month?.apiCalls ?? 0),
      storageBytes: Number(month?.storageBytes ?? 0),
      signups: monthSignups?.n ?? 0,
    },
  };
}

/** Monthly recurring revenue of one tenant in cents (yearly prices / 12); null = price on request. */
export function monthlyRevenue(plan: PlanId, interval: "month" | "year"): number | null {
  const price = PLANS[plan].price;
  if (interval === "year") return price.year === null ? null : price.year / 12;
  return price.month;
}

/** Statuses that pay: trials have not paid yet; suspended, cancelled and deleted tenants do not. */
export const PAYING_STATUSES: readonly TenantStatus[] = ["active", "past_due"];

/** A plan that costs something (Custom: price on request). Free tenants never count as paying. */
export const isPaidPlan = (plan: PlanId) => PLANS[plan].price.month !== 0 || PLANS[plan].price.year !== 0;

/** The overview from its counts: MRR per plan from the catalog prices (yearly / 12). */
export function summarizeOverview(counts: OverviewCounts, period: string) {
  const byPlan = PLAN_IDS.map((plan) => {
    const rows = counts.byPlanStatus.filter((r) => r.plan === plan);
    // Paying: a paid plan in a paying status (a Free tenant is active but pays nothing).
    const paying = isPaidPlan(plan) ? rows.filter((r) => PAYING_STATUSES.includes(r.status)) : [];
    let mrr = 0;
    let onRequest = 0;
    for (const r of paying) {
      const m = monthlyRevenue(plan, r.interval);
      if (m === null) onRequest += r.count;
      else mrr += m * r.count;
    }
    return {
      plan,
      name: PLANS[plan].name,
      tenants: rows.reduce((n, r) => n + r.count, 0),
      paying: paying.reduce((n, r) => n + r.count, 0),
      mrrCents: Math.round(mrr),
      /** Paying tenants of a plan without a catalog price (Custom): not in the MRR. */
      priceOnRequest: onRequest,
    };
  });
  const statuses = new Map<TenantStatus, number>();
  for (const r of counts.byPlanStatus) statuses.set(r.status, (statuses.get(r.status) ?? 0) + r.count);
  return {
    period,
    totals: {
      tenants: byPlan.reduce((n, p) => n + p.tenants, 0),
      paying: byPlan.reduce((n, p) => n + p.paying, 0),
      mrrCents: byPlan.reduce((n, p) => n + p.mrrCents, 0),
      ...counts.month,
    },
    byPlan,
    byStatus: TENANT_STATUSES.map((status) => ({ status, count: statuses.get(status) ?? 0 })),
    /** Tenants per plan and status (billing intervals added up). */
    byPlanStatus: PLAN_IDS.map((plan) => ({
      plan,
      ...Object.fromEntries(
        TENANT_STATUSES.map((status) => [
          status,
          counts.byPlanStatus
            .filter((r) => r.plan === plan && r.status === status)
            .reduce((n, r) => n + r.count, 0),
        ]),
      ),
    })) as ({ plan: PlanId } & Record<TenantStatus, number>)[],
    signupsPerWeek: counts.signupsPerWeek,
    top: counts.top,
  };
}
