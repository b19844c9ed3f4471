import { z } from "zod";
import { AppError } from "../../errors";
import type { Services } from "../../server";
import { router, superAdminProcedure } from "../../trpc";
import { auditLogInput, webhookListInput } from "../inputs";
import { platform } from "./context";

/**
 * The billing service's "process this stored Stripe event again" — `services.billing.reprocessEvent
 * (eventId)` (or `reprocessWebhookEvent` / `reprocess`) — when the running build has one. Until it
 * exists the console shows no Retry button (`retryAvailable: false`) and `retryWebhook` refuses.
 */
export function webhookReprocessor(services: Services): ((eventId: string) => Promise<unknown>) | null {
  const billing = (services as unknown as { billing?: Record<string, unknown> }).billing;
  const fn = billing?.reprocessEvent ?? billing?.reprocessWebhookEvent ?? billing?.reprocess;
  return typeof fn === "function" ? (eventId) => Promise.resolve(fn.call(billing, eventId)) : null;
}

export const adminLogsRouter = router({
  /** Audit entries across tenants: filter by tenant, actor, action and date range; newest first. */
  audit: superAdminProcedure
    .input(auditLogInput)
    .query(({ ctx, input }) => platform(ctx.services).auditLog(input)),

  /** Stripe webhook events (without payloads), with the count per status. */
  webhooks: superAdminProcedure.input(webhookListInput).query(async ({ ctx, input }) => ({
    ...(await platform(ctx.services).webhooks(input)),
    retryAvailable: webhookReprocessor(ctx.services) !== null,
  })),

  /** One Stripe event with its payload. */
  webhook: superAdminProcedure
    .input(z.object({ id: z.string().max(255) }))
    .query(({ ctx, input }) => platform(ctx.services).webhook(input.id)),

  /** Processes a stored (failed) Stripe event again through the billing service. */
  retryWebhook: superAdminProcedure
    .input(z.object({ id: z.string().max(255) }))
    .mutation(async ({ ctx, input }) => {
      const reprocess = webhookReprocessor(ctx.services);
      if (!reprocess)
        throw new AppError("CONFLICT", "Reprocessing Stripe events is not available in this build.");
      await platform(ctx.services).webhook(input.id);
      await reprocess(input.id);
      return platform(ctx.services).webhook(input.id);
    }),
});
