import type { TenantTables } from "@nchat/db";
import { and, eq, getTableColumns, inArray, isNotNull, isNull, or, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Role } from "../auth/permissions";
import type { AppError } from "../errors";
import { archivedChannel, channelNotFound, forbidden, memberNotFound, messageNotFound } from "./errors";
import type { Me, Tx } from "./unit-of-work";
import type { ChannelKind, ChatUserRef } from "./views";

/*
 * Who may see and do what in a channel. Visibility: a channel is readable when the caller is a
 * member, or when it is public and the caller is not a guest. Anything else — private channels and
 * DMs of others, unknown or malformed ids — is NOT_FOUND, never FORBIDDEN, so their existence is not
 * revealed. Admins get no view into private channels they are not in. Posting (messages, reactions,
 * typing) needs membership; archived channels are read-only (FORBIDDEN).
 */

export type ChannelRow = TenantTables["channels"]["$inferSelect"];
/** A message as chat reads it: every column but the search document (`search_vector`, search only). */
export type MessageRow = Omit<TenantTables["messages"]["$inferSelect"], "searchVector">;

/** The columns of MessageRow, for `select(…)` and `returning(…)`: never the search document. */
export function messageColumns(t: TenantTables) {
  const { searchVector: _, ...columns } = getTableColumns(t.messages);
  return columns;
}
export type Access = { me: Me; channel: ChannelRow; member: { role: string } | null };
export type MessageAccess = Access & { message: MessageRow };

const uuid = z.uuid();

function parseUuid(raw: string, notFound: () => AppError): string {
  const r = uuid.safeParse(raw);
  if (!r.success) throw notFound();
  return r.data.toLowerCase();
}

/** A channel id that may exist (a uuid, lowercased); anything else is no channel of ours. */
export const channelIdOf = (raw: string) => parseUuid(raw, channelNotFound);

/** A user id that may exist (a uuid, lowercased); anything else is no member of ours. */
export const userIdOf = (raw: string) => parseUuid(raw, memberNotFound);

/** A message id that may exist: a positive integer. Anything else is no message of ours. */
export function messageIdOf(raw: number): number {
  if (!Number.isSafeInteger(raw) || raw <= 0) throw messageNotFound();
  return raw;
}

export const canRead = (kind: ChannelKind, isMember: boolean, role: Role) =>
  isMember || (kind === "public" && role !== "guest");

/**
 * `canRead` for queries over many channels: the condition on `channels` left-joined to the caller's
 * own `channel_members` row (null when not a member). Lists and search use this, never a copy.
 */
export const readableChannel = (t: TenantTables, me: Me): SQL | undefined =>
  me.role === "guest"
    ? isNotNull(t.channelMembers.userId)
    : or(isNotNull(t.channelMembers.userId), eq(t.channels.kind, "public"));

/** The ids of the channels the caller may read (a subquery). */
export const readableChannelIds = (db: Tx, t: TenantTables, me: Me) =>
  db
    .select({ id: t.channels.id })
    .from(t.channels)
    .leftJoin(
      t.channelMembers,
      and(eq(t.channelMembers.channelId, t.channels.id), eq(t.channelMembers.userId, me.id)),
    )
    .where(readableChannel(t, me));

/** The channel if the caller may read it (NOT_FOUND otherwise), with their membership. */
export async function channelAccess(
  db: Tx,
  t: TenantTables,
  me: Me,
  channelId: string,
  opts: { lock?: boolean } = {},
): Promise<Access> {
  // Membership changes of one channel take turns (e.g. the last two members leaving at once).
  // NO KEY UPDATE, not UPDATE: inserts referencing the channel (messages, events: FK key-share
  // locks) must not wait on it, or a holder of the events lock could deadlock with this one.
  if (opts.lock)
    await db
      .select({ id: t.channels.id })
      .from(t.channels)
      .where(eq(t.channels.id, channelId))
      .for("no key update");
  const [row] = await db
    .select({ channel: t.channels, memberRole: t.channelMembers.role })
    .from(t.channels)
    .leftJoin(
      t.channelMembers,
      and(eq(t.channelMembers.channelId, t.channels.id), eq(t.channelMembers.userId, me.id)),
    )
    .where(eq(t.channels.id, channelId));
  if (!row) throw channelNotFound();
  const member = row.memberRole === null ? null : { role: row.memberRole };
  if (!canRead(row.channel.kind, member !== null, me.role)) throw channelNotFound();
  return { me, channel: row.channel, member };
}

/** A message in a channel the caller may read (NOT_FOUND otherwise). */
export async function messageAccess(
  db: Tx,
  t: TenantTables,
  me: Me,
  messageId: number,
): Promise<MessageAccess> {
  const [row] = await db
    .select({ message: messageColumns(t), channel: t.channels, memberRole: t.channelMembers.role })
    .from(t.messages)
    .innerJoin(t.channels, eq(t.channels.id, t.messages.channelId))
    .leftJoin(
      t.channelMembers,
      and(eq(t.channelMembers.channelId, t.channels.id), eq(t.channelMembers.userId, me.id)),
    )
    .where(eq(t.messages.id, messageId));
  if (!row) throw messageNotFound();
  const member = row.memberRole === null ? null : { role: row.memberRole };
  if (!canRead(row.channel.kind, member !== null, me.role)) throw messageNotFound();
  return { me, channel: row.channel, member, message: row.message };
}

/** Posting (messages, reactions, typing): members only, and not in an archived channel. */
export function assertCanPost({ channel, member }: Access) {
  if (!member) throw forbidden("Join this channel to post in it.");
  if (channel.archivedAt) throw archivedChannel();
}

/** These users, all active (service users only with `humansOnly: false`), or NOT_FOUND. */
export async function activeUsers(
  db: Tx,
  t: TenantTables,
  ids: string[],
  opts: { humansOnly?: boolean } = {},
): Promise<ChatUserRef[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const rows = await db
    .select({ id: t.users.id, name: t.users.name })
    .from(t.users)
    .where(
      and(
        inArray(t.users.id, unique),
        isNull(t.users.deactivatedAt),
        opts.humansOnly ? eq(t.users.isService, false) : undefined,
      ),
    );
  if (rows.length !== unique.length) throw memberNotFound();
  return rows;
}
