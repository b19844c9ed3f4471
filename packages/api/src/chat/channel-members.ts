import type { TenantRef, TenantTables } from "@nchat/db";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Actor } from "../audit/actor";
import { can } from "../auth/permissions";
import { AppError } from "../errors";
import { requireFeature } from "../limits/features";
import { type Access, activeUsers, channelAccess, channelIdOf, userIdOf } from "./access";
import { channelView } from "./channel-views";
import { archivedChannel, forbidden } from "./errors";
import { recordEvent } from "./events";
import {
  type AddMembersRequest,
  CHAT_LIMITS,
  type ChannelRefRequest,
  type OpenDmRequest,
  type RemoveMemberRequest,
} from "./inputs";
import type { ChatTenant, ChatUnitOfWork, Tx } from "./unit-of-work";
import type { ChannelMemberView, ChannelView } from "./views";

/*
 * Who is in a channel: the member list, joining and leaving, adding and removing people, and DMs
 * (whose people are fixed when they are opened). Every call runs in a ChatUnitOfWork.
 */

/** The people in a channel, by name. */
export async function channelMembers(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ChannelRefRequest,
): Promise<{ members: ChannelMemberView[] }> {
  const channelId = channelIdOf(input.channelId);
  return work.run(tenant, actor, async (db, t, me) => {
    await channelAccess(db, t, me, channelId);
    const members = await db
      .select({
        id: t.users.id,
        name: t.users.name,
        avatarUrl: t.users.avatarUrl,
        role: t.users.role,
        channelRole: t.channelMembers.role,
        joinedAt: t.channelMembers.joinedAt,
      })
      .from(t.channelMembers)
      .innerJoin(t.users, eq(t.users.id, t.channelMembers.userId))
      .where(and(eq(t.channelMembers.channelId, channelId), isNull(t.users.deactivatedAt)))
      .orderBy(sql`lower(${t.users.name})`, asc(t.users.id));
    return { members };
  });
}

/** Joins a public channel (not guests: they cannot see channels they are not in). Idempotent. */
export async function joinChannel(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ChannelRefRequest,
): Promise<ChannelView> {
  const channelId = channelIdOf(input.channelId);
  return work.write(tenant, actor, async (db, t, me) => {
    const { channel, member } = await channelAccess(db, t, me, channelId, { lock: true });
    if (member) return { result: await channelView(db, t, me, channelId), events: [] };
    if (channel.archivedAt) throw archivedChannel();
    await db.insert(t.channelMembers).values({ channelId, userId: me.id }).onConflictDoNothing();
    const view = await channelView(db, t, me, channelId);
    const event = await recordEvent(db, t, tenant, { type: "channel.updated", channelId });
    return { result: view, events: [event] };
  });
}

/**
 * Leaves a channel. Not a DM (its people are fixed), and not as the last member of a private
 * channel (nobody could see it again: archive it instead). Leaving a channel one is not in: no-op.
 */
export async function leaveChannel(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ChannelRefRequest,
): Promise<{ ok: true }> {
  const channelId = channelIdOf(input.channelId);
  return work.write(tenant, actor, async (db, t, me) => {
    const access = await channelAccess(db, t, me, channelId, { lock: true });
    return { result: { ok: true as const }, events: await leave(db, t, tenant, access) };
  });
}

/**
 * Adds people to a channel (public or private): any non-guest member of it, or an admin who can
 * see it. Unknown or removed users are NOT_FOUND. Returns who was actually added.
 */
export async function addMembers(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: AddMembersRequest,
): Promise<{ added: string[] }> {
  const channelId = channelIdOf(input.channelId);
  const userIds = [...new Set(input.userIds.map((id) => userIdOf(id)))];
  return work.write(tenant, actor, async (db, t, me) => {
    const { channel, member } = await channelAccess(db, t, me, channelId, { lock: true });
    if (channel.kind === "dm") throw forbidden("The people in a direct message cannot change.");
    if (!(member && can(me.role, "channels:create")) && !can(me.role, "channels:manage"))
      throw forbidden("Only members of this channel can add people to it.");
    if (channel.archivedAt) throw archivedChannel();
    const users = await activeUsers(db, t, userIds);
    const added = await db
      .insert(t.channelMembers)
      .values(users.map((u) => ({ channelId, userId: u.id })))
      .onConflictDoNothing()
      .returning({ userId: t.channelMembers.userId });
    if (added.length === 0) return { result: { added: [] }, events: [] };
    const event = await recordEvent(db, t, tenant, { type: "channel.updated", channelId });
    return { result: { added: added.map((a) => a.userId) }, events: [event] };
  });
}

