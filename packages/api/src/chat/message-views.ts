import type { TenantTables } from "@nchat/db";
import { and, asc, desc, gt, gte, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import { attachmentsOf } from "../attachments/attachment-service";
import { type MessageRow, messageColumns } from "./access";
import type { Tx } from "./unit-of-work";
import type { AttachmentView, ChatUserRef, MessagePage, MessageView, ReactionView } from "./views";

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A second reference to the messages table (for correlated subqueries). */
export function alias(t: TenantTables, name: string) {
  return sql`${t.messages} ${sql.raw(name)}`;
}

export function selectMessages(db: Tx, t: TenantTables, where: SQL | undefined) {
  return db.select(messageColumns(t)).from(t.messages).where(where);
}

export function messageView(
  m: MessageRow,
  author: ChatUserRef | null,
  reactions: ReactionView[],
  attachments: AttachmentView[],
): MessageView {
  const deleted = m.deletedAt !== null;
  return {
    id: m.id,
    channelId: m.channelId,
    parentId: m.parentId,
    author,
    body: deleted ? "" : m.body,
    replyCount: m.replyCount,
    lastReplyAt: m.lastReplyAt,
    editedAt: m.editedAt,
    deletedAt: m.deletedAt,
    createdAt: m.createdAt,
    attachments: deleted ? [] : attachments,
    reactions: deleted ? [] : reactions,
  };
}

/** Messages with authors, reactions (as the viewer sees them) and attachments: three more queries. */
export async function messageViews(
  db: Tx,
  t: TenantTables,
  viewer: string,
  rows: MessageRow[],
): Promise<MessageView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const authorIds = [...new Set(rows.flatMap((r) => (r.userId ? [r.userId] : [])))];
  // Three independent reads, pipelined in one round trip.
  const [authorRows, reactions, attachments] = await Promise.all([
    authorIds.length > 0
      ? Promise.resolve(
          db
            .select({ id: t.users.id, name: t.users.name })
            .from(t.users)
            .where(inArray(t.users.id, authorIds)),
        )
      : [],
    reactionGroups(db, t, ids, viewer),
    attachmentsOf(db, t, ids),
  ]);
  const authors = new Map<string, ChatUserRef>(authorRows.map((u) => [u.id, u]));
  return rows.map((m) =>
    messageView(
      m,
      (m.userId && authors.get(m.userId)) || null,
      reactions.get(m.id) ?? [],
      attachments.get(m.id) ?? [],
    ),
  );
}

/** Reactions of these messages grouped by emoji, in order of first use, with whether the viewer reacted. */
export async function reactionGroups(
  db: Tx,
  t: TenantTables,
  messageIds: number[],
  viewer: string,
): Promise<Map<number, ReactionView[]>> {
  const r = t.reactions;
  const rows = await db
    .select({
      messageId: r.messageId,
      emoji: r.emoji,
      count: sql<number>`count(*)::int`,
      userIds: sql<string[]>`array_agg(${r.userId}::text order by ${r.createdAt}, ${r.userId})`,
    })
    .from(r)
    .where(inArray(r.messageId, messageIds))
    .groupBy(r.messageId, r.emoji)
    .orderBy(sql`min(${r.createdAt})`, asc(r.emoji));
  const out = new Map<number, ReactionView[]>();
  for (const row of rows) {
    const list = out.get(row.messageId) ?? [];
    list.push({ emoji: row.emoji, count: row.count, userIds: row.userIds, me: row.userIds.includes(viewer) });
    out.set(row.messageId, list);
  }
  return out;
}

/** One page of the messages matching `visible`, ascending, with whether more exist either way. */
export async function page(
  db: Tx,
  t: TenantTables,
  viewer: string,
  visible: SQL,
  opts: { before?: number; after?: number; around?: number; limit: number },
): Promise<MessagePage> {
  const m = t.messages;
  const older = (bound: SQL | undefined, n: number) =>
    selectMessages(db, t, and(visible, bound))
      .orderBy(desc(m.id))
      .limit(n + 1);
  const newer = (bound: SQL | undefined, n: number) =>
    selectMessages(db, t, and(visible, bound))
      .orderBy(asc(m.id))
      .limit(n + 1);
  const exists = async (bound: SQL) =>
    (await db.select({ id: m.id }).from(m).where(and(visible, bound)).limit(1)).length > 0;

  const { before, after, around, limit } = opts;
  let rows: MessageRow[];
  let hasOlder: boolean;
  let hasNewer: boolean;
  if (around !== undefined) {
    const olderCount = Math.floor((limit - 1) / 2);
    const newerCount = limit - olderCount; // the target included
    const o = await older(lt(m.id, around), olderCount);
    const n = await newer(gte(m.id, around), newerCount);
    hasOlder = o.length > olderCount;
    hasNewer = n.length > newerCount;
    rows = [...o.slice(0, olderCount).reverse(), ...n.slice(0, newerCount)];
  } else if (after !== undefined) {
    const n = await newer(gt(m.id, after), limit);
    hasNewer = n.length > limit;
    rows = n.slice(0, limit);
    hasOlder = await exists(lte(m.id, after));
  } else {
    const o = await older(before === undefined ? undefined : lt(m.id, before), limit);
    hasOlder = o.length > limit;
    rows = o.slice(0, limit).reverse();
    hasNewer = before !== undefined && (await exists(gte(m.id, before)));
  }
  return { messages: await messageViews(db, t, viewer, rows), hasOlder, hasNewer };
}
