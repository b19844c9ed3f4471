import { and, eq, inArray, sql } from "drizzle-orm";
import type { Actor } from "../audit/actor";
import { assertCanPost, channelAccess, channelIdOf, messageIdOf } from "./access";
import { channelViews } from "./channel-views";
import { messageNotFound } from "./errors";
import {
  CHAT_LIMITS,
  type ChannelRefRequest,
  type MarkReadRequest,
  type NotificationsRequest,
} from "./inputs";
import { messageViews, selectMessages } from "./message-views";
import type { ChatTenant, ChatUnitOfWork } from "./unit-of-work";
import type { NotificationPage, NotificationView, UnreadView } from "./views";

/*
 * What is new for me: mentions (notifications), my read position per channel and the unread and
 * mention counts after it; "… is typing" (ephemeral, nothing stored).
 */

/**
 * My mentions, newest first: messages (not mine, not deleted) in channels I can read that name me
 * or say @channel/@here in a channel I am in. One item per message. Page on with `nextCursor`.
 */
export async function notifications(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: NotificationsRequest = {},
): Promise<NotificationPage> {
  const cursor = input.cursor ?? undefined;
  const limit = input.limit ?? 20;
  return work.run(tenant, actor, async (db, t, me) => {
    const rows = await db.execute<{ message_id: string; kind: string }>(sql`
      select distinct on (mn.message_id) mn.message_id, mn.kind
      from ${t.mentions} mn
      join ${t.messages} m on m.id = mn.message_id
      join ${t.channels} c on c.id = mn.channel_id
      left join ${t.channelMembers} cm on cm.channel_id = mn.channel_id and cm.user_id = ${me.id}
      where (mn.user_id = ${me.id} or (mn.user_id is null and cm.user_id is not null))
        and (cm.user_id is not null or (c.kind = 'public' and ${me.role !== "guest"}))
        and m.deleted_at is null and m.user_id is distinct from ${me.id}
        ${cursor === undefined ? sql`` : sql`and mn.message_id < ${cursor}`}
      order by mn.message_id desc, (mn.user_id is null), mn.id
      limit ${limit + 1}`);
    const pageRows = rows.slice(0, limit);
    const ids = pageRows.map((r) => Number(r.message_id));
    if (ids.length === 0) return { items: [], nextCursor: null };
    const messages = await messageViews(
      db,
      t,
      me.id,
      await selectMessages(db, t, inArray(t.messages.id, ids)),
    );
    const byId = new Map(messages.map((m) => [m.id, m]));
    const channels = new Map(
      (
        await channelViews(db, t, me, inArray(t.channels.id, [...new Set(messages.map((m) => m.channelId))]))
      ).map((c) => [c.id, c]),
    );
    const items: NotificationView[] = [];
    for (const r of pageRows) {
      const message = byId.get(Number(r.message_id));
      const channel = message && channels.get(message.channelId);
      if (!message || !channel) continue;
      items.push({
        kind: r.kind === "channel" || r.kind === "here" ? r.kind : "user",
        channel: { id: channel.id, name: channel.name, kind: channel.kind },
        message,
      });
    }
    return { items, nextCursor: rows.length > limit ? ids[ids.length - 1]! : null };
  });
}

/**
 * Moves my read position in a channel forward to this message (never backwards). Publishes an
 * ephemeral `read.updated` (for my other tabs) when it moved.
 */
export async function markRead(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: MarkReadRequest,
): Promise<{ lastReadMessageId: number }> {
  const channelId = channelIdOf(input.channelId);
  const messageId = messageIdOf(input.messageId);
  const { result, moved, userId } = await work.run(tenant, actor, async (db, t, me) => {
    await channelAccess(db, t, me, channelId);
    const [message] = await db
      .select({ id: t.messages.id })
      .from(t.messages)
      .where(and(eq(t.messages.id, messageId), eq(t.messages.channelId, channelId)));
    if (!message) throw messageNotFound();
    const [advanced] = await db
      .insert(t.readState)
      .values({ channelId, userId: me.id, lastReadMessageId: messageId })
      .onConflictDoUpdate({
        target: [t.readState.channelId, t.readState.userId],
        set: { lastReadMessageId: sql`excluded.last_read_message_id`, updatedAt: sql`now()` },
        setWhere: sql`${t.readState}.last_read_message_id < excluded.last_read_message_id`,
      })
      .returning({ lastReadMessageId: t.readState.lastReadMessageId });
    if (advanced) return { result: advanced, moved: true, userId: me.id };
    const [current] = await db
      .select({ lastReadMessageId: t.readState.lastReadMessageId })
      .from(t.readState)
      .where(and(eq(t.readState.channelId, channelId), eq(t.readState.userId, me.id)));
    return { result: { lastReadMessageId: current!.lastReadMessageId }, moved: false, userId: me.id };
  });
  if (moved)
    await work.publish(tenant, [
      { type: "read.updated", channelId, userId, lastReadMessageId: result.lastReadMessageId, id: null },
    ]);
  return result;
}

/**
 * Per channel I am in (not archived): unread top-level messages and messages mentioning me after
 * my read position, excluding my own and deleted ones — one query. Before I first mark a channel
 * read, only messages since I joined it count.
 */
export async function unreadCounts(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
): Promise<{ channels: UnreadView[] }> {
  return work.run(tenant, actor, async (db, t, me) => {
    const rows = await db.execute<{
      channel_id: string;
      last_read: string;
      unread: number;
      mentions: number;
    }>(sql`
      select cm.channel_id, coalesce(rs.last_read_message_id, 0) as last_read,
        (select count(*)::int from (
           select 1 from ${t.messages} m
           where m.channel_id = cm.channel_id and m.id > coalesce(rs.last_read_message_id, 0)
             and (rs.user_id is not null or m.created_at > cm.joined_at)
             and m.parent_id is null and m.deleted_at is null and m.user_id is distinct from ${me.id}
           limit ${CHAT_LIMITS.unreadCap}) u) as unread,
        (select count(distinct mn.message_id)::int
           from ${t.mentions} mn join ${t.messages} m on m.id = mn.message_id
           where mn.channel_id = cm.channel_id and (mn.user_id = ${me.id} or mn.user_id is null)
             and mn.message_id > coalesce(rs.last_read_message_id, 0)
             and (rs.user_id is not null or m.created_at > cm.joined_at)
             and m.deleted_at is null and m.user_id is distinct from ${me.id}) as mentions
      from ${t.channelMembers} cm
      join ${t.channels} c on c.id = cm.channel_id
      left join ${t.readState} rs on rs.channel_id = cm.channel_id and rs.user_id = cm.user_id
      where cm.user_id = ${me.id} and c.archived_at is null
      order by cm.channel_id`);
    return {
      channels: rows.map((r) => ({
        channelId: r.channel_id,
        lastReadMessageId: Number(r.last_read),
        unread: Number(r.unread),
        mentions: Number(r.mentions),
      })),
    };
  });
}

/** "… is typing": an ephemeral event to the channel (members only; nothing is stored). */
export async function typing(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ChannelRefRequest,
): Promise<{ ok: true }> {
  const channelId = channelIdOf(input.channelId);
  const me = await work.run(tenant, actor, async (db, t, me) => {
    assertCanPost(await channelAccess(db, t, me, channelId));
    return me;
  });
  await work.publish(tenant, [{ type: "typing", channelId, user: { id: me.id, name: me.name }, id: null }]);
  return { ok: true };
}