/** Removes someone from a channel: its owner or an admin (removing oneself is leaving). */
export async function removeMember(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: RemoveMemberRequest,
): Promise<{ ok: true }> {
  const channelId = channelIdOf(input.channelId);
  const userId = userIdOf(input.userId);
  return work.write(tenant, actor, async (db, t, me) => {
    const access = await channelAccess(db, t, me, channelId, { lock: true });
    if (userId === me.id)
      return { result: { ok: true as const }, events: await leave(db, t, tenant, access) };
    if (access.channel.kind === "dm") throw forbidden("The people in a direct message cannot change.");
    if (access.member?.role !== "owner" && !can(me.role, "channels:manage"))
      throw forbidden("Only the channel's owner or a workspace admin can remove people from it.");
    const removed = await db
      .delete(t.channelMembers)
      .where(and(eq(t.channelMembers.channelId, channelId), eq(t.channelMembers.userId, userId)))
      .returning({ userId: t.channelMembers.userId });
    if (removed.length === 0) throw new AppError("NOT_FOUND", "This person is not in the channel.");
    const event = await recordEvent(db, t, tenant, { type: "channel.updated", channelId });
    return { result: { ok: true as const }, events: [event] };
  });
}

/**
 * The DM of exactly these people (the caller included; 2..8 in all), created on first use. The
 * same set of people always gets the same DM (`dm_key` = their sorted ids). DMs do not count
 * against the plan's channel limit. Needs the `directMessages` feature.
 */
export async function openDm(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: OpenDmRequest,
): Promise<ChannelView> {
  requireFeature(tenant.features, "directMessages");
  const ids = input.userIds.map((id) => userIdOf(id));
  return work.write(tenant, actor, async (db, t, me) => {
    const people = [...new Set([me.id, ...ids])].sort();
    if (people.length < 2) throw new AppError("VALIDATION_FAILED", "Choose someone else to message.");
    if (people.length > CHAT_LIMITS.dmPeople)
      throw new AppError(
        "VALIDATION_FAILED",
        `A direct message holds at most ${CHAT_LIMITS.dmPeople} people, you included.`,
      );
    await activeUsers(db, t, people, { humansOnly: true });
    const dmKey = people.join(",");
    const [created] = await db
      .insert(t.channels)
      .values({ name: "dm", kind: "dm", dmKey, createdBy: me.id })
      .onConflictDoNothing({ target: t.channels.dmKey })
      .returning({ id: t.channels.id });
    if (!created) {
      const [existing] = await db
        .select({ id: t.channels.id })
        .from(t.channels)
        .where(eq(t.channels.dmKey, dmKey));
      if (!existing) throw new AppError("INTERNAL", "The direct message could not be opened.");
      return { result: await channelView(db, t, me, existing.id), events: [] };
    }
    await db.insert(t.channelMembers).values(people.map((userId) => ({ channelId: created.id, userId })));
    const view = await channelView(db, t, me, created.id);
    const event = await recordEvent(db, t, tenant, { type: "channel.updated", channelId: created.id });
    return { result: view, events: [event] };
  });
}

// ─── Helpers (inside a tenant transaction) ──────────────────────────────────────────────────────

/** Leaves the channel of `access` (locked by the caller); returns the events to publish. */
async function leave(db: Tx, t: TenantTables, tenant: TenantRef, { me, channel, member }: Access) {
  if (channel.kind === "dm") throw forbidden("You cannot leave a direct message.");
  if (!member) return [];
  if (channel.kind === "private") {
    const [n] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(t.channelMembers)
      .where(eq(t.channelMembers.channelId, channel.id));
    if ((n?.n ?? 0) <= 1)
      throw forbidden("You are the last member of this private channel: archive it instead of leaving.");
  }
  await db
    .delete(t.channelMembers)
    .where(and(eq(t.channelMembers.channelId, channel.id), eq(t.channelMembers.userId, me.id)));
  return [await recordEvent(db, t, tenant, { type: "channel.updated", channelId: channel.id })];
}
