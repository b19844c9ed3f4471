import { type MeterId, Stripe } from "@nchat/billing";
import { type Database, withPlatformAdmin } from "@nchat/db";
import { billingMeterEvents, tenants, tenantUsage } from "@nchat/db/public";
import { and, asc, desc, eq, gte, inArray, isNotNull, ne, notInArray, sql } from "drizzle-orm";
import type { BillingConfig } from "./config";
import { lockTenantBilling } from "./ledger";

/**
 * Usage-based billing: what a tenant used above its plan's allowance, reported to Stripe billing
 * meters whose metered prices sit on its subscription (docs/billing.md).
 *
 * - **API calls** above the month's allowance: each run reports the growth of the month's overage
 *   since the last report (meter aggregation "sum"). The allowance is per calendar month; the
 *   overage is billed on the invoice of the subscription period in which it was reported.
 * - **Storage**: whole GB above the allowance, reported when it changes (aggregation "last").
 *
 * Each report is a row of `billing_meter_events` committed BEFORE the Stripe call (an outbox): a
 * failed call or a stop in between leaves it `pending`, and the next run sends the same event with
 * the same identifier, which Stripe drops as a repeat within 24 hours. No idempotency key is sent:
 * Stripe would replay a 5xx for that key for a day.
 *
 * Timestamps: an event lies in the subscription period it is billed in. Usage of a month that
 * ended before the current period began, reported within STRIPE_USAGE_GRACE_MINUTES of the
 * renewal, is stamped into the closed period (its invoice is still a draft); later, or when the
 * first attempt failed past the grace, it is stamped now and lands on the next invoice.
 */

export type MeterReport = {
  slug: string;
  meter: MeterId;
  usagePeriod: string;
  quantity: number;
  identifier: string;
  eventAt: Date;
};
export type UsageReport = { reported: MeterReport[]; skipped: string | null };
type Errors = { slug: string; job: string; error: string }[];
/** What usage reporting works with (a subset of the billing jobs' dependencies). */
export type UsageDeps = {
  db: Database;
  config: BillingConfig;
  stripe: Stripe | null;
  log?: (msg: string, err?: unknown) => void;
};

const GB = 1024 ** 3;
/** Stripe keeps a meter event identifier for 24 hours; an unconfirmed event older than this is not resent. */
const RESEND_WINDOW_MS = 23 * 3_600_000;
/** Stripe refuses meter events older than 35 days. */
const OLDEST_MS = 35 * 86_400_000;

const month = (d: Date) => d.toISOString().slice(0, 7);
const monthStart = (m: string) => new Date(`${m}-01T00:00:00Z`);
const nextMonthStart = (m: string) => {
  const d = monthStart(m);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
};

/** The API-call overage identifier: derived from tenant, month and the month's total overage, so a repeat is the same event. */
export const apiCallsIdentifier = (tenantId: string, usageMonth: string, cumulative: number) =>
  `nchat-api-calls-${tenantId}-${usageMonth}-${cumulative}`;

const INACTIVE = ["failed", "rejected"];

export async function reportMeteredUsage(
  deps: UsageDeps,
  now: Date,
  errors: Errors = [],
  only?: string[],
): Promise<UsageReport> {
  if (!deps.stripe) return { reported: [], skipped: "offline billing" };
  const meters = deps.config.meters;
  if (!meters.api_calls && !meters.storage)
    return {
      reported: [],
      skipped: "no billing meter is configured (STRIPE_METER_API_CALLS, STRIPE_METER_STORAGE)",
    };
  if (only?.length === 0) return { reported: [], skipped: null };
  const candidates = await withPlatformAdmin(deps.db, (tx) =>
    tx
      .select({ id: tenants.id, slug: tenants.slug })
      .from(tenants)
      .where(
        and(
          isNotNull(tenants.stripeCustomerId),
          isNotNull(tenants.stripeSubscriptionId),
          ne(tenants.status, "deleted"),
          only ? inArray(tenants.id, only) : undefined,
        ),
      )
      .orderBy(tenants.createdAt),
  );
  for (const t of candidates) {
    try {
      await recordUsage(deps, t.id, now);
    } catch (err) {
      errors.push({
        slug: t.slug,
        job: "metered_usage",
        error: err instanceof Error ? err.message : String(err),
      });
      deps.log?.(`billing: recording usage of ${t.slug} failed`, err);
    }
  }
  const reported = await sendPending(deps, now, errors, only);
  return { reported, skipped: null };
}

