import type { PublicTx, TenantRef } from "@nchat/db";
import { sql } from "drizzle-orm";
import { AppError } from "../errors";

/** Resources with a plan limit, as named by check_tenant_limits. */
export type LimitedResource = "users" | "channels" | "storage" | "api_calls_month";

export type ResourceUsage = {
  resource: LimitedResource;
  used: number;
  limit: number;
  remaining: number | null;
};

export type LimitState = "ok" | "approaching" | "reached" | "over";

/** ≥ 80 % approaching, 100 % reached, above it over (after a downgrade). Unlimited is always ok. */
export function limitState(used: number, limit: number): LimitState {
  if (limit < 0) return "ok";
  if (used > limit) return "over";
  if (used >= limit) return "reached";
  return limit > 0 && used / limit >= 0.8 ? "approaching" : "ok";
}

const MESSAGES: Record<LimitedResource, string> = {
  users: "Your plan's member limit is reached. Upgrade to invite more people.",
  channels: "Your plan's channel limit is reached. Upgrade to create more channels.",
  storage: "Your plan's storage is full. Upgrade or delete files to upload more.",
  api_calls_month: "Your plan's monthly API calls are used up. Upgrade for more.",
};

/** A resource against its limit, as check_tenant_limits reports it. */
export type ResourceLimit = {
  resource: string;
  used: number;
  limit: number;
  remaining: number | null;
  exceeded: boolean;
  atLimit: boolean;
};

/** Every resource against its limit, from check_tenant_limits (in the caller's transaction and role). */
export async function checkTenantLimits(tx: PublicTx, tenantId: string): Promise<ResourceLimit[]> {
  const rows = await tx.execute<{
    resource: string;
    used: string;
    limit: string;
    remaining: string | null;
    exceeded: boolean;
    at_limit: boolean;
  }>(sql`select * from public.check_tenant_limits(${tenantId})`);
  return rows.map((r) => ({
    resource: r.resource,
    used: Number(r.used),
    limit: Number(r.limit),
    remaining: r.remaining === null ? null : Number(r.remaining),
    exceeded: r.exceeded,
    atLimit: r.at_limit,
  }));
}

/** One resource's usage and limit, from check_tenant_limits (inside the caller's tenant transaction). */
export async function resourceUsage(
  tx: PublicTx,
  tenant: TenantRef,
  resource: LimitedResource,
): Promise<ResourceUsage> {
  const rows = await tx.execute<{ used: string; limit: string; remaining: string | null }>(
    sql`select used, "limit", remaining from public.check_tenant_limits(${tenant.id}) where resource = ${resource}`,
  );
  const r = rows[0];
  if (!r) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
  return {
    resource,
    used: Number(r.used),
    limit: Number(r.limit),
    remaining: r.remaining === null ? null : Number(r.remaining),
  };
}

/**
 * Refuses growth beyond the plan, exactly under concurrency: call it inside the transaction that
 * creates the resource, before creating it. The transaction-scoped advisory lock (per tenant and
 * resource) makes concurrent creators take turns, and each one counts after the previous one
 * committed — with 1 slot left, 50 concurrent creates give 1 success and 49 LIMIT_EXCEEDED.
 * Unlimited (-1) never blocks; a limit below current usage (downgrade) blocks growth, deletes nothing.
 */
export async function assertWithinLimit(
  tx: PublicTx,
  tenant: TenantRef,
  resource: LimitedResource,
  adding = 1,
  /** Count usage differently (e.g. accepting an invitation counts active users only). */
  opts: { used?: () => Promise<number> } = {},
): Promise<ResourceUsage> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`nchat:limit:${tenant.id}:${resource}`}))`);
  const measured = await resourceUsage(tx, tenant, resource);
  const usage = opts.used ? { ...measured, used: await opts.used() } : measured;
  if (usage.limit >= 0 && usage.used + adding > usage.limit) {
    throw new AppError("LIMIT_EXCEEDED", MESSAGES[resource], {
      resource,
      used: usage.used,
      limit: usage.limit,
    });
  }
  return usage;
}
