import { FEATURES, type Feature, PLANS, type PlanId } from "@nchat/billing/plans";
import { withTenant } from "@nchat/db";
import { tenantSettings, tenants } from "@nchat/db/public";
import { eq, sql } from "drizzle-orm";
import { AppError } from "../errors";
import { type LimitedResource, type LimitState, limitState } from "../limits/limits";
import { platformOffFeatures } from "../limits/platform-features";
import { authedProcedure, permissionProcedure, router } from "../trpc";

/** One resource's usage for meters and upgrade prompts (storage in bytes; limit -1 = unlimited). */
export type UiLimit = {
  resource: LimitedResource;
  used: number;
  limit: number;
  remaining: number | null;
  state: LimitState;
};

const RESOURCES: readonly LimitedResource[] = ["users", "channels", "storage", "api_calls_month"];

/**
 * Read-only views the web UI needs and no other router serves. Nothing here changes data; each
 * query runs under the tenant's own role (RLS and its schema only).
 */
export const uiRouter = router({
  /**
   * Usage against the plan's limits for every limited resource, from check_tenant_limits (users
   * include pending invitations; storage is bytes), with the meter state (ok / approaching / reached
   * / over) and the per-file upload limit.
   */
  limits: authedProcedure.meta({ access: "billing" }).query(async ({ ctx }) => {
    const tenant = ctx.tenant;
    const { rows, limits, plan } = await withTenant(ctx.services.db, tenant, async ({ db }) => {
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
  }),

  /**
   * The features usable now as a complete map: the plan's (with any per-tenant overrides), minus
   * those the platform has off (`platformOff`: in the plan, but off here, with the setting that
   * turns them on), and the plan.
   */
  features: authedProcedure.meta({ access: "billing" }).query(({ ctx }) => {
    const plan = ctx.tenant.plan as PlanId;
    const off = platformOffFeatures(ctx.services.env);
    const features = Object.fromEntries(
      FEATURES.map((f) => [f, ctx.tenant.features[f] === true && !off.some((o) => o.feature === f)]),
    ) as Record<Feature, boolean>;
    const platformOff = off.filter((o) => ctx.tenant.features[o.feature] === true);
    return { plan, planName: PLANS[plan]?.name ?? plan, features, platformOff };
  }),

  /** The workspace's security settings, for the settings form (owners and admins). */
  settings: permissionProcedure("settings:update").query(async ({ ctx }) => {
    const tenant = ctx.tenant;
    const [s] = await withTenant(ctx.services.db, tenant, ({ db }) =>
      db.select().from(tenantSettings).where(eq(tenantSettings.tenantId, tenant.id)),
    );
    if (!s) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
    return {
      sessionTimeoutMinutes: s.sessionTimeoutMinutes,
      allowGuestAccess: s.allowGuestAccess,
      allowedEmailDomains: s.allowedEmailDomains,
      messageRetentionDays: s.messageRetentionDays,
      require2fa: s.require2fa,
    };
  }),
});