/** Writes the tenant's new meter events (outbox rows), under its billing lock. */
async function recordUsage(deps: UsageDeps, tenantId: string, now: Date): Promise<void> {
  const { meters, usageGraceSeconds } = deps.config;
  await withPlatformAdmin(deps.db, async (tx) => {
    await lockTenantBilling(tx, tenantId);
    const [t] = await tx.select().from(tenants).where(eq(tenants.id, tenantId));
    if (!t?.stripeCustomerId || !t.stripeSubscriptionId || t.status === "deleted") return;
    const customer = t.stripeCustomerId;
    const periodStart = t.currentPeriodStart;

    if (meters.api_calls && t.limits.apiCallsPerMonth >= 0) {
      const allowance = t.limits.apiCallsPerMonth;
      const months = [month(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))), month(now)];
      for (const m of months) {
        const [usage] = await tx
          .select({ used: tenantUsage.apiCallsTotal })
          .from(tenantUsage)
          .where(and(eq(tenantUsage.tenantId, t.id), eq(tenantUsage.period, m)));
        const overage = Math.max(0, Number(usage?.used ?? 0) - allowance);
        const [done] = await tx
          .select({ reported: sql<number>`coalesce(max(${billingMeterEvents.cumulative}), 0)` })
          .from(billingMeterEvents)
          .where(
            and(
              eq(billingMeterEvents.tenantId, t.id),
              eq(billingMeterEvents.meter, "api_calls"),
              eq(billingMeterEvents.usagePeriod, m),
              notInArray(billingMeterEvents.status, INACTIVE),
            ),
          );
        const delta = overage - Number(done?.reported ?? 0);
        if (delta <= 0) continue;
        // Usage of a month that closed before this period began, within the grace after the renewal: into the closed period.
        const intoClosed =
          periodStart !== null &&
          nextMonthStart(m) <= periodStart &&
          now.getTime() - periodStart.getTime() < usageGraceSeconds * 1000;
        await tx
          .insert(billingMeterEvents)
          .values({
            identifier: apiCallsIdentifier(t.id, m, overage),
            tenantId: t.id,
            meter: "api_calls",
            eventName: meters.api_calls,
            usagePeriod: m,
            stripeCustomerId: customer,
            quantity: delta,
            cumulative: overage,
            eventAt: intoClosed ? new Date(periodStart.getTime() - 1000) : now,
            createdAt: now,
          })
          .onConflictDoNothing();
      }
    }

    if (meters.storage && t.limits.storageGb >= 0 && periodStart) {
      const [row] = await tx.execute<{ used: string }>(
        sql`select used from public.check_tenant_limits(${t.id}) where resource = 'storage'`,
      );
      const over = Math.max(0, Math.ceil((Number(row?.used ?? 0) - t.limits.storageGb * GB) / GB));
      const usagePeriod = periodStart.toISOString();
      const previous = await tx
        .select({ cumulative: billingMeterEvents.cumulative })
        .from(billingMeterEvents)
        .where(
          and(
            eq(billingMeterEvents.tenantId, t.id),
            eq(billingMeterEvents.meter, "storage"),
            eq(billingMeterEvents.usagePeriod, usagePeriod),
            notInArray(billingMeterEvents.status, INACTIVE),
          ),
        )
        .orderBy(desc(billingMeterEvents.createdAt));
      const last = previous[0]?.cumulative ?? 0;
      if (over !== last || (previous.length === 0 && over > 0)) {
        await tx.insert(billingMeterEvents).values({
          identifier: `nchat-storage-${t.id}-${Math.floor(periodStart.getTime() / 1000)}-${previous.length + 1}`,
          tenantId: t.id,
          meter: "storage",
          eventName: meters.storage,
          usagePeriod,
          stripeCustomerId: customer,
          quantity: over,
          cumulative: over,
          eventAt: now,
          createdAt: now,
        });
      }
    }
  });
}

