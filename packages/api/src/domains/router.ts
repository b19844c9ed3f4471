import { z } from "zod";
import { userActor } from "../audit/actor";
import { requireFeature } from "../limits/features";
import { permissionProcedure, router } from "../trpc";

const id = z.object({ id: z.string().max(100) });

/** Custom domains of the workspace (owners and admins): add, publish the TXT record, verify, remove. */
export const domainsRouter = router({
  list: permissionProcedure("domains:manage").query(({ ctx }) =>
    ctx.services.domains.listDomains(ctx.tenant),
  ),
  /**
   * Platform first (off: FORBIDDEN naming ENABLE_CUSTOM_DOMAINS, whatever the plan), then the plan
   * (FEATURE_NOT_IN_PLAN): the same answer the settings and billing pages show.
   */
  add: permissionProcedure("domains:manage")
    .input(z.object({ domain: z.string().max(300) }))
    .mutation(({ ctx, input }) => {
      if (ctx.services.env.ENABLE_CUSTOM_DOMAINS) requireFeature(ctx.tenant.features, "customDomains");
      return ctx.services.domains.addDomain(ctx.tenant, input.domain, userActor(ctx));
    }),
  verify: permissionProcedure("domains:manage")
    .input(id)
    .mutation(({ ctx, input }) => ctx.services.domains.verifyDomain(ctx.tenant, input.id, userActor(ctx))),
  remove: permissionProcedure("domains:manage")
    .input(id)
    .mutation(({ ctx, input }) => ctx.services.domains.removeDomain(ctx.tenant, input.id, userActor(ctx))),
});
