import { userActor } from "../audit/actor";
import { permissionProcedure, router } from "../trpc";
import {
  createEndpointInput,
  deliveriesInput,
  deliveryIdInput,
  endpointIdInput,
  rotateSecretInput,
  updateEndpointInput,
} from "./inputs";

/** Outgoing webhooks (owners and admins; the plan must include integrations — checked by the service). */
export const webhooksRouter = router({
  /** A new endpoint; its signing secret (`whsec_…`) is in this answer only. */
  create: permissionProcedure("webhooks:manage")
    .input(createEndpointInput)
    .mutation(({ ctx, input }) => ctx.services.webhooks.create(ctx.tenant, userActor(ctx), input)),

  list: permissionProcedure("webhooks:manage").query(({ ctx }) => ctx.services.webhooks.list(ctx.tenant)),

  /** Changes an endpoint; `enabled: true` turns a disabled one on again (its failure run starts over). */
  update: permissionProcedure("webhooks:manage")
    .input(updateEndpointInput)
    .mutation(({ ctx, input: { id, ...patch } }) => ctx.services.webhooks.update(ctx.tenant, id, patch)),

  remove: permissionProcedure("webhooks:manage")
    .input(endpointIdInput)
    .mutation(({ ctx, input }) => ctx.services.webhooks.remove(ctx.tenant, input.id)),

  /** A new secret (in this answer only); the previous one signs beside it for `overlapHours`. */
  rotateSecret: permissionProcedure("webhooks:manage")
    .input(rotateSecretInput)
    .mutation(({ ctx, input }) =>
      ctx.services.webhooks.rotateSecret(ctx.tenant, input.id, input.overlapHours),
    ),

  sendTest: permissionProcedure("webhooks:manage")
    .input(endpointIdInput)
    .mutation(({ ctx, input }) => ctx.services.webhooks.sendTest(ctx.tenant, input.id)),

  /** An endpoint's delivery log, newest first. */
  deliveries: permissionProcedure("webhooks:manage")
    .input(deliveriesInput)
    .query(({ ctx, input }) => ctx.services.webhooks.deliveries(ctx.tenant, input.endpointId, input.limit)),

  resend: permissionProcedure("webhooks:manage")
    .input(deliveryIdInput)
    .mutation(({ ctx, input }) => ctx.services.webhooks.resend(ctx.tenant, input.deliveryId)),
});
