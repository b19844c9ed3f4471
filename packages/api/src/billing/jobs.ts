import type { Stripe } from "@nchat/billing";
import { type Database, withPlatformAdmin } from "@nchat/db";
import { billingMeterReports, type Tenant, tenants, tenantUsage } from "@nchat/db/public";
import { and, eq, inArray, isNotNull, isNull, lte, type SQL, sql } from "drizzle-orm";
import { SYSTEM } from "../audit/actor";
import type { BillingConfig } from "./config";
import {
  type BillingChange,
  billingMeta,
  freeChange,
  lockTenantBilling,
  notifyChanged,
  setStatus,
  type TenantChanged,
  type WriteResult,
  writeBilling,
} from "./ledger";

export type JobDeps = {
  db: Database;
  config: BillingConfig;
  stripe: Stripe | null;
  onTenantChanged?: TenantChanged;
  log?: (msg: string, err?: unknown) => void;
};

export type MeterReport = { slug: string; period: string; quantity: number; identifier: string };

export type JobsReport = {
  now: Date;
  /** Unpaid trials past their end: moved to Free or suspended (TRIAL_EXPIRY_ACTION). */
  trialsExpired: { slug: string; action: "free" | "suspend" }[];
  /** Past due for longer than PAST_DUE_GRACE_DAYS. */
  suspended: string[];
  /** Offline plans cancelled for the period end, now over. */
  cancellationsEnded: string[];
  usage: { reported: MeterReport[]; skipped: string | null };
  errors: { slug: string; job: string; error: string }[];
};

/** The UTC month before `now`, "YYYY-MM", and its last second. */
export function previousPeriod(now: Date): { period: string; lastSecond: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - 1000);
  return { period: start.toISOString().slice(0, 7), lastSecond: end };
}

/** Stripe meter event identifier of a tenant's period: Stripe drops a repeat of it. */
export const meterIdentifier = (tenantId: string, period: string) => `nchat-api-calls-${tenantId}-${period}`;

/**
 * The periodic billing work (`pnpm billing:jobs`): each tenant is changed in its own transaction
 * under its billing lock, re-checking the condition there, with audit entries; `now` makes the
 * clock explicit (tests run the job "later" instead of waiting).
 */
export type JobOptions = {
  now?: Date;
  /** Only these tenants (ids); all when unset. */
  tenantIds?: string[];
};

export async function runBillingJobs(deps: JobDeps, opts: JobOptions = {}): Promise<JobsReport> {
  const now = opts.now ?? new Date();
  const only = opts.tenantIds;
  const report: JobsReport = {
    now,
    trialsExpired: [],
    suspended: [],
    cancellationsEnded: [],
    usage: { reported: [], skipped: null },
    errors: [],
  };
  const action = deps.config.trialExpiryAction;

  // Trials without a Stripe subscription (a trialing subscription is Stripe's to end).
  const trials = await candidates(
    deps.db,
    only,
    and(eq(tenants.status, "trial"), lte(tenants.trialEndsAt, now), isNull(tenants.stripeSubscriptionId)),
  );
  for (const t of trials) {
    await each(deps, report, t, "trial_expiry", async (tx, row) => {
      if (row.status !== "trial" || !row.trialEndsAt || row.trialEndsAt > now || row.stripeSubscriptionId)
        return null;
      const change: BillingChange =
        action === "free" ? freeChange(row, now) : { values: {}, meta: { ...billingMeta(row) } };
      if (action === "suspend") setStatus(row, "suspended", now, change);
      const result = await writeBilling(tx, row, change, SYSTEM, {
        now,
        context: { via: "billing_jobs" },
        extra: [
          {
            action: "billing.trial_expired",
            resourceType: "tenant",
            resourceId: row.id,
            after: { trialEndedAt: row.trialEndsAt.toISOString(), action },
          },
        ],
      });
      report.trialsExpired.push({ slug: row.slug, action });
      return result;
    });
  }

  // Past due beyond the grace period → suspended (payment reactivates, through the webhook).
  const graceStart = new Date(now.getTime() - deps.config.pastDueGraceDays * 86_400_000);
  const pastDue = await candidates(deps.db, only, eq(tenants.status, "past_due"));
  for (const t of pastDue) {
    await each(deps, report, t, "past_due_suspension", async (tx, row) => {
      const since = billingMeta(row).pastDueSince ? new Date(billingMeta(row).pastDueSince!) : row.updatedAt;
      if (row.status !== "past_due" || since > graceStart) return null;
      const change: BillingChange = {
        values: {},
        meta: { ...billingMeta(row), pastDueSince: since.toISOString() },
      };
      setStatus(row, "suspended", now, change);
      const result = await writeBilling(tx, row, change, SYSTEM, {
        now,
        context: { via: "billing_jobs" },
        extra: [
          {
            action: "billing.suspended",
            resourceType: "tenant",
            resourceId: row.id,
            after: { pastDueSince: since.toISOString(), graceDays: deps.config.pastDueGraceDays },
          },
        ],
      });
      report.suspended.push(row.slug);
      return result;
    });
  }

  // Offline cancellations at the period end (with Stripe, the subscription's deletion does this).
  const ending = await candidates(
    deps.db,
    only,
    and(
      isNull(tenants.stripeSubscriptionId),
      eq(tenants.cancelAtPeriodEnd, true),
      isNotNull(tenants.currentPeriodEnd),
      lte(tenants.currentPeriodEnd, now),
    ),
  );
  for (const t of ending) {
    await each(deps, report, t, "cancellation", async (tx, row) => {
      if (
        row.stripeSubscriptionId ||
        !row.cancelAtPeriodEnd ||
        !row.currentPeriodEnd ||
        row.currentPeriodEnd > now
      )
        return null;
      const result = await writeBilling(tx, row, freeChange(row, now), SYSTEM, {
        now,
        context: { via: "billing_jobs", reason: "cancelled at period end" },
      });
      report.cancellationsEnded.push(row.slug);
      return result;
    });
  }

  report.usage = await reportMeteredUsage(deps, now, report.errors, only);
  return report;
}

