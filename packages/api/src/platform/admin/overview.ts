import { router, superAdminProcedure } from "../../trpc";
import { platform } from "./context";

export const adminOverviewRouter = router({
  /** Tenants by plan and status, MRR by plan, signups per week, top tenants this month. */
  stats: superAdminProcedure.query(({ ctx }) => platform(ctx.services).overview()),

  /** Plans (prices, limits, features) and the feature list, for forms. */
  catalog: superAdminProcedure.query(({ ctx }) => platform(ctx.services).catalog()),
});
