import type { TenantTables } from "@nchat/db";
import { and, eq, gt, inArray, isNull, ne, or, sql } from "drizzle-orm";
import { linkToMessage } from "../attachments/attachment-service";
import type { Actor } from "../audit/actor";
import { can } from "../auth/permissions";
import { AppError } from "../errors";
import { requireFeature } from "../limits/features";
import { recordWebhookEvent } from "../webhooks/events";
import {
  assertCanPost,
  channelAccess,
  channelIdOf,
  type MessageRow,
  messageAccess,
  messageColumns,
  messageIdOf,
} from "./access";
import { archivedChannel, forbidden, messageNotFound } from "./errors";
import { type DurableChatEvent, type ReactionGroup, recordEvent } from "./events";
import {
  CHAT_LIMITS,
  type EditRequest,
  type ListRequest,
  type MessageRefRequest,
  type ReactRequest,
  type SendRequest,
  type ThreadRequest,
} from "./inputs";
import { parseMentions } from "./mentions";
import { alias, iso, messageView, messageViews, page, reactionGroups } from "./message-views";
import type { ChatTenant, ChatUnitOfWork, Tx } from "./unit-of-work";
import { type MessagePage, type MessageView, type ReactionView, type ThreadPage, toPayload } from "./views";

/*
 * Messages: post (a thread reply with `parentId`), edit, delete, page through a channel or a
 * thread, react. Posting needs membership and an unarchived channel (access.ts); deleting a message
 * is always possible for its author and admins. Every change records its event (events.ts) as the
 * transaction's last statement; the unit of work publishes it after commit.
 */

/**
 * Posts a message (members only; not in archived channels). With `parentId` it is a thread reply
 * (`threads` feature): the parent must be a top-level message of the channel, and its reply
 * count and last reply time change in the same transaction. Mentions are parsed from the body.
 */
export async function send(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: SendRequest,
): Promise<MessageView> {
  const channelId = channelIdOf(input.channelId);
  const parentId = input.parentId == null ? null : messageIdOf(input.parentId);
  if (parentId !== null) requireFeature(tenant.features, "threads");
  const message = await work.write(tenant, actor, async (db, t, me) => {
    if (!can(me.role, "messages:send")) throw forbidden();
    // Pipelined (one round trip, run in this order): the access check, the parent (locked: a
    // concurrent delete of the parent waits for this reply, or this reply sees it), the channel
    // touch (guarded by `archived_at is null`: an archive committing meanwhile wins) and the insert.
    // The checks are then read in that order; any failure throws, which rolls all of it back.
    const [access, parentRows, touched, inserted] = await Promise.allSettled([
      channelAccess(db, t, me, channelId),
      parentId === null
        ? Promise.resolve([] as MessageRow[])
        : Promise.resolve(
            db
              .select(messageColumns(t))
              .from(t.messages)
              .where(and(eq(t.messages.id, parentId), eq(t.messages.channelId, channelId)))
              .for("no key update"),
          ),
      Promise.resolve(
        db
          .update(t.channels)
          .set({ lastMessageAt: sql`now()` })
          .where(and(eq(t.channels.id, channelId), isNull(t.channels.archivedAt)))
          .returning({ id: t.channels.id }),
      ),
      Promise.resolve(
        db
          .insert(t.messages)
          .values({ channelId, userId: me.id, parentId, body: input.body })
          .returning(messageColumns(t)),
      ),
    ]);
    assertCanPost(settled(access));
    const parent = settled(parentRows)[0];
    if (parentId !== null) {
      if (!parent || parent.deletedAt) throw messageNotFound();
      if (parent.parentId !== null)
        throw new AppError("VALIDATION_FAILED", "Replies cannot have replies: answer in the thread.");
    }
    if (settled(touched).length === 0) throw archivedChannel();
    const [row] = settled(inserted);
    const files = await linkToMessage(db, t, input.attachmentIds ?? [], row!.id, me.id);
    await storeMentions(db, t, row!);
    const view = messageView(row!, { id: me.id, name: me.name }, [], files);
    let threadEvent: DurableChatEvent | null = null;
    if (parent) {
      const [updated] = await db
        .update(t.messages)
        .set({ replyCount: sql`${t.messages.replyCount} + 1`, lastReplyAt: sql`now()` })
        .where(eq(t.messages.id, parent.id))
        .returning({ replyCount: t.messages.replyCount, lastReplyAt: t.messages.lastReplyAt });
      threadEvent = {
        type: "thread.updated",
        channelId,
        parentId: parent.id,
        replyCount: updated!.replyCount,
        lastReplyAt: iso(updated!.lastReplyAt),
      };
    }
    const events = [
      await recordEvent(db, t, tenant, { type: "message.created", channelId, message: toPayload(view) }),
    ];
    if (threadEvent) events.push(await recordEvent(db, t, tenant, threadEvent));
    return { result: view, events };
  });
  work.deps.usage.record(tenant, { messagesSent: 1 });
  return message;
}

