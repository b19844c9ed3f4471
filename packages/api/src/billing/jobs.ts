import type { Stripe } from "@nchat/billing";
import { type Database, withPlatformAdmin } from "@nchat/db";
import { type Tenant, tenants } from "@nchat/db/public";
import { and, eq, inArray, isNotNull, isNull, lte, type SQL } from "drizzle-orm";
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
import { reportMeteredUsage, type UsageReport } from "./metered-usage";

export type JobDeps = {
  db: Database;
  config: BillingConfig;
  stripe: Stripe | null;
  onTenantChanged?: TenantChanged;
  log?: (msg: string, err?: unknown) => void;
};

export type JobsReport = {
  now: Date;
  /** Unpaid trials past their end: moved to Free or suspended (TRIAL_EXPIRY_ACTION). */
  trialsExpired: { slug: string; action: "free" | "suspend" }[];
  /** Past due for longer than PAST_DUE_GRACE_DAYS. */
  suspended: string[];
  /** Offline plans cancelled for the period end, now over. */
  cancellationsEnded: string[];
  /** Metered usage reported to Stripe (metered-usage.ts). */
  usage: UsageReport;
  errors: { slug: string; job: string; error: string }[];
};

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
