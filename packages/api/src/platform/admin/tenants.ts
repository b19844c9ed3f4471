import { PLAN_IDS, type PlanId } from "@nchat/billing/plans";
import { z } from "zod";
import { router, superAdminProcedure } from "../../trpc";
import { customPlanInput, listTenantsInput, suspendReason } from "../inputs";
import { adminActor, platform } from "./context";

const tenantId = z.object({ id: z.string().max(100) });
const plan = z.enum(PLAN_IDS as [PlanId, ...PlanId[]]);

/** Tenants: the searchable table, the detail page, and every action on a tenant. */
export const adminTenantsRouter = router({
  list: superAdminProcedure
    .input(listTenantsInput)
    .query(({ ctx, input }) => platform(ctx.services).listTenants(input)),

  get: superAdminProcedure.input(tenantId).query(({ ctx, input }) => platform(ctx.services).tenant(input.id)),

  /** Through Stripe when the workspace pays by subscription; `pendingPayment`: the upgrade waits for that invoice. */
  changePlan: superAdminProcedure.input(tenantId.extend({ plan })).mutation(async ({ ctx, input }) => {
    const { tenant: t, pendingPayment } = await platform(ctx.services).changePlan(
      input.id,
      input.plan,
      adminActor(ctx),
    );
    return { id: t.id, plan: t.billingPlan, limits: t.limits, features: t.features, pendingPayment };
  }),

  /** Metered usage of the current period and Stripe's estimate of the next invoice. */
  usage: superAdminProcedure.input(tenantId).query(({ ctx, input }) => ctx.services.billing.usage(input.id)),

  /** Custom limits and features (switches to the Custom plan if needed). Validated by the service. */
  setCustomPlan: superAdminProcedure
    .input(tenantId.extend(customPlanInput.shape))
    .mutation(async ({ ctx, input }) => {
      const t = await platform(ctx.services).setCustomPlan(
        input.id,
        { limits: input.limits, features: input.features },
        adminActor(ctx),
      );
      return { id: t.id, plan: t.billingPlan, limits: t.limits, features: t.features };
    }),

  suspend: superAdminProcedure
    .input(tenantId.extend({ reason: suspendReason }))
    .mutation(async ({ ctx, input }) => {
      const t = await platform(ctx.services).suspend(input.id, input.reason, adminActor(ctx));
      return { id: t.id, status: t.status };
    }),

  reactivate: superAdminProcedure.input(tenantId).mutation(async ({ ctx, input }) => {
    const t = await platform(ctx.services).reactivate(input.id, adminActor(ctx));
    return { id: t.id, status: t.status };
  }),

  /** Soft delete: the workspace stops resolving; restorable until purged. */
  softDelete: superAdminProcedure.input(tenantId).mutation(async ({ ctx, input }) => {
    await platform(ctx.services).softDelete(input.id, adminActor(ctx));
    return { id: input.id, status: "deleted" as const };
  }),

  restore: superAdminProcedure.input(tenantId).mutation(async ({ ctx, input }) => {
    const t = await platform(ctx.services).restore(input.id, adminActor(ctx));
    return { id: t.id, status: t.status };
  }),

  /** Hard purge after the retention period; the slug must be typed to confirm. */
  purge: superAdminProcedure
    .input(tenantId.extend({ confirmSlug: z.string().max(200) }))
    .mutation(({ ctx, input }) => platform(ctx.services).purge(input.id, input.confirmSlug, adminActor(ctx))),

  invalidateCache: superAdminProcedure
    .input(tenantId)
    .mutation(({ ctx, input }) => platform(ctx.services).invalidateCache(input.id, adminActor(ctx))),

  verifyDomain: superAdminProcedure
    .input(tenantId.extend({ domainId: z.string().max(100) }))
    .mutation(({ ctx, input }) =>
      platform(ctx.services).verifyDomain(input.id, input.domainId, adminActor(ctx)),
    ),
});