/** Edits one's own message (members, not archived); `editedAt` is set and mentions re-parsed. */
export async function edit(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: EditRequest,
): Promise<MessageView> {
  const messageId = messageIdOf(input.messageId);
  return work.write(tenant, actor, async (db, t, me) => {
    const access = await messageAccess(db, t, me, messageId);
    if (access.message.deletedAt) throw messageNotFound();
    if (access.message.userId !== me.id) throw forbidden("You can only edit your own messages.");
    assertCanPost(access);
    if (access.message.body === input.body)
      return { result: (await messageViews(db, t, me.id, [access.message]))[0]!, events: [] };
    const [row] = await db
      .update(t.messages)
      .set({ body: input.body, editedAt: new Date() })
      .where(and(eq(t.messages.id, messageId), isNull(t.messages.deletedAt)))
      .returning(messageColumns(t));
    if (!row) throw messageNotFound();
    await db.delete(t.mentions).where(eq(t.mentions.messageId, messageId));
    await storeMentions(db, t, row);
    const [view] = await messageViews(db, t, me.id, [row]);
    const event = await recordEvent(db, t, tenant, {
      type: "message.updated",
      channelId: row.channelId,
      message: toPayload(view!),
    });
    return { result: view!, events: [event] };
  });
}

/**
 * Deletes a message: its author or an admin (also in archived channels). Soft: `deleted_at` is
 * set and the body becomes "" — the content is gone; its reactions, mentions and pin go too. A reply's
 * thread counts are updated. A deleted top-level message stays listed only while it has replies.
 */
export async function deleteMessage(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: MessageRefRequest,
): Promise<{ ok: true }> {
  const messageId = messageIdOf(input.messageId);
  return work.write(tenant, actor, async (db, t, me) => {
    const { message } = await messageAccess(db, t, me, messageId);
    if (message.deletedAt) throw messageNotFound();
    if (message.userId !== me.id && !can(me.role, "channels:manage"))
      throw forbidden("You can only delete your own messages.");
    const [row] = await db
      .update(t.messages)
      .set({ body: "", deletedAt: new Date() })
      .where(and(eq(t.messages.id, messageId), isNull(t.messages.deletedAt)))
      .returning(messageColumns(t));
    if (!row) throw messageNotFound();
    await db.delete(t.reactions).where(eq(t.reactions.messageId, messageId));
    await db.delete(t.mentions).where(eq(t.mentions.messageId, messageId));
    await db.delete(t.pins).where(eq(t.pins.messageId, messageId));
    let threadEvent: DurableChatEvent | null = null;
    if (row.parentId !== null) {
      const replies = alias(t, "r");
      const [parent] = await db
        .update(t.messages)
        .set({
          replyCount: sql`greatest(${t.messages.replyCount} - 1, 0)`,
          lastReplyAt: sql`(select max(r.created_at) from ${replies} where r.parent_id = ${row.parentId} and r.deleted_at is null)`,
        })
        .where(eq(t.messages.id, row.parentId))
        .returning({ replyCount: t.messages.replyCount, lastReplyAt: t.messages.lastReplyAt });
      if (parent)
        threadEvent = {
          type: "thread.updated",
          channelId: row.channelId,
          parentId: row.parentId,
          replyCount: parent.replyCount,
          lastReplyAt: iso(parent.lastReplyAt),
        };
    }
    const events = [
      await recordEvent(db, t, tenant, {
        type: "message.deleted",
        channelId: row.channelId,
        messageId,
        parentId: row.parentId,
      }),
    ];
    if (threadEvent) events.push(await recordEvent(db, t, tenant, threadEvent));
    return { result: { ok: true as const }, events };
  });
}

/**
 * Top-level messages of a channel, ascending by id. Without a bound: the newest page. `before` /
 * `after`: the page next to that id. `around`: a page holding that message (a reply: its parent),
 * about half older and half newer. `hasOlder` / `hasNewer` tell whether more exist either way.
 */
