import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Actor } from "../audit/actor";
import { can } from "../auth/permissions";
import { AppError } from "../errors";
import { assertCanPost, channelAccess, channelIdOf, messageAccess, messageIdOf } from "./access";
import { forbidden, messageNotFound } from "./errors";
import { recordEvent } from "./events";
import { CHAT_LIMITS, type ChannelRefRequest, type MessageRefRequest } from "./inputs";
import { messageViews, selectMessages } from "./message-views";
import type { ChatTenant, ChatUnitOfWork } from "./unit-of-work";
import type { ChatUserRef, MessageView } from "./views";

/*
 * Pinned messages of a channel. Pinning and unpinning is for members of a channel they can post in
 * (not archived; access.ts), any member's message alike; the list is for anyone who can read the
 * channel. Each change records a `pins.changed` event (live for everyone who sees the channel) —
 * only when something changed. Deleting a message removes its pin (messages.ts).
 *
 * Not in the audit log: like the other changes of channel content (deleting someone's message,
 * archiving), a pin is visible in the channel itself, and the audit log holds workspace
 * administration.
 */

export type PinView = {
  messageId: number;
  channelId: string;
  pinnedAt: Date;
  pinnedBy: ChatUserRef | null;
  message: MessageView;
};

const tooManyPins = () =>
  new AppError(
    "LIMIT_EXCEEDED",
    `A channel holds at most ${CHAT_LIMITS.pinsPerChannel} pinned messages: unpin one first.`,
    { limit: CHAT_LIMITS.pinsPerChannel },
  );

/** Pins a message (members who can post in its channel). Pinning a pinned message changes nothing. */
export async function pin(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: MessageRefRequest,
): Promise<{ pinned: true; pinnedAt: Date }> {
  const messageId = messageIdOf(input.messageId);
  return work.write(tenant, actor, async (db, t, me) => {
    const access = await messageAccess(db, t, me, messageId);
    if (access.message.deletedAt) throw messageNotFound();
    if (!can(me.role, "messages:send")) throw forbidden();
    assertCanPost(access);
    const channelId = access.channel.id;
    // Pins of one channel take turns, so the bound holds under concurrent pins.
    await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`nchat:pins:${channelId}`}))`);
    const [existing] = await db
      .select({ pinnedAt: t.pins.pinnedAt })
      .from(t.pins)
      .where(eq(t.pins.messageId, messageId));
    if (existing) return { result: { pinned: true as const, pinnedAt: existing.pinnedAt }, events: [] };
    const [{ n } = { n: 0 }] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(t.pins)
      .where(eq(t.pins.channelId, channelId));
    if (n >= CHAT_LIMITS.pinsPerChannel) throw tooManyPins();
    const [row] = await db
      .insert(t.pins)
      .values({ messageId, channelId, pinnedBy: me.id })
      .returning({ pinnedAt: t.pins.pinnedAt });
    const event = await recordEvent(db, t, tenant, {
      type: "pins.changed",
      channelId,
      messageId,
      pinned: true,
      by: { id: me.id, name: me.name },
    });
    return { result: { pinned: true as const, pinnedAt: row!.pinnedAt }, events: [event] };
  });
}

/** Unpins a message (members who can post in its channel). Unpinning an unpinned one changes nothing. */
export async function unpin(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: MessageRefRequest,
): Promise<{ pinned: false }> {
  const messageId = messageIdOf(input.messageId);
  return work.write(tenant, actor, async (db, t, me) => {
    const access = await messageAccess(db, t, me, messageId);
    if (!can(me.role, "messages:send")) throw forbidden();
    assertCanPost(access);
    const removed = await db
      .delete(t.pins)
      .where(eq(t.pins.messageId, messageId))
      .returning({ messageId: t.pins.messageId });
    if (removed.length === 0) return { result: { pinned: false as const }, events: [] };
    const event = await recordEvent(db, t, tenant, {
      type: "pins.changed",
      channelId: access.channel.id,
      messageId,
      pinned: false,
      by: { id: me.id, name: me.name },
    });
    return { result: { pinned: false as const }, events: [event] };
  });
}

/** The pinned messages of a channel I can read, newest pin first (at most `pinsPerChannel`). */
export async function listPins(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ChannelRefRequest,
): Promise<{ pins: PinView[] }> {
  const channelId = channelIdOf(input.channelId);
  return work.run(tenant, actor, async (db, t, me) => {
    await channelAccess(db, t, me, channelId);
    const rows = await db
      .select({
        messageId: t.pins.messageId,
        pinnedAt: t.pins.pinnedAt,
        byId: t.users.id,
        byName: t.users.name,
      })
      .from(t.pins)
      .innerJoin(t.messages, eq(t.messages.id, t.pins.messageId))
      .leftJoin(t.users, eq(t.users.id, t.pins.pinnedBy))
      .where(and(eq(t.pins.channelId, channelId), isNull(t.messages.deletedAt)))
      .orderBy(desc(t.pins.pinnedAt), desc(t.pins.messageId))
      .limit(CHAT_LIMITS.pinsPerChannel);
    if (rows.length === 0) return { pins: [] };
    const views = await messageViews(
      db,
      t,
      me.id,
      await selectMessages(
        db,
        t,
        inArray(
          t.messages.id,
          rows.map((r) => r.messageId),
        ),
      ),
    );
    const byId = new Map(views.map((m) => [m.id, m]));
    return {
      pins: rows.flatMap((r) => {
        const message = byId.get(r.messageId);
        if (!message) return [];
        const pinnedBy = r.byId && r.byName !== null ? { id: r.byId, name: r.byName } : null;
        return [{ messageId: r.messageId, channelId, pinnedAt: r.pinnedAt, pinnedBy, message }];
      }),
    };
  });
}
