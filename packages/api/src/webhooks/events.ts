import { randomUUID } from "node:crypto";
import type { PublicTx, TenantTables } from "@nchat/db";
import { and, eq, sql } from "drizzle-orm";

/**
 * The events an endpoint may subscribe to (docs/webhooks.md). A payload is
 * `{ type, version: 1, timestamp, data }`; `data` carries ids (and the few fields a receiver needs to
 * route: channel, actor), never a secret, a token or an email address.
 */
export const WEBHOOK_EVENT_TYPES = [
  "message.created",
  "message.edited",
  "message.deleted",
  "reaction.added",
  "reaction.removed",
  "channel.created",
  "channel.archived",
  "member.joined",
  "member.left",
  "member.role_changed",
  "file.uploaded",
  "tenant.plan_changed",
  /** Sent only by "Send test event", to one endpoint, whatever it subscribes to. */
  "webhook.test",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export type WebhookEvent = {
  type: WebhookEventType;
  /** Channel events name their channel: an endpoint with a channel filter receives only that one's. */
  channelId?: string | null;
  data: Record<string, string | number | boolean | null>;
};

export const PAYLOAD_VERSION = 1;

/** The body that is signed and sent (the exact bytes are stored with the delivery). */
export function payloadBody(event: WebhookEvent, at: Date): string {
  return JSON.stringify({
    type: event.type,
    version: PAYLOAD_VERSION,
    timestamp: at.toISOString(),
    data: { ...(event.channelId ? { channelId: event.channelId } : {}), ...event.data },
  });
}

/** Transactions that wrote outbox rows (the unit of work wakes the worker after their commit). */
const written = new WeakSet<object>();
export const outboxWritten = (db: object) => written.has(db);

/** A Standard Webhooks message id. */
export const newMsgId = () => `msg_${randomUUID().replaceAll("-", "")}`;

/**
 * Writes one outbox row per enabled endpoint subscribed to the event (and, for a channel event, whose
 * channel filter is empty or that channel) — in the caller's transaction, so the rows exist exactly
 * when the change committed. Returns how many were written; the caller wakes the worker after commit
 * (`WebhookService.kick`).
 */
export async function recordWebhookEvent(
  db: PublicTx,
  t: TenantTables,
  event: WebhookEvent,
  at: Date = new Date(),
): Promise<number> {
  const e = t.webhookEndpoints;
  const channelMatch = event.channelId
    ? sql`(${e.channelId} is null or ${e.channelId} = ${event.channelId})`
    : sql`${e.channelId} is null`;
  const endpoints = await db
    .select({ id: e.id })
    .from(e)
    .where(and(eq(e.enabled, true), sql`${e.eventTypes} ? ${event.type}`, channelMatch));
  if (endpoints.length === 0) return 0;
  written.add(db);
  const body = payloadBody(event, at);
  await db.insert(t.webhookDeliveries).values(
    endpoints.map((ep) => ({
      endpointId: ep.id,
      msgId: newMsgId(),
      eventType: event.type,
      body,
      nextAttemptAt: at,
    })),
  );
  return endpoints.length;
}
