import {
  type BillingInterval,
  PLANS,
  type PlanId,
  planDefaults,
  type SubscriptionState,
} from "@nchat/billing";
import { type Database, type PublicTx, withPlatformAdmin } from "@nchat/db";
import { type Tenant, tenantDomains, tenants } from "@nchat/db/public";
import { eq, sql } from "drizzle-orm";
import { type Actor, audit } from "../audit/actor";
import { AppError } from "../errors";
import type { BillingConfig } from "./config";

/**
 * The one place billing changes a tenant row: every path (Stripe webhooks, owner actions, offline
 * changes, jobs, reconcile) computes the values it wants and writes them with `writeBilling`, under
 * the tenant's billing lock, with audit entries in the same transaction.
 */

/** Billing bookkeeping kept in `tenants.metadata.billing`. */
export type BillingMeta = {
  /** When the tenant became past due (the grace period counts from here). */
  pastDueSince?: string;
  /** Suspended by billing (unpaid, or an expired trial), as opposed to by a super admin. */
  suspendedByBilling?: boolean;
  /** The tenant has had a trial (only the first subscription gets one). */
  trialUsed?: boolean;
  /** Moves on when a customer creation must be a new request (see customerIdempotencyKey). */
  customerAttempt?: number;
  /** A plan change Stripe holds until its invoice is paid (a subscription's pending update). */
  pendingChange?: PendingChange;
};

export type PendingChange = {
  plan: PlanId;
  interval: BillingInterval;
  /** Stripe's hosted invoice, where the owner pays (null when the change was not made here). */
  invoiceUrl: string | null;
  /** Stripe drops the change at this time if the invoice is still unpaid. */
  expiresAt: string;
};

export const billingMeta = (t: Pick<Tenant, "metadata">): BillingMeta =>
  ((t.metadata?.billing as BillingMeta | undefined) ?? {}) as BillingMeta;

export type BillingValues = Partial<
  Pick<
    Tenant,
    | "status"
    | "suspendedAt"
    | "billingPlan"
    | "billingInterval"
    | "limits"
    | "features"
    | "stripeCustomerId"
    | "stripeSubscriptionId"
    | "stripePriceId"
    | "currentPeriodStart"
    | "currentPeriodEnd"
    | "cancelAtPeriodEnd"
    | "trialEndsAt"
    | "lastPaymentDate"
    | "lastPaymentAmount"
    | "lastPaymentStatus"
  >
>;

/** A desired change: tenant columns plus the next billing bookkeeping. */
export type BillingChange = { values: BillingValues; meta: BillingMeta };

