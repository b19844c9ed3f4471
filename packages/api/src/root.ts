import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { apiKeysRouter } from "./api-keys/router";
import { attachmentsRouter } from "./attachments/router";
import { auditRouter } from "./audit/router";
import { accountRouter } from "./auth/account-router";
import { authRouter } from "./auth/router";
import { billingRouter } from "./billing/router";
import { chatRouter } from "./chat/router";
import { domainsRouter } from "./domains/router";
import { mailRouter } from "./mail/router";
import { membersRouter } from "./members/router";
import { adminRouter } from "./platform/admin/router";
import { adminAuthRouter } from "./platform/admin-auth-router";
import { profileRouter } from "./profile/router";
import { realtimeRouter } from "./realtime/router";
import { searchRouter } from "./search/router";
import { tenantRouter } from "./tenants/router";
import { createCallerFactory, router } from "./trpc";
import { twoFactorRouter } from "./two-factor/router";
import { uiRouter } from "./ui/router";
import { webhooksRouter } from "./webhooks/router";

export const appRouter = router({
  auth: authRouter,
  account: accountRouter,
  mail: mailRouter,
  tenant: tenantRouter,
  billing: billingRouter,
  audit: auditRouter,
  apiKeys: apiKeysRouter,
  webhooks: webhooksRouter,
  domains: domainsRouter,
  adminAuth: adminAuthRouter,
  admin: adminRouter,
  members: membersRouter,
  realtime: realtimeRouter,
  attachments: attachmentsRouter,
  chat: chatRouter,
  search: searchRouter,
  ui: uiRouter,
  twoFactor: twoFactorRouter,
  profile: profileRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Typed internal calls (scripts, jobs, the webhook route): `createCaller(await createContext(...))`. */
export const createCaller = createCallerFactory(appRouter);
