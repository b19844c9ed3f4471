import { z } from "zod";
import { userActor } from "../services/actor";
import { createApiKeyInput } from "../services/api-key-service";
import { permissionProcedure, router } from "../trpc";

export const apiKeysRouter = router({
  /** A new key (owners and admins, plan with `apiAccess`). The key is in this answer only. */
  create: permissionProcedure("apiKeys:manage")
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) => ctx.services.apiKeys.create(ctx.tenant, userActor(ctx), input)),

  /** The workspace's keys: name, scope, display prefix and use — never the key or its hash. */
  list: permissionProcedure("apiKeys:manage").query(({ ctx }) => ctx.services.apiKeys.list(ctx.tenant)),

  /** Revokes a key for good. */
  revoke: permissionProcedure("apiKeys:manage")
    .input(z.object({ id: z.string().max(100) }))
    .mutation(({ ctx, input }) => ctx.services.apiKeys.revoke(ctx.tenant, userActor(ctx), input.id)),
});
