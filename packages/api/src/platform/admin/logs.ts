import { z } from "zod";
import { AppError } from "../../errors";
import { router, superAdminProcedure } from "../../trpc";
import { auditLogInput, webhookListInput } from "../inputs";
import { adminActor, platform } from "./context";

export const adminLogsRouter = router({
  /** Audit entries across tenants: filter by tenant, actor, action and date range; newest first. */
  audit: superAdminProcedure
    .input(auditLogInput)
    .query(({ ctx, input }) => platform(ctx.services).auditLog(input)),

  /** Stripe webhook events (without payloads), with the count per status. */
  webhooks: superAdminProcedure.input(webhookListInput).query(async ({ ctx, input }) => ({
    ...(await platform(ctx.services).webhooks(input)),
    /** Stripe billing can process a failed event again (offline billing has no Stripe events). */
    retryAvailable: ctx.services.billing.mode === "stripe",
  })),

  /** One Stripe event with its payload. */
  webhook: superAdminProcedure
    .input(z.object({ id: z.string().max(255) }))
    .query(({ ctx, input }) => platform(ctx.services).webhook(input.id)),

  /**
   * Processes a failed Stripe event again from its stored payload (the subscription is re-fetched,
   * so it applies Stripe's current state); audited on the event's tenant.
   */
  retryWebhook: superAdminProcedure
    .input(z.object({ id: z.string().max(255) }))
    .mutation(async ({ ctx, input }) => {
      const before = await platform(ctx.services).webhook(input.id);
      const result = await ctx.services.billing.retryEvent(input.id).catch((err: unknown) => {
        if (err instanceof AppError) throw err;
        throw new AppError(
          "CONFLICT",
          `The event failed again: ${err instanceof Error ? err.message : String(err)}`,
        );
      });
      await platform(ctx.services).recordEventRetry(
        before.tenantId,
        input.id,
        result.outcome,
        adminActor(ctx),
      );
      return platform(ctx.services).webhook(input.id);
    }),
});