/** Serialises billing work on one tenant (webhooks, owner actions, jobs) until the transaction ends. */
export async function lockTenantBilling(tx: PublicTx, tenantId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`nchat:billing:${tenantId}`}))`);
}

/** The tenant row, read under its billing lock. */
export async function lockedTenant(tx: PublicTx, tenantId: string): Promise<Tenant> {
  await lockTenantBilling(tx, tenantId);
  const [row] = await tx.select().from(tenants).where(eq(tenants.id, tenantId));
  if (!row || row.status === "deleted") throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
  return row;
}

/** Plan columns; limits and features follow the catalog when the plan changes (Custom overrides stay otherwise). */
export function planValues(current: Tenant, plan: PlanId, interval: BillingInterval): BillingValues {
  return {
    billingPlan: plan,
    billingInterval: interval,
    ...(plan !== current.billingPlan ? planDefaults(plan) : {}),
  };
}

/**
 * Sets the next status into `change`, following the rules every billing path shares: a deleted
 * tenant and one a super admin suspended keep their status; a tenant billing suspended for not
 * paying stays suspended until it pays (a later "still past due" changes nothing); the grace
 * period counts from the first day past due.
 */
export function setStatus(current: Tenant, next: Tenant["status"], now: Date, change: BillingChange): void {
  const meta = billingMeta(current);
  if (current.status === "deleted") return;
  if (current.status === "suspended" && !meta.suspendedByBilling) return;
  if (next === "past_due" && current.status === "suspended") return;
  change.values.status = next;
  change.values.suspendedAt = next === "suspended" ? (current.suspendedAt ?? now) : null;
  change.meta.suspendedByBilling = next === "suspended" ? true : undefined;
  change.meta.pastDueSince =
    next === "past_due" || (next === "suspended" && change.meta.pastDueSince)
      ? (change.meta.pastDueSince ?? now.toISOString())
      : undefined;
}

/** Back to Free with no subscription (a subscription ended, a trial expired, an offline cancellation). */
export function freeChange(current: Tenant, now: Date): BillingChange {
  const change: BillingChange = {
    values: {
      ...planValues(current, "free", "month"),
      stripeSubscriptionId: null,
      stripePriceId: null,
      currentPeriodStart: null,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
    },
    meta: { ...billingMeta(current), pendingChange: undefined },
  };
  setStatus(current, "active", now, change);
  return change;
}

/**
 * What a Stripe subscription (as re-fetched from Stripe) means for the tenant, or null when it
 * changes nothing: an older subscription ending after the tenant moved to a new one, or a first
 * payment that has not gone through yet (status incomplete).
 */
export function subscriptionChange(
  current: Tenant,
  s: SubscriptionState,
  config: Pick<BillingConfig, "trialExpiryAction" | "prices">,
  now: Date,
  opts: { pendingInvoiceUrl?: string | null } = {},
): BillingChange | null {
  const other = current.stripeSubscriptionId !== null && current.stripeSubscriptionId !== s.id;
  if (s.status === "incomplete") return null;
  if (s.ended) return other ? null : freeChange(current, now);

  let plan = s.plan;
  if (!plan) {
    // A price outside the catalog: a Custom deal keeps its plan; anything else is a configuration
    // error, and failing keeps the event retryable until the price is configured.
    if (current.billingPlan !== "custom")
      throw new Error(
        `Stripe price ${s.priceId ?? "?"} of ${s.id} is not in the plan catalog (STRIPE_PRICE_*)`,
      );
    plan = "custom";
  }
  const change: BillingChange = {
    values: {
      ...planValues(current, plan, s.interval ?? current.billingInterval),
      stripeSubscriptionId: s.id,
      stripePriceId: s.priceId,
      currentPeriodStart: s.currentPeriodStart,
      currentPeriodEnd: s.currentPeriodEnd,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
      trialEndsAt: s.trialEnd,
    },
    meta: {
      ...billingMeta(current),
      ...(s.trialEnd ? { trialUsed: true } : {}),
      pendingChange: pendingChangeOf(
        s,
        config,
        opts.pendingInvoiceUrl ?? billingMeta(current).pendingChange?.invoiceUrl,
      ),
    },
  };
  switch (s.status) {
    case "trialing":
      setStatus(current, "trial", now, change);
      break;
    case "active":
      setStatus(current, "active", now, change);
      break;
    case "past_due":
    case "unpaid":
      setStatus(current, "past_due", now, change);
      break;
    case "paused":
      // A trial ended without a way to pay: the configured trial-expiry action.
      if (config.trialExpiryAction === "suspend") setStatus(current, "suspended", now, change);
      else {
        Object.assign(change.values, planValues(current, "free", change.values.billingInterval ?? "month"));
        setStatus(current, "active", now, change);
      }
      break;
  }
  return change;
}

/** The plan a subscription's pending update would apply, for the billing pages; undefined when none. */
function pendingChangeOf(
  s: SubscriptionState,
  config: Pick<BillingConfig, "prices">,
  invoiceUrl: string | null | undefined,
): PendingChange | undefined {
  if (!s.pendingUpdate) return undefined;
  const target = s.pendingUpdate.priceIds.map((p) => config.prices.planFor(p)).find((x) => x !== null);
  if (!target) return undefined;
  return { ...target, invoiceUrl: invoiceUrl ?? null, expiresAt: s.pendingUpdate.expiresAt.toISOString() };
}

export type AuditEntry = { action: string; resourceType: string; resourceId: string | null; after: unknown };

export type WriteResult = {
  tenant: Tenant;
  /** Columns whose value changed, with the values before and after. */
  changes: Record<string, { from: unknown; to: unknown }>;
  /** True when something the request path caches (plan, status, features, trial) changed. */
  routingChanged: boolean;
};

const norm = (v: unknown): unknown => {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, norm(x)]),
    );
  return v ?? null;
};
const same = (a: unknown, b: unknown) => JSON.stringify(norm(a)) === JSON.stringify(norm(b));

const ROUTING_KEYS = new Set(["status", "billingPlan", "features", "trialEndsAt"]);
const PLAN_KEYS = ["billingPlan", "billingInterval"] as const;
/** Covered by their own entries (plan, status, payment) or derived from them. */
const QUIET_KEYS = new Set([
  "limits",
  "features",
  "suspendedAt",
  "billingPlan",
  "billingInterval",
  "status",
  "lastPaymentDate",
  "lastPaymentAmount",
  "lastPaymentStatus",
]);

/**
 * Writes the change (only what differs) and its audit entries — `billing.plan_change`,
 * `billing.status_change`, `billing.subscription_update` — plus `extra` entries, all in `tx`.
 * `context` (e.g. the Stripe event) is recorded in each entry's `after`.
 */
export async function writeBilling(
  tx: PublicTx,
  current: Tenant,
  change: BillingChange,
  actor: Actor,
  opts: { context?: Record<string, unknown>; extra?: AuditEntry[]; now?: Date } = {},
): Promise<WriteResult> {
  const changes: WriteResult["changes"] = {};
  const set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(change.values)) {
    const before = current[k as keyof Tenant];
    if (v === undefined || same(before, v)) continue;
    changes[k] = { from: before ?? null, to: v };
    set[k] = v;
  }
  const metaBefore = billingMeta(current);
  const metaAfter = norm(change.meta) as BillingMeta;
  const metaChanged = !same(metaBefore, metaAfter);
  let tenant = current;
  if (Object.keys(set).length > 0 || metaChanged) {
    const [row] = await tx
      .update(tenants)
      .set({
        ...(set as Partial<Tenant>),
        ...(metaChanged
          ? {
              metadata: sql`jsonb_set(coalesce(${tenants.metadata}, '{}'::jsonb), '{billing}', ${JSON.stringify(metaAfter)}::jsonb)`,
            }
          : {}),
        updatedAt: opts.now ?? new Date(),
      })
      .where(eq(tenants.id, current.id))
      .returning();
    tenant = row!;
  }

  const context = opts.context ?? {};
  const entries: AuditEntry[] = [];
  if (PLAN_KEYS.some((k) => k in changes)) {
    entries.push({
      action: "billing.plan_change",
      resourceType: "tenant",
      resourceId: current.id,
      after: {
        from: { plan: current.billingPlan, interval: current.billingInterval },
        to: { plan: tenant.billingPlan, interval: tenant.billingInterval },
        ...context,
      },
    });
  }
  if ("status" in changes) {
    entries.push({
      action: "billing.status_change",
      resourceType: "tenant",
      resourceId: current.id,
      after: { from: current.status, to: tenant.status, ...context },
    });
  }
  const other = Object.keys(changes).filter((k) => !QUIET_KEYS.has(k));
  if (other.length > 0) {
    entries.push({
      action: "billing.subscription_update",
      resourceType: "tenant",
      resourceId: current.id,
      after: { changed: Object.fromEntries(other.map((k) => [k, changes[k]!.to])), ...context },
    });
  }
  entries.push(...(opts.extra ?? []).map((e) => ({ ...e, after: { ...(e.after as object), ...context } })));
  for (const e of entries) {
    await audit(tx, current.id, actor, {
      action: e.action,
      resourceType: e.resourceType,
      resourceId: e.resourceId,
      after: e.after,
    });
  }
  return {
    tenant,
    changes,
    routingChanged: Object.keys(changes).some((k) => ROUTING_KEYS.has(k)),
  };
}

/** Limits per resource as check_tenant_limits counts them (storage in bytes); -1 = unlimited. */
function targetLimits(plan: PlanId): Record<string, number> {
  const l = PLANS[plan].limits;
  return {
    users: l.users,
    channels: l.channels,
    storage: l.storageGb < 0 ? -1 : Math.round(l.storageGb * 1024 ** 3),
  };
}

/**
 * Refuses a move to `plan` while the tenant uses more than it allows, with the figures of
 * check_tenant_limits (users incl. pending invitations, channels, storage). Monthly API calls are a
 * flow that resets each month and do not block a downgrade.
 */
export async function assertFitsPlan(tx: PublicTx, tenant: Tenant, plan: PlanId): Promise<void> {
  const rows = await tx.execute<{ resource: string; used: string }>(
    sql`select resource, used from public.check_tenant_limits(${tenant.id})`,
  );
  const limits = targetLimits(plan);
  const over = rows
    .map((r) => ({ resource: r.resource, used: Number(r.used), limit: limits[r.resource] }))
    .filter((r): r is { resource: string; used: number; limit: number } => r.limit !== undefined)
    .filter((r) => r.limit >= 0 && r.used > r.limit);
  if (over.length > 0) {
    const what = over
      .map((r) =>
        r.resource === "storage"
          ? `${(r.used / 1024 ** 3).toFixed(2)} GB of storage (the plan allows ${r.limit / 1024 ** 3} GB)`
          : `${r.used} ${r.resource} (the plan allows ${r.limit})`,
      )
      .join(", ");
    throw new AppError(
      "LIMIT_EXCEEDED",
      `This workspace uses more than the ${PLANS[plan].name} plan allows: ${what}. Remove some before changing plan.`,
      { plan, resources: over },
    );
  }
}

export type TenantChanged = (t: { id: string; slug: string; domains: string[] }) => void | Promise<void>;

/** Drops a tenant from the resolver caches (by slug and by each of its domains), after the commit. */
export async function notifyChanged(
  db: Database,
  onTenantChanged: TenantChanged | undefined,
  t: Pick<Tenant, "id" | "slug">,
): Promise<void> {
  if (!onTenantChanged) return;
  const domains = await withPlatformAdmin(db, (tx) =>
    tx.select({ domain: tenantDomains.domain }).from(tenantDomains).where(eq(tenantDomains.tenantId, t.id)),
  );
  await onTenantChanged({ id: t.id, slug: t.slug, domains: domains.map((d) => d.domain) });
}