export async function list(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ListRequest,
): Promise<MessagePage> {
  const channelId = channelIdOf(input.channelId);
  const before = input.before;
  const after = input.after;
  const aroundId = input.around === undefined ? undefined : messageIdOf(input.around);
  return work.run(tenant, actor, async (db, t, me) => {
    await channelAccess(db, t, me, channelId);
    let around: number | undefined;
    if (aroundId !== undefined) {
      const [target] = await db
        .select({ id: t.messages.id, parentId: t.messages.parentId })
        .from(t.messages)
        .where(and(eq(t.messages.id, aroundId), eq(t.messages.channelId, channelId)));
      if (!target) throw messageNotFound();
      around = target.parentId ?? target.id;
    }
    const visible = and(
      eq(t.messages.channelId, channelId),
      isNull(t.messages.parentId),
      or(isNull(t.messages.deletedAt), gt(t.messages.replyCount, 0)),
    )!;
    return page(db, t, me.id, visible, { before, after, around, limit: input.limit ?? CHAT_LIMITS.pageSize });
  });
}

/** A thread: its parent and its replies (ascending, paged like `list`). */
export async function thread(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ThreadRequest,
): Promise<ThreadPage> {
  const parentId = messageIdOf(input.parentId);
  const before = input.before;
  const after = input.after;
  return work.run(tenant, actor, async (db, t, me) => {
    const { message } = await messageAccess(db, t, me, parentId);
    if (message.parentId !== null) throw messageNotFound();
    const [parent] = await messageViews(db, t, me.id, [message]);
    const visible = and(eq(t.messages.parentId, parentId), isNull(t.messages.deletedAt))!;
    const replies = await page(db, t, me.id, visible, {
      before,
      after,
      limit: input.limit ?? CHAT_LIMITS.pageSize,
    });
    return { parent: parent!, ...replies };
  });
}

/**
 * Adds my reaction with this emoji, or removes it if I had it (`reactions` feature; members only,
 * not in archived channels). Returns the message's reactions grouped by emoji.
 */
export async function react(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ReactRequest,
): Promise<{ reacted: boolean; reactions: ReactionView[] }> {
  requireFeature(tenant.features, "reactions");
  const messageId = messageIdOf(input.messageId);
  return work.write(tenant, actor, async (db, t, me) => {
    const access = await messageAccess(db, t, me, messageId);
    if (access.message.deletedAt) throw messageNotFound();
    assertCanPost(access);
    const mine = and(
      eq(t.reactions.messageId, messageId),
      eq(t.reactions.userId, me.id),
      eq(t.reactions.emoji, input.emoji),
    );
    const removed = await db.delete(t.reactions).where(mine).returning({ emoji: t.reactions.emoji });
    const reacted = removed.length === 0;
    if (reacted)
      await db
        .insert(t.reactions)
        .values({ messageId, userId: me.id, emoji: input.emoji })
        .onConflictDoNothing();
    const groups = (await reactionGroups(db, t, [messageId], me.id)).get(messageId) ?? [];
    await recordWebhookEvent(db, t, {
      type: reacted ? "reaction.added" : "reaction.removed",
      channelId: access.channel.id,
      data: { messageId, emoji: input.emoji, userId: me.id },
    });
    const event = await recordEvent(db, t, tenant, {
      type: "reactions.changed",
      channelId: access.channel.id,
      messageId,
      reactions: groups.map(({ me: _me, ...g }): ReactionGroup => g),
    });
    return { result: { reacted, reactions: groups }, events: [event] };
  });
}

// ─── Helpers (inside a tenant transaction) ──────────────────────────────────────────────────────

/** Stores the mentions of a message: members of its channel (active, not the author), @channel, @here. */
async function storeMentions(db: Tx, t: TenantTables, message: MessageRow) {
  const parsed = parseMentions(message.body);
  const rows: { messageId: number; channelId: string; userId: string | null; kind: string }[] = [];
  if (parsed.userIds.length > 0) {
    const members = await db
      .select({ id: t.channelMembers.userId })
      .from(t.channelMembers)
      .innerJoin(t.users, eq(t.users.id, t.channelMembers.userId))
      .where(
        and(
          eq(t.channelMembers.channelId, message.channelId),
          inArray(t.channelMembers.userId, parsed.userIds),
          isNull(t.users.deactivatedAt),
          message.userId ? ne(t.channelMembers.userId, message.userId) : undefined,
        ),
      );
    const found = new Set(members.map((m) => m.id));
    for (const id of parsed.userIds)
      if (found.has(id))
        rows.push({ messageId: message.id, channelId: message.channelId, userId: id, kind: "user" });
  }
  for (const kind of ["channel", "here"] as const)
    if (parsed[kind]) rows.push({ messageId: message.id, channelId: message.channelId, userId: null, kind });
  if (rows.length > 0) await db.insert(t.mentions).values(rows);
}

/** The value of a settled statement, or its error thrown. */
function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === "rejected") throw r.reason;
  return r.value;
}
