import { router } from "../../trpc";
import { adminJobsRouter } from "./jobs";
import { adminLogsRouter } from "./logs";
import { adminOverviewRouter } from "./overview";
import { adminTenantsRouter } from "./tenants";

/**
 * The admin console's API. Every procedure is a `superAdminProcedure`: a super-admin session on
 * the admin app, nothing else (admin.test.ts checks every procedure of this router).
 */
export const adminRouter = router({
  overview: adminOverviewRouter,
  tenants: adminTenantsRouter,
  logs: adminLogsRouter,
  jobs: adminJobsRouter,
});
