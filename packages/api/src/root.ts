import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { chatRouter } from "./chat/router";
import { membersRouter } from "./members/router";
import { adminRouter } from "./routers/admin";
import { adminAuthRouter } from "./routers/admin-auth";
import { apiKeysRouter } from "./routers/api-keys";
import { attachmentsRouter } from "./routers/attachments";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { billingRouter } from "./routers/billing";
import { domainsRouter } from "./routers/domains";
import { realtimeRouter } from "./routers/realtime";
import { tenantRouter } from "./routers/tenant";
import { twoFactorRouter } from "./routers/two-factor";
import { uiRouter } from "./routers/ui";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  tenant: tenantRouter,
  billing: billingRouter,
  audit: auditRouter,
  apiKeys: apiKeysRouter,
  domains: domainsRouter,
  adminAuth: adminAuthRouter,
  admin: adminRouter,
  members: membersRouter,
  realtime: realtimeRouter,
  attachments: attachmentsRouter,
  chat: chatRouter,
  ui: uiRouter,
  twoFactor: twoFactorRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Typed internal calls (scripts, jobs, the webhook route): `createCaller(await createContext(...))`. */
export const createCaller = createCallerFactory(appRouter);
