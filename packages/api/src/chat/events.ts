import type { PublicTx, TenantRef, TenantTables } from "@nchat/db";
import { sql } from "drizzle-orm";
import { recordWebhookEvent, type WebhookEvent } from "../webhooks/events";

/** A message as clients render it (no stored HTML: `body` is plain text with markdown syntax). */
export type MessagePayload = {
  id: number;
  channelId: string;
  parentId: number | null;
  author: { id: string; name: string } | null;
  body: string;
  replyCount: number;
  lastReplyAt: string | null;
  editedAt: string | null;
  deletedAt: string | null;
  createdAt: string;
  attachments: { id: string; fileName: string; contentType: string; sizeBytes: number }[];
};

export type ReactionGroup = { emoji: string; count: number; userIds: string[] };

/** Durable events: stored in the tenant's `events` table, replayed to reconnecting clients. */
export type DurableChatEvent =
  | { type: "message.created" | "message.updated"; channelId: string; message: MessagePayload }
  | { type: "message.deleted"; channelId: string; messageId: number; parentId: number | null }
  | { type: "reactions.changed"; channelId: string; messageId: number; reactions: ReactionGroup[] }
  | {
      type: "thread.updated";
      channelId: string;
      parentId: number;
      replyCount: number;
      lastReplyAt: string | null;
    }
  /** Created, renamed, archived, membership changed: clients refetch the channel. */
  | { type: "channel.updated"; channelId: string }
  /** A message was pinned or unpinned (pins.ts): clients refetch the channel's pins. */
  | {
      type: "pins.changed";
      channelId: string;
      messageId: number;
      pinned: boolean;
      by: { id: string; name: string };
    };

/** Ephemeral events: delivered live only, never stored or replayed. */
export type EphemeralChatEvent =
  | { type: "typing"; channelId: string; user: { id: string; name: string } }
  | { type: "presence"; user: { id: string; name: string }; status: "online" | "offline" }
  | { type: "read.updated"; channelId: string; userId: string; lastReadMessageId: number }
  /** The workspace changed (plan, limits, features, name, branding, status): clients refetch it. */
  | { type: "tenant.updated" };

export type ChatEvent = DurableChatEvent | EphemeralChatEvent;

/** An event with its position in the tenant's stream (null for ephemeral events). */
export type TrackedChatEvent = ChatEvent & { id: number | null };

/** Delivers events to every process (Redis pub/sub or PostgreSQL NOTIFY) after the change committed. */
export interface ChatEventPublisher {
  publish(tenant: TenantRef, event: TrackedChatEvent): Promise<void>;
}

/** A publisher that delivers nothing (until the realtime bus is wired in). */
export const noopChatEventPublisher: ChatEventPublisher = { publish: async () => {} };

/**
 * Stores a durable event in the SAME transaction as the change it describes, and returns its id.
 * Call it last in the transaction: the per-tenant lock makes ids commit in order, so a client
 * resuming "after id N" can never miss an event that committed late with a lower id.
 */
export async function recordEvent(
  tx: PublicTx,
  t: TenantTables,
  tenant: TenantRef,
  event: DurableChatEvent,
): Promise<TrackedChatEvent> {
  // Outgoing webhooks: their outbox rows commit (or roll back) with the change.
  const hook = webhookEventOf(event);
  if (hook) await recordWebhookEvent(tx, t, hook);
  // One statement: the row (and so its id) exists only once the lock is held.
  const [row] = await tx.execute<{ id: string }>(sql`
    with turn as (select pg_advisory_xact_lock(hashtext(${`nchat:events:${tenant.id}`})))
    insert into ${t.events} (channel_id, type, payload)
    select ${event.channelId}, ${event.type}, ${JSON.stringify(event)}::jsonb from turn
    returning id`);
  return { ...event, id: Number(row!.id) };
}

/** The outgoing webhook event of a chat event (ids only), or null when there is none. */
function webhookEventOf(event: DurableChatEvent): WebhookEvent | null {
  switch (event.type) {
    case "message.created":
    case "message.updated":
      return {
        type: event.type === "message.created" ? "message.created" : "message.edited",
        channelId: event.channelId,
        data: {
          messageId: event.message.id,
          parentId: event.message.parentId,
          authorId: event.message.author?.id ?? null,
        },
      };
    case "message.deleted":
      return {
        type: "message.deleted",
        channelId: event.channelId,
        data: { messageId: event.messageId, parentId: event.parentId },
      };
    default:
      return null;
  }
}
