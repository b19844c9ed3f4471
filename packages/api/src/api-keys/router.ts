import { userActor } from "../audit/actor";
import { permissionProcedure, router } from "../trpc";
import { apiKeyIdInput, createApiKeyInput } from "./inputs";

export const apiKeysRouter = router({
  /**
   * A new key (owners and admins, plan with `apiAccess`; people only, never another key). The key
   * is in this answer only.
   */
  create: permissionProcedure("apiKeys:manage")
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) => ctx.services.apiKeys.create(ctx.tenant, userActor(ctx), input)),

  /** The workspace's keys: name, scope, display prefix and use — never the key or its hash. */
  list: permissionProcedure("apiKeys:manage").query(({ ctx }) => ctx.services.apiKeys.list(ctx.tenant)),

  /** Revokes a key for good. */
  revoke: permissionProcedure("apiKeys:manage")
    .input(apiKeyIdInput)
    .mutation(({ ctx, input }) => ctx.services.apiKeys.revoke(ctx.tenant, userActor(ctx), input.id)),
});