/** Sends every pending meter event (oldest first); see the module comment for the rules. */
async function sendPending(
  deps: UsageDeps,
  now: Date,
  errors: Errors,
  only?: string[],
): Promise<MeterReport[]> {
  const stripe = deps.stripe!;
  const rows = await withPlatformAdmin(deps.db, (tx) =>
    tx
      .select({ event: billingMeterEvents, slug: tenants.slug, periodStart: tenants.currentPeriodStart })
      .from(billingMeterEvents)
      .innerJoin(tenants, eq(tenants.id, billingMeterEvents.tenantId))
      .where(and(eq(billingMeterEvents.status, "pending"), only ? inArray(tenants.id, only) : undefined))
      .orderBy(asc(billingMeterEvents.createdAt)),
  );
  const reported: MeterReport[] = [];
  const mark = (identifier: string, values: Partial<typeof billingMeterEvents.$inferInsert>) =>
    withPlatformAdmin(deps.db, (tx) =>
      tx
        .update(billingMeterEvents)
        .set({ ...values, attempts: sql`${billingMeterEvents.attempts} + 1` })
        .where(and(eq(billingMeterEvents.identifier, identifier), eq(billingMeterEvents.status, "pending"))),
    );
  for (const { event: e, slug, periodStart } of rows) {
    if (now.getTime() - e.createdAt.getTime() > RESEND_WINDOW_MS) {
      await mark(e.identifier, {
        status: "expired",
        error:
          "Not confirmed by Stripe within its 24-hour identifier window; not resent, as it could be counted twice.",
      });
      errors.push({ slug, job: "metered_usage", error: `meter event ${e.identifier} expired unconfirmed` });
      continue;
    }
    // Past the grace of the period it was stamped into (or too old for Stripe): it lands on the next invoice.
    const graceOver =
      periodStart !== null &&
      e.eventAt < periodStart &&
      now.getTime() - periodStart.getTime() >= deps.config.usageGraceSeconds * 1000;
    const eventAt = graceOver || now.getTime() - e.eventAt.getTime() > OLDEST_MS ? now : e.eventAt;
    try {
      await stripe.billing.meterEvents.create({
        event_name: e.eventName,
        identifier: e.identifier,
        timestamp: Math.floor(eventAt.getTime() / 1000),
        payload: { stripe_customer_id: e.stripeCustomerId, value: String(e.quantity) },
      });
      await mark(e.identifier, { status: "sent", sentAt: now, eventAt, error: null });
      reported.push({
        slug,
        meter: e.meter as MeterId,
        usagePeriod: e.usagePeriod,
        quantity: e.quantity,
        identifier: e.identifier,
        eventAt,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const refused = err instanceof Stripe.errors.StripeInvalidRequestError;
      await mark(e.identifier, { ...(refused ? { status: "failed" } : {}), error: message.slice(0, 1000) });
      errors.push({ slug, job: "metered_usage", error: message });
      deps.log?.(`billing: meter event ${e.identifier} of ${slug} ${refused ? "refused" : "not sent"}`, err);
    }
  }
  return reported;
}

/**
 * Marks the meter events a `v1.billing.meter.*` error event names (by identifier) as rejected,
 * with Stripe's message; returns the tenants concerned.
 */
export async function rejectMeterEvents(
  deps: Pick<UsageDeps, "db">,
  samples: { identifier: string; message: string }[],
): Promise<string[]> {
  if (samples.length === 0) return [];
  return withPlatformAdmin(deps.db, async (tx) => {
    const tenantIds = new Set<string>();
    for (const s of samples) {
      const rows = await tx
        .update(billingMeterEvents)
        .set({ status: "rejected", error: s.message.slice(0, 1000) })
        .where(eq(billingMeterEvents.identifier, s.identifier))
        .returning({ tenantId: billingMeterEvents.tenantId });
      for (const r of rows) tenantIds.add(r.tenantId);
    }
    return [...tenantIds];
  });
}

/** A tenant's metered usage in its current subscription period, for the billing pages. */
export async function meteredUsageOf(deps: Pick<UsageDeps, "db">, tenantId: string, since: Date | null) {
  return withPlatformAdmin(deps.db, (tx) =>
    tx
      .select({
        meter: billingMeterEvents.meter,
        status: billingMeterEvents.status,
        quantity: sql<number>`sum(${billingMeterEvents.quantity})::bigint`,
        last: sql<number>`(array_agg(${billingMeterEvents.cumulative} order by ${billingMeterEvents.createdAt} desc))[1]`,
        errors: sql<string[]>`array_remove(array_agg(distinct ${billingMeterEvents.error}), null)`,
      })
      .from(billingMeterEvents)
      .where(
        and(
          eq(billingMeterEvents.tenantId, tenantId),
          since ? gte(billingMeterEvents.eventAt, since) : undefined,
        ),
      )
      .groupBy(billingMeterEvents.meter, billingMeterEvents.status),
  );
}
