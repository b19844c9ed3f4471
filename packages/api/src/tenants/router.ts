import { z } from "zod";
import { userActor } from "../audit/actor";
import { clearCookie, SESSION_COOKIE, secureCookies } from "../auth/cookies";
import { AppError } from "../errors";
import { rest } from "../openapi/meta";
import { workspaceOutput } from "../openapi/outputs";
import { permissionProcedure, router, tenantProcedure } from "../trpc";
import { ownerUpdateInput } from "./tenant-service";
import { workspaceView } from "./views";

export const tenantRouter = router({
  /** What anyone on the tenant host may see (sign-in page, branding). */
  public: tenantProcedure.meta({ access: "public" }).query(({ ctx }) => ({
    id: ctx.tenant.id,
    slug: ctx.tenant.slug,
    name: ctx.tenant.name,
    status: ctx.tenant.status,
    plan: ctx.tenant.plan,
    branding: ctx.tenant.branding,
  })),

  /** The workspace as its members see it: plan, limits, features. */
  get: permissionProcedure("tenant:read")
    .meta(rest("GET", "/workspace", "Workspace", "The workspace: plan, limits, features"))
    .output(workspaceOutput)
    .query(async ({ ctx }) => {
      const t = await ctx.services.tenants.getTenantById(ctx.tenant.id);
      if (!t) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
      return workspaceView(t);
    }),

  /** Name and branding (owner). Plan, limits, features, status and Stripe fields are refused. */
  update: permissionProcedure("tenant:update")
    .input(ownerUpdateInput)
    .mutation(async ({ ctx, input }) => {
      const t = await ctx.services.tenants.updateTenant(ctx.tenant.id, input, userActor(ctx));
      return { id: t.id, name: t.name, branding: t.branding };
    }),

  /** Soft delete (owner): the workspace stops resolving; a super admin can restore it. */
  delete: permissionProcedure("tenant:delete")
    .input(z.object({ confirmSlug: z.string() }))
    .mutation(async ({ ctx, input }) => {
      if (input.confirmSlug !== ctx.tenant.slug) {
        throw new AppError("VALIDATION_FAILED", "Type the workspace address to confirm deletion.");
      }
      await ctx.services.tenants.deleteTenant(ctx.tenant.id, userActor(ctx));
      ctx.resHeaders.append("set-cookie", clearCookie(SESSION_COOKIE, secureCookies(ctx.services.env)));
      return { ok: true };
    }),
});
