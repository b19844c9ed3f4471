import type { PlanId } from "@nchat/billing/plans";
import { type Database, type TenantRef, withTenant } from "@nchat/db";
import { tenants } from "@nchat/db/public";
import { eq, sql } from "drizzle-orm";
import { AppError } from "../errors";
import { type LimitedResource, type LimitState, limitState } from "./limits";

/** One resource's usage for meters and upgrade prompts (storage in bytes; limit -1 = unlimited). */
export type UiLimit = {
  resource: LimitedResource;
  used: number;
  limit: number;
  remaining: number | null;
  state: LimitState;
};

export type LimitsOverview = { plan: PlanId; items: UiLimit[]; maxUploadBytes: number | null };

const RESOURCES: readonly LimitedResource[] = ["users", "channels", "storage", "api_calls_month"];

/**
 * Usage against the plan's limits for every limited resource, from check_tenant_limits (users
 * include pending invitations; storage is bytes), with the meter state (ok / approaching / reached
 * / over) and the per-file upload limit. Runs under the tenant's own role.
 */
export async function limitsOverview(
  db: Pick<Database, "tenantPools" | "availability">,
  tenant: TenantRef & { plan: string },
): Promise<LimitsOverview> {
  const { rows, limits, plan } = await withTenant(db, tenant, async ({ db }) => {
    const rows = await db.execute<{
      resource: string;
      used: string;
      limit: string;
      remaining: string | null;
    }>(sql`select resource, used, "limit", remaining from public.check_tenant_limits(${tenant.id})`);
    const [row] = await db
      .select({ limits: tenants.limits, plan: tenants.billingPlan })
      .from(tenants)
      .where(eq(tenants.id, tenant.id));
    return { rows, limits: row?.limits ?? null, plan: row?.plan ?? tenant.plan };
  });
  if (!limits) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
  const byResource = new Map(rows.map((r) => [r.resource, r]));
  const items: UiLimit[] = RESOURCES.map((resource) => {
    const r = byResource.get(resource);
    const used = Number(r?.used ?? 0);
    const limit = Number(r?.limit ?? 0);
    return {
      resource,
      used,
      limit,
      remaining: r?.remaining == null ? null : Number(r.remaining),
      state: limitState(used, limit),
    };
  });
  const maxUploadMb = limits.maxUploadMb;
  return {
    plan: plan as PlanId,
    items,
    maxUploadBytes: maxUploadMb < 0 ? null : Math.round(maxUploadMb * 1024 * 1024),
  };
}
