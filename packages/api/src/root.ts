import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { adminAuthRouter } from "./routers/admin-auth";
import { apiKeysRouter } from "./routers/api-keys";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { domainsRouter } from "./routers/domains";
import { membersRouter } from "./routers/members";
import { tenantRouter } from "./routers/tenant";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  tenant: tenantRouter,
  audit: auditRouter,
  apiKeys: apiKeysRouter,
  domains: domainsRouter,
  adminAuth: adminAuthRouter,
  members: membersRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Typed internal calls (scripts, jobs, the webhook route): `createCaller(await createContext(...))`. */
export const createCaller = createCallerFactory(appRouter);
