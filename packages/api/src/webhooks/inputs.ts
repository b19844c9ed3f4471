/** What the webhook procedures accept — validated once, at the procedure; the services take the parsed values. */
import { z } from "zod";
import { WEBHOOK_EVENT_TYPES } from "./events";

/** The types an endpoint may subscribe to (`webhook.test` is sent by "Send test event" only). */
export const SUBSCRIBABLE_EVENT_TYPES = WEBHOOK_EVENT_TYPES.filter((t) => t !== "webhook.test") as [
  string,
  ...string[],
];

const url = z
  .string()
  .trim()
  .max(2000)
  .refine((u) => /^https?:\/\//i.test(u), "Only http:// and https:// URLs.");
const eventTypes = z.array(z.enum(SUBSCRIBABLE_EVENT_TYPES)).min(1).max(SUBSCRIBABLE_EVENT_TYPES.length);

export const createEndpointInput = z.object({
  url,
  description: z.string().trim().max(500).default(""),
  eventTypes,
  channelId: z.uuid().nullable().default(null),
  enabled: z.boolean().default(true),
});

export const endpointIdInput = z.object({ id: z.uuid() });

export const updateEndpointInput = z.object({
  id: z.uuid(),
  url: url.optional(),
  description: z.string().trim().max(500).optional(),
  eventTypes: eventTypes.optional(),
  channelId: z.uuid().nullable().optional(),
  enabled: z.boolean().optional(),
});

/** Hours the previous secret keeps signing beside the new one (0: it stops at once; at most a week). */
export const rotateSecretInput = z.object({
  id: z.uuid(),
  overlapHours: z.number().int().min(0).max(168).default(24),
});

export const deliveriesInput = z.object({
  endpointId: z.uuid(),
  limit: z.number().int().min(1).max(100).default(50),
});

export const deliveryIdInput = z.object({ deliveryId: z.uuid() });
