import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { auditRouter } from "./audit/router";
import { authRouter } from "./auth/router";
import { chatRouter } from "./chat/router";
import { domainsRouter } from "./domains/router";
import { membersRouter } from "./members/router";
import { adminRouter } from "./platform/admin/router";
import { adminAuthRouter } from "./platform/admin-auth-router";
import { realtimeRouter } from "./realtime/router";
import { apiKeysRouter } from "./routers/api-keys";
import { attachmentsRouter } from "./routers/attachments";
import { billingRouter } from "./routers/billing";
import { tenantRouter } from "./routers/tenant";
import { uiRouter } from "./routers/ui";
import { createCallerFactory, router } from "./trpc";
import { twoFactorRouter } from "./two-factor/router";

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
