import { isMissingResource, readSubscription, type Stripe } from "@nchat/billing";
import { type Database, withPlatformAdmin } from "@nchat/db";
import { tenants } from "@nchat/db/public";
import { and, eq, inArray, isNotNull, ne } from "drizzle-orm";
import { SYSTEM } from "../audit/actor";
import type { BillingConfig } from "./config";
import {
  lockTenantBilling,
  notifyChanged,
  subscriptionChange,
  type TenantChanged,
  writeBilling,
} from "./ledger";

export type ReconcileDeps = {
  db: Database;
  config: BillingConfig;
  stripe: Stripe;
  onTenantChanged?: TenantChanged;
  log?: (msg: string, err?: unknown) => void;
};

export type Drift = {
  slug: string;
  subscriptionId: string;
  /** Columns that differed from Stripe: the value in the database and Stripe's. */
  changes: Record<string, { from: unknown; to: unknown }>;
};

export type ReconcileReport = {
  checked: number;
  /** Tenants repaired (or, with dryRun, that would be). */
  drifted: Drift[];
  errors: { slug: string; error: string }[];
  dryRun: boolean;
};

/**
 * Compares every tenant with a Stripe customer to Stripe's truth and repairs drift (missed or
 * failed webhooks, manual edits): the tenant's subscription is re-fetched (or, when the tenant has
 * none, the customer's newest live one is found) and applied through the same rules as webhooks,
 * audited as `billing.*` by the system with `via: "reconcile"`. `dryRun` reports without writing.
 */
export async function reconcileBilling(
  deps: ReconcileDeps,
  opts: { dryRun?: boolean; now?: Date; tenantIds?: string[] } = {},
): Promise<ReconcileReport> {
  const now = opts.now ?? new Date();
  const dryRun = opts.dryRun ?? false;
  const report: ReconcileReport = { checked: 0, drifted: [], errors: [], dryRun };
  const list = await withPlatformAdmin(deps.db, (tx) =>
    tx
      .select({
        id: tenants.id,
        slug: tenants.slug,
        customer: tenants.stripeCustomerId,
        subscription: tenants.stripeSubscriptionId,
      })
      .from(tenants)
      .where(
        and(
          isNotNull(tenants.stripeCustomerId),
          ne(tenants.status, "deleted"),
          opts.tenantIds ? inArray(tenants.id, opts.tenantIds) : undefined,
        ),
      )
      .orderBy(tenants.createdAt),
  );
  for (const t of list) {
    report.checked++;
    try {
      const sub = await findSubscription(deps.stripe, t.customer!, t.subscription);
      if (!sub) continue;
      const result = await withPlatformAdmin(deps.db, async (tx) => {
        await lockTenantBilling(tx, t.id);
        const [row] = await tx.select().from(tenants).where(eq(tenants.id, t.id));
        if (!row) return null;
        // Stripe may have moved on since the fetch above; the lock makes this fetch the latest.
        const fresh =
          row.stripeSubscriptionId === sub.id ? await deps.stripe.subscriptions.retrieve(sub.id) : sub;
        const change = subscriptionChange(row, readSubscription(fresh, deps.config.prices), deps.config, now);
        if (!change) return null;
        const write = await writeBilling(tx, row, change, SYSTEM, { now, context: { via: "reconcile" } });
        if (dryRun) throw new DryRun(write.changes, fresh.id);
        return { write, subscriptionId: fresh.id };
      }).catch((err) => {
        if (err instanceof DryRun) return { dry: err };
        throw err;
      });
      if (!result) continue;
      if ("dry" in result) {
        if (Object.keys(result.dry.changes).length > 0)
          report.drifted.push({
            slug: t.slug,
            subscriptionId: result.dry.subscriptionId,
            changes: result.dry.changes,
          });
        continue;
      }
      if (Object.keys(result.write.changes).length === 0) continue;
      report.drifted.push({
        slug: t.slug,
        subscriptionId: result.subscriptionId,
        changes: result.write.changes,
      });
      if (result.write.routingChanged)
        await notifyChanged(deps.db, deps.onTenantChanged, result.write.tenant);
    } catch (err) {
      report.errors.push({ slug: t.slug, error: err instanceof Error ? err.message : String(err) });
      deps.log?.(`billing reconcile failed for ${t.slug}`, err);
    }
  }
  return report;
}

/** Rolls a dry run's transaction back with what it would have changed. */
class DryRun extends Error {
  constructor(
    readonly changes: Drift["changes"],
    readonly subscriptionId: string,
  ) {
    super("dry run");
  }
}

async function findSubscription(
  stripe: Stripe,
  customer: string,
  subscriptionId: string | null,
): Promise<Stripe.Subscription | null> {
  if (subscriptionId) {
    try {
      return await stripe.subscriptions.retrieve(subscriptionId);
    } catch (err) {
      if (!isMissingResource(err)) throw err;
      throw new Error(
        `subscription ${subscriptionId} no longer exists in Stripe; not changed (check by hand)`,
      );
    }
  }
  // No subscription recorded (a checkout whose webhooks never arrived): the newest live one.
  const list = await stripe.subscriptions.list({ customer, status: "all", limit: 10 });
  return list.data.find((s) => !["canceled", "incomplete", "incomplete_expired"].includes(s.status)) ?? null;
}
