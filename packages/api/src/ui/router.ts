import { FEATURES, type Feature, PLANS, type PlanId } from "@nchat/billing/plans";
import { limitsOverview } from "../limits/overview";
import { platformOffFeatures } from "../limits/platform-features";
import { rest } from "../openapi/meta";
import { usageOutput } from "../openapi/outputs";
import { authedProcedure, permissionProcedure, router } from "../trpc";

/**
 * Read-only views the web UI needs and no other router serves. Nothing here changes data; the
 * services behind them read under the tenant's own role (RLS and its schema only).
 */
export const uiRouter = router({
  /**
   * Usage against the plan's limits for every limited resource, from check_tenant_limits (users
   * include pending invitations; storage is bytes), with the meter state (ok / approaching / reached
   * / over) and the per-file upload limit.
   */
  limits: authedProcedure
    .meta({
      access: "billing",
      ...rest("GET", "/usage", "Workspace", "Usage against the plan's limits this month"),
    })
    .output(usageOutput)
    .query(({ ctx }) => limitsOverview(ctx.services.db, ctx.tenant)),

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
  settings: permissionProcedure("settings:update").query(({ ctx }) =>
    ctx.services.tenants.getSettings(ctx.tenant),
  ),
});