async function candidates(db: Database, only: string[] | undefined, where: SQL | undefined) {
  if (only?.length === 0) return [];
  return withPlatformAdmin(db, (tx) =>
    tx
      .select({ id: tenants.id, slug: tenants.slug })
      .from(tenants)
      .where(and(where, only ? inArray(tenants.id, only) : undefined))
      .orderBy(tenants.createdAt),
  );
}

type Tx = Parameters<Parameters<typeof withPlatformAdmin>[1]>[0];

async function each(
  deps: JobDeps,
  report: JobsReport,
  t: { id: string; slug: string },
  job: string,
  fn: (tx: Tx, row: Tenant) => Promise<WriteResult | null>,
) {
  try {
    const result = await withPlatformAdmin(deps.db, async (tx) => {
      await lockTenantBilling(tx, t.id);
      const [row] = await tx.select().from(tenants).where(eq(tenants.id, t.id));
      return row && row.status !== "deleted" ? fn(tx, row) : null;
    });
    if (result?.routingChanged) await notifyChanged(deps.db, deps.onTenantChanged, result.tenant);
  } catch (err) {
    report.errors.push({ slug: t.slug, job, error: err instanceof Error ? err.message : String(err) });
    deps.log?.(`billing job ${job} failed for ${t.slug}`, err);
  }
}

/**
 * API calls above the plan's monthly allowance, for the month that just closed, reported once per
 * tenant and month as a Stripe billing meter event. The report row and the Stripe call share a
 * transaction (a second run finds the row; a failed call leaves none), and the event's identifier
 * is derived from tenant and month, so a repeat after a lost commit is dropped by Stripe.
 * Tenants on a Stripe subscription only; an unlimited plan has no overage.
 */
export async function reportMeteredUsage(
  deps: JobDeps,
  now: Date,
  errors: JobsReport["errors"] = [],
  only?: string[],
): Promise<JobsReport["usage"]> {
  const eventName = deps.config.meterEventName;
  if (!deps.stripe) return { reported: [], skipped: "offline billing" };
  if (!eventName) return { reported: [], skipped: "STRIPE_METER_API_CALLS is not set" };
  const stripe = deps.stripe;
  const { period, lastSecond } = previousPeriod(now);
  const allowance = sql<number>`(${tenants.limits}->>'apiCallsPerMonth')::numeric`;
  const rows = await withPlatformAdmin(deps.db, (tx) =>
    tx
      .select({
        id: tenants.id,
        slug: tenants.slug,
        customer: tenants.stripeCustomerId,
        used: tenantUsage.apiCallsTotal,
        allowance,
      })
      .from(tenantUsage)
      .innerJoin(tenants, eq(tenants.id, tenantUsage.tenantId))
      .where(
        and(
          eq(tenantUsage.period, period),
          only
            ? inArray(tenants.id, only.length ? only : ["00000000-0000-0000-0000-000000000000"])
            : undefined,
          isNotNull(tenants.stripeCustomerId),
          isNotNull(tenants.stripeSubscriptionId),
          sql`${allowance} >= 0 and ${tenantUsage.apiCallsTotal} > ${allowance}`,
          sql`not exists (select 1 from ${billingMeterReports} r where r.tenant_id = ${tenants.id} and r.period = ${period})`,
        ),
      ),
  );
  const reported: MeterReport[] = [];
  for (const r of rows) {
    const quantity = Number(r.used) - Number(r.allowance);
    const identifier = meterIdentifier(r.id, period);
    try {
      const done = await withPlatformAdmin(deps.db, async (tx) => {
        const [row] = await tx
          .insert(billingMeterReports)
          .values({
            tenantId: r.id,
            period,
            eventName,
            identifier,
            stripeCustomerId: r.customer!,
            quantity,
            reportedAt: now,
          })
          .onConflictDoNothing()
          .returning({ identifier: billingMeterReports.identifier });
        if (!row) return false; // another run reported it
        await stripe.billing.meterEvents.create(
          {
            event_name: eventName,
            identifier,
            timestamp: Math.floor(lastSecond.getTime() / 1000),
            payload: { stripe_customer_id: r.customer!, value: String(quantity) },
          },
          { idempotencyKey: identifier },
        );
        return true;
      });
      if (done) reported.push({ slug: r.slug, period, quantity, identifier });
    } catch (err) {
      errors.push({
        slug: r.slug,
        job: "metered_usage",
        error: err instanceof Error ? err.message : String(err),
      });
      deps.log?.(`billing: reporting usage of ${r.slug} failed`, err);
    }
  }
  return { reported, skipped: null };
}
