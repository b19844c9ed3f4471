import {
  type Database,
  isUniqueViolation,
  type TenantActor,
  type TenantRef,
  type TenantTables,
  type TenantTx,
  withTenant,
} from "@nchat/db";
import {
  and,
  asc,
  desc,
  eq,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  ne,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { z } from "zod";
import { attachmentsOf, linkToMessage } from "../attachments/attachment-service";
import { can, type Role } from "../auth/permissions";
import { AppError } from "../errors";
import { requireFeature } from "../limits/features";
import { assertWithinLimit } from "../limits/limits";
import type { UsageRecorder } from "../limits/usage";
import type { Actor } from "../services/actor";
import {
  type ChatEventPublisher,
  type DurableChatEvent,
  type ReactionGroup,
  recordEvent,
  type TrackedChatEvent,
} from "./events";
import {
  addMembersInput,
  CHAT_LIMITS,
  channelRefInput,
  createChannelInput,
  editInput,
  listChannelsInput,
  listInput,
  markReadInput,
  messageRefInput,
  notificationsInput,
  openDmInput,
  reactInput,
  removeMemberInput,
  sendInput,
  threadInput,
  updateChannelInput,
} from "./inputs";
import { parseMentions } from "./mentions";
import {
  type AttachmentView,
  type ChannelKind,
  type ChannelMemberView,
  type ChannelView,
  type ChatUserRef,
  type MessagePage,
  type MessageView,
  type NotificationPage,
  type NotificationView,
  type ReactionView,
  type ThreadPage,
  toPayload,
  type UnreadView,
} from "./views";

/** The tenant of a chat call: its ref plus the plan's features (from the resolver). */
export type ChatTenant = TenantRef & { features: Record<string, boolean> };

export type ChatServiceDeps = {
  db: Database;
  /** Delivers events live after commit (the realtime bus). */
  events: ChatEventPublisher;
  usage: Pick<UsageRecorder, "record">;
  log?: (msg: string, err?: unknown) => void;
};

type Tx = TenantTx["db"];
type ChannelRow = TenantTables["channels"]["$inferSelect"];
type MessageRow = TenantTables["messages"]["$inferSelect"];
type Me = { id: string; name: string; role: Role };
type Access = { me: Me; channel: ChannelRow; member: { role: string } | null };
type MessageAccess = Access & { message: MessageRow };
type Committed<T> = { result: T; events: TrackedChatEvent[] };

const uuid = z.uuid();

const channelNotFound = () => new AppError("NOT_FOUND", "No such channel.");
const messageNotFound = () => new AppError("NOT_FOUND", "No such message.");
const memberNotFound = () => new AppError("NOT_FOUND", "No such member in this workspace.");
const unauthorized = () => new AppError("UNAUTHORIZED", "Sign in to continue.");
const forbidden = (message = "You do not have permission to do this.") => new AppError("FORBIDDEN", message);
const nameTaken = (name: string) =>
  new AppError("CONFLICT", `A channel named "${name}" already exists.`, { name });
const archivedChannel = () => forbidden("This channel is archived: it is read-only. Unarchive it first.");

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new AppError("VALIDATION_FAILED", r.error.issues[0]?.message ?? "Invalid input.", {
    fields: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
  });
}

function parseUuid(raw: string, notFound: () => AppError): string {
  const r = uuid.safeParse(raw);
  if (!r.success) throw notFound();
  return r.data.toLowerCase();
}

/** A message id that may exist: a positive integer. Anything else is no message of ours. */
function parseMessageId(raw: number): number {
  if (!Number.isSafeInteger(raw) || raw <= 0) throw messageNotFound();
  return raw;
}

/** A pagination bound (need not be an existing message). */
function parseCursor(raw: number | null | undefined, name: string): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Number.isSafeInteger(raw) || raw < 0)
    throw new AppError("VALIDATION_FAILED", `${name} must be a message id.`, { fields: [{ path: name }] });
  return raw;
}

const canRead = (kind: ChannelKind, isMember: boolean, role: Role) =>
  isMember || (kind === "public" && role !== "guest");

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The chat of a tenant: channels (public, private, DMs), messages with threads, reactions and
 * mentions, and read state. Everything runs under the tenant's own role (`withTenant`).
 *
 * Rules that hold for every call:
 * - The caller is read from the tenant's users table in the same transaction (role as stored now;
 *   a removed member is UNAUTHORIZED at once). Moderation ("admin+") is `can(role, "channels:manage")`.
 * - Visibility: a channel is readable when the caller is a member, or when it is public and the
 *   caller is not a guest. Anything else — private channels and DMs of others, unknown or malformed
 *   ids — is NOT_FOUND, never FORBIDDEN, so their existence is not revealed. Admins get no view into
 *   private channels they are not in.
 * - Posting (messages, reactions, typing) needs membership; archived channels are read-only
 *   (FORBIDDEN), except that deleting a message is always possible for its author and admins.
 * - Every durable change records its event (chat/events.ts) as the transaction's last statement
 *   and publishes it after commit; a failed publish is logged (clients catch up from `events`).
 */
export class ChatService {
  constructor(private readonly deps: ChatServiceDeps) {}

  // ─── Channels ──────────────────────────────────────────────────────────────────────────────────

  /** My channels and DMs, plus (unless I am a guest) the public channels I may join. */
  async listChannels(
    tenant: ChatTenant,
    actor: Actor,
    request: unknown = {},
  ): Promise<{ channels: ChannelView[] }> {
    const input = parse(listChannelsInput, request);
    return this.run(tenant, actor, async (db, t, me) => {
      const channels = await channelViews(
        db,
        t,
        me,
        input.includeArchived ? undefined : isNull(t.channels.archivedAt),
      );
      const dms = channels.filter((c) => c.kind === "dm");
      const named = channels.filter((c) => c.kind !== "dm");
      named.sort(
        (a, b) => a.name.localeCompare(b.name, "en", { sensitivity: "base" }) || a.id.localeCompare(b.id),
      );
      dms.sort(
        (a, b) => (b.lastMessageAt ?? b.createdAt).getTime() - (a.lastMessageAt ?? a.createdAt).getTime(),
      );
      return { channels: [...named, ...dms] };
    });
  }

  async getChannel(tenant: ChatTenant, actor: Actor, request: unknown): Promise<ChannelView> {
    const channelId = parseUuid(parse(channelRefInput, request).channelId, channelNotFound);
    return this.run(tenant, actor, (db, t, me) => channelView(db, t, me, channelId));
  }

  /** The people in a channel, by name. */
  async channelMembers(
    tenant: ChatTenant,
    actor: Actor,
    request: unknown,
  ): Promise<{ members: ChannelMemberView[] }> {
    const channelId = parseUuid(parse(channelRefInput, request).channelId, channelNotFound);
    return this.run(tenant, actor, async (db, t, me) => {
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

  /**
   * Creates a public or private (`privateChannels` feature) channel; the creator is its owner. The
   * plan's channel limit is checked exactly, under the per-tenant limit lock, in this transaction.
   * A name the creator can see taken is CONFLICT; see assertChannelNameFree for the whole rule.
   */
  async createChannel(tenant: ChatTenant, actor: Actor, request: unknown): Promise<ChannelView> {
    const input = parse(createChannelInput, request);
    if (input.kind === "private") requireFeature(tenant.features, "privateChannels");
    const memberIds = input.memberIds.map((id) => parseUuid(id, memberNotFound));
    try {
      return await this.write(tenant, actor, async (db, t, me) => {
        if (!can(me.role, "channels:create")) throw forbidden("Guests cannot create channels.");
        await assertWithinLimit(db, tenant, "channels");
        await assertChannelNameFree(db, t, tenant, me, input.name);
        const [channel] = await db
          .insert(t.channels)
          .values({
            name: input.name,
            kind: input.kind,
            topic: input.topic ?? null,
            description: input.description ?? null,
            createdBy: me.id,
          })
          .returning();
        const others = await activeUsers(
          db,
          t,
          memberIds.filter((id) => id !== me.id),
        );
        await db
          .insert(t.channelMembers)
          .values([
            { channelId: channel!.id, userId: me.id, role: "owner" },
            ...others.map((u) => ({ channelId: channel!.id, userId: u.id })),
          ]);
        const view = await channelView(db, t, me, channel!.id);
        const event = await recordEvent(db, t, tenant, { type: "channel.updated", channelId: channel!.id });
        return { result: view, events: [event] };
      });
    } catch (err) {
      if (isUniqueViolation(err, "channels_public_name_key")) throw nameTaken(input.name);
      throw err;
    }
  }

  /**
   * Name, topic, description: the channel's owner or an admin. Not for DMs or archived channels.
   * A new name follows the creation rule (assertChannelNameFree).
   */
  async updateChannel(tenant: ChatTenant, actor: Actor, request: unknown): Promise<ChannelView> {
    const input = parse(updateChannelInput, request);
    const channelId = parseUuid(input.channelId, channelNotFound);
    try {
      return await this.write(tenant, actor, async (db, t, me) => {
        const { channel, member } = await channelAccess(db, t, me, channelId);
        if (channel.kind === "dm") throw forbidden("Direct messages have no name, topic or description.");
        if (member?.role !== "owner" && !can(me.role, "channels:manage"))
          throw forbidden("Only the channel's owner or a workspace admin can change it.");
        if (channel.archivedAt) throw archivedChannel();
        if (input.name !== undefined) await assertChannelNameFree(db, t, tenant, me, input.name, channelId);
        await db
          .update(t.channels)
          .set({
            ...(input.name !== undefined ? { name: input.name } : {}),
            ...(input.topic !== undefined ? { topic: input.topic } : {}),
            ...(input.description !== undefined ? { description: input.description } : {}),
            updatedAt: new Date(),
          })
          .where(eq(t.channels.id, channelId));
        const view = await channelView(db, t, me, channelId);
        const event = await recordEvent(db, t, tenant, { type: "channel.updated", channelId });
        return { result: view, events: [event] };
      });
    } catch (err) {
      if (isUniqueViolation(err, "channels_public_name_key")) throw nameTaken(input.name ?? "");
      throw err;
    }
  }

  /** Archives a channel (read-only, hidden from lists unless asked for): an admin or its creator. */
  archiveChannel(tenant: ChatTenant, actor: Actor, request: unknown): Promise<ChannelView> {
    return this.setArchived(tenant, actor, request, true);
  }

  unarchiveChannel(tenant: ChatTenant, actor: Actor, request: unknown): Promise<ChannelView> {
    return this.setArchived(tenant, actor, request, false);
  }

  private async setArchived(
    tenant: ChatTenant,
    actor: Actor,
    request: unknown,
    archived: boolean,
  ): Promise<ChannelView> {
    const channelId = parseUuid(parse(channelRefInput, request).channelId, channelNotFound);
    return this.write(tenant, actor, async (db, t, me) => {
      const { channel } = await channelAccess(db, t, me, channelId, { lock: true });
      if (channel.kind === "dm") throw forbidden("Direct messages cannot be archived.");
      if (channel.createdBy !== me.id && !can(me.role, "channels:manage"))
        throw forbidden(
          `Only a workspace admin or the channel's creator can ${archived ? "archive" : "unarchive"} it.`,
        );
      if (Boolean(channel.archivedAt) === archived)
        return { result: await channelView(db, t, me, channelId), events: [] };
      const now = new Date();
      await db
        .update(t.channels)
        .set({ archivedAt: archived ? now : null, updatedAt: now })
        .where(eq(t.channels.id, channelId));
      const view = await channelView(db, t, me, channelId);
      const event = await recordEvent(db, t, tenant, { type: "channel.updated", channelId });
      return { result: view, events: [event] };
    });
  }

  /** Joins a public channel (not guests: they cannot see channels they are not in). Idempotent. */
  async joinChannel(tenant: ChatTenant, actor: Actor, request: unknown): Promise<ChannelView> {
    const channelId = parseUuid(parse(channelRefInput, request).channelId, channelNotFound);
    return this.write(tenant, actor, async (db, t, me) => {
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
  async leaveChannel(tenant: ChatTenant, actor: Actor, request: unknown): Promise<{ ok: true }> {
    const channelId = parseUuid(parse(channelRefInput, request).channelId, channelNotFound);
    return this.write(tenant, actor, async (db, t, me) => {
      const access = await channelAccess(db, t, me, channelId, { lock: true });
      return { result: { ok: true as const }, events: await leave(db, t, tenant, access) };
    });
  }

  /**
   * Adds people to a channel (public or private): any non-guest member of it, or an admin who can
   * see it. Unknown or removed users are NOT_FOUND. Returns who was actually added.
   */
  async addMembers(tenant: ChatTenant, actor: Actor, request: unknown): Promise<{ added: string[] }> {
    const input = parse(addMembersInput, request);
    const channelId = parseUuid(input.channelId, channelNotFound);
    const userIds = [...new Set(input.userIds.map((id) => parseUuid(id, memberNotFound)))];
    return this.write(tenant, actor, async (db, t, me) => {
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
  async removeMember(tenant: ChatTenant, actor: Actor, request: unknown): Promise<{ ok: true }> {
    const input = parse(removeMemberInput, request);
    const channelId = parseUuid(input.channelId, channelNotFound);
    const userId = parseUuid(input.userId, memberNotFound);
    return this.write(tenant, actor, async (db, t, me) => {
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
  async openDm(tenant: ChatTenant, actor: Actor, request: unknown): Promise<ChannelView> {
    requireFeature(tenant.features, "directMessages");
    const input = parse(openDmInput, request);
    const ids = input.userIds.map((id) => parseUuid(id, memberNotFound));
    return this.write(tenant, actor, async (db, t, me) => {
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

  // ─── Messages ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Posts a message (members only; not in archived channels). With `parentId` it is a thread reply
   * (`threads` feature): the parent must be a top-level message of the channel, and its reply
   * count and last reply time change in the same transaction. Mentions are parsed from the body.
   */
  async send(tenant: ChatTenant, actor: Actor, request: unknown): Promise<MessageView> {
    const input = parse(sendInput, request);
    const channelId = parseUuid(input.channelId, channelNotFound);
    const parentId = input.parentId == null ? null : parseMessageId(input.parentId);
    if (parentId !== null) requireFeature(tenant.features, "threads");
    const message = await this.write(tenant, actor, async (db, t, me) => {
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
                .select()
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
          db.insert(t.messages).values({ channelId, userId: me.id, parentId, body: input.body }).returning(),
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
      const files = await linkToMessage(db, t, input.attachmentIds, row!.id, me.id);
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
    this.deps.usage.record(tenant, { messagesSent: 1 });
    return message;
  }

  /** Edits one's own message (members, not archived); `editedAt` is set and mentions re-parsed. */
  async edit(tenant: ChatTenant, actor: Actor, request: unknown): Promise<MessageView> {
    const input = parse(editInput, request);
    const messageId = parseMessageId(input.messageId);
    return this.write(tenant, actor, async (db, t, me) => {
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
        .returning();
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
   * set and the body becomes "" — the content is gone; its reactions and mentions go too. A reply's
   * thread counts are updated. A deleted top-level message stays listed only while it has replies.
   */
  async delete(tenant: ChatTenant, actor: Actor, request: unknown): Promise<{ ok: true }> {
    const messageId = parseMessageId(parse(messageRefInput, request).messageId);
    return this.write(tenant, actor, async (db, t, me) => {
      const { message } = await messageAccess(db, t, me, messageId);
      if (message.deletedAt) throw messageNotFound();
      if (message.userId !== me.id && !can(me.role, "channels:manage"))
        throw forbidden("You can only delete your own messages.");
      const [row] = await db
        .update(t.messages)
        .set({ body: "", deletedAt: new Date() })
        .where(and(eq(t.messages.id, messageId), isNull(t.messages.deletedAt)))
        .returning();
      if (!row) throw messageNotFound();
      await db.delete(t.reactions).where(eq(t.reactions.messageId, messageId));
      await db.delete(t.mentions).where(eq(t.mentions.messageId, messageId));
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
  async list(tenant: ChatTenant, actor: Actor, request: unknown): Promise<MessagePage> {
    const input = parse(listInput, request);
    const channelId = parseUuid(input.channelId, channelNotFound);
    const before = parseCursor(input.before, "before");
    const after = parseCursor(input.after, "after");
    const aroundId = input.around === undefined ? undefined : parseMessageId(input.around);
    return this.run(tenant, actor, async (db, t, me) => {
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
      return page(db, t, me.id, visible, { before, after, around, limit: input.limit });
    });
  }

  /** A thread: its parent and its replies (ascending, paged like `list`). */
  async thread(tenant: ChatTenant, actor: Actor, request: unknown): Promise<ThreadPage> {
    const input = parse(threadInput, request);
    const parentId = parseMessageId(input.parentId);
    const before = parseCursor(input.before, "before");
    const after = parseCursor(input.after, "after");
    return this.run(tenant, actor, async (db, t, me) => {
      const { message } = await messageAccess(db, t, me, parentId);
      if (message.parentId !== null) throw messageNotFound();
      const [parent] = await messageViews(db, t, me.id, [message]);
      const visible = and(eq(t.messages.parentId, parentId), isNull(t.messages.deletedAt))!;
      const replies = await page(db, t, me.id, visible, { before, after, limit: input.limit });
      return { parent: parent!, ...replies };
    });
  }

  /**
   * Adds my reaction with this emoji, or removes it if I had it (`reactions` feature; members only,
   * not in archived channels). Returns the message's reactions grouped by emoji.
   */
  async react(
    tenant: ChatTenant,
    actor: Actor,
    request: unknown,
  ): Promise<{ reacted: boolean; reactions: ReactionView[] }> {
    requireFeature(tenant.features, "reactions");
    const input = parse(reactInput, request);
    const messageId = parseMessageId(input.messageId);
    return this.write(tenant, actor, async (db, t, me) => {
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
      const event = await recordEvent(db, t, tenant, {
        type: "reactions.changed",
        channelId: access.channel.id,
        messageId,
        reactions: groups.map(({ me: _me, ...g }): ReactionGroup => g),
      });
      return { result: { reacted, reactions: groups }, events: [event] };
    });
  }

  /**
   * My mentions, newest first: messages (not mine, not deleted) in channels I can read that name me
   * or say @channel/@here in a channel I am in. One item per message. Page on with `nextCursor`.
   */
  async notifications(tenant: ChatTenant, actor: Actor, request: unknown = {}): Promise<NotificationPage> {
    const input = parse(notificationsInput, request);
    const cursor = parseCursor(input.cursor, "cursor");
    return this.run(tenant, actor, async (db, t, me) => {
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
        limit ${input.limit + 1}`);
      const pageRows = rows.slice(0, input.limit);
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
          await channelViews(
            db,
            t,
            me,
            inArray(t.channels.id, [...new Set(messages.map((m) => m.channelId))]),
          )
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
      return { items, nextCursor: rows.length > input.limit ? ids[ids.length - 1]! : null };
    });
  }

  // ─── Read state, typing ────────────────────────────────────────────────────────────────────────

  /**
   * Moves my read position in a channel forward to this message (never backwards). Publishes an
   * ephemeral `read.updated` (for my other tabs) when it moved.
   */
  async markRead(tenant: ChatTenant, actor: Actor, request: unknown): Promise<{ lastReadMessageId: number }> {
    const input = parse(markReadInput, request);
    const channelId = parseUuid(input.channelId, channelNotFound);
    const messageId = parseMessageId(input.messageId);
    const { result, moved, userId } = await this.run(tenant, actor, async (db, t, me) => {
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
      await this.publish(tenant, [
        { type: "read.updated", channelId, userId, lastReadMessageId: result.lastReadMessageId, id: null },
      ]);
    return result;
  }

  /**
   * Per channel I am in (not archived): unread top-level messages and messages mentioning me after
   * my read position, excluding my own and deleted ones — one query. Before I first mark a channel
   * read, only messages since I joined it count.
   */
  async unreadCounts(tenant: ChatTenant, actor: Actor): Promise<{ channels: UnreadView[] }> {
    return this.run(tenant, actor, async (db, t, me) => {
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
  async typing(tenant: ChatTenant, actor: Actor, request: unknown): Promise<{ ok: true }> {
    const channelId = parseUuid(parse(channelRefInput, request).channelId, channelNotFound);
    const me = await this.run(tenant, actor, async (db, t, me) => {
      assertCanPost(await channelAccess(db, t, me, channelId));
      return me;
    });
    await this.publish(tenant, [{ type: "typing", channelId, user: { id: me.id, name: me.name }, id: null }]);
    return { ok: true };
  }

  // ─── Plumbing ──────────────────────────────────────────────────────────────────────────────────

  /** A unit of work as the calling user (read from the tenant's users table first). */
  private run<T>(tenant: ChatTenant, actor: Actor, fn: (db: Tx, t: TenantTables, me: Me) => Promise<T>) {
    return withTenant(
      this.deps.db,
      tenant,
      async ({ db, t }) => fn(db, t, await currentUser(db, t, actor)),
      tenantActor(actor),
    );
  }

  /** A durable change: commits, then publishes the events it recorded (last in its transaction). */
  private async write<T>(
    tenant: ChatTenant,
    actor: Actor,
    fn: (db: Tx, t: TenantTables, me: Me) => Promise<Committed<T>>,
  ): Promise<T> {
    const { result, events } = await this.run(tenant, actor, fn);
    await this.publish(tenant, events);
    return result;
  }

  private async publish(tenant: TenantRef, events: TrackedChatEvent[]) {
    const ref: TenantRef = { id: tenant.id, schemaName: tenant.schemaName, dbRole: tenant.dbRole };
    for (const event of events) {
      try {
        await this.deps.events.publish(ref, event);
      } catch (err) {
        // Committed already; durable events are replayed from the `events` table on reconnect.
        this.deps.log?.(`chat: publishing ${event.type} failed`, err);
      }
    }
  }
}

/** A publisher that delivers nothing (until the realtime bus is wired in). */
export const noopChatEventPublisher: ChatEventPublisher = { publish: async () => {} };

// ─── Helpers (inside a tenant transaction) ──────────────────────────────────────────────────────

function tenantActor(actor: Actor): TenantActor {
  return { userId: actor.id, userRole: actor.role };
}

/** The caller as stored now: an active user of this tenant, or UNAUTHORIZED. */
async function currentUser(db: Tx, t: TenantTables, actor: Actor): Promise<Me> {
  if (!actor.id || !uuid.safeParse(actor.id).success) throw unauthorized();
  const [row] = await db
    .select({ id: t.users.id, name: t.users.name, role: t.users.role })
    .from(t.users)
    .where(and(eq(t.users.id, actor.id), isNull(t.users.deactivatedAt)));
  if (!row) throw unauthorized();
  return row;
}

/** The channel if the caller may read it (NOT_FOUND otherwise), with their membership. */
async function channelAccess(
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

/**
 * The rule for channel names (create and rename alike), case-insensitive, DMs aside:
 *
 * A name is refused (CONFLICT) only when it is taken by a channel the actor can SEE: any public
 * channel (a guest sees only those they are in), or a private channel the actor is a member of. A
 * private channel the actor cannot see never makes a name unavailable — refusing it would tell them
 * that a private channel of that name exists. So two private channels, or a private and a public one,
 * may share a name; two public channels may not (a unique index, `channels_public_name_key`: every
 * member who may create a channel sees every public one, so the index itself reveals nothing).
 *
 * The rule bounds what an actor creates, not what they may come to see: someone added to a private
 * channel later can find two channels of one name in their list (the lock icon and the members tell
 * them apart). Checks of one name take turns (a transaction-scoped advisory lock per tenant and
 * name), so two concurrent creates of the same private name by one person cannot both pass.
 */
async function assertChannelNameFree(
  db: Tx,
  t: TenantTables,
  tenant: TenantRef,
  me: Me,
  name: string,
  renaming?: string,
): Promise<void> {
  await db.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`nchat:channel-name:${tenant.id}:`} || lower(${name}), 0))`,
  );
  const c = t.channels;
  const cm = t.channelMembers;
  const visible = me.role === "guest" ? isNotNull(cm.userId) : or(isNotNull(cm.userId), eq(c.kind, "public"));
  const [taken] = await db
    .select({ id: c.id })
    .from(c)
    .leftJoin(cm, and(eq(cm.channelId, c.id), eq(cm.userId, me.id)))
    .where(
      and(
        sql`lower(${c.name}) = lower(${name})`,
        ne(c.kind, "dm"),
        visible,
        renaming ? ne(c.id, renaming) : undefined,
      ),
    )
    .limit(1);
  if (taken) throw nameTaken(name);
}

/** A message in a channel the caller may read (NOT_FOUND otherwise). */
async function messageAccess(db: Tx, t: TenantTables, me: Me, messageId: number): Promise<MessageAccess> {
  const [row] = await db
    .select({ message: t.messages, channel: t.channels, memberRole: t.channelMembers.role })
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

function assertCanPost({ channel, member }: Access) {
  if (!member) throw forbidden("Join this channel to post in it.");
  if (channel.archivedAt) throw archivedChannel();
}

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

/** These users, all active (service users only with `humansOnly: false`), or NOT_FOUND. */
async function activeUsers(
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

/** Channels the caller may read (optionally filtered), as they see them. */
async function channelViews(db: Tx, t: TenantTables, me: Me, where?: SQL): Promise<ChannelView[]> {
  const c = t.channels;
  const cm = t.channelMembers;
  const readable =
    me.role === "guest" ? isNotNull(cm.userId) : or(isNotNull(cm.userId), eq(c.kind, "public"));
  const rows = await db
    .select({
      channel: c,
      myRole: cm.role,
      // As channelMembers lists them: removed (deactivated) people are not counted.
      memberCount: sql<number>`(select count(*)::int from ${cm} mc join ${t.users} mu on mu.id = mc.user_id
        where mc.channel_id = ${c.id} and mu.deactivated_at is null)`,
    })
    .from(c)
    .leftJoin(cm, and(eq(cm.channelId, c.id), eq(cm.userId, me.id)))
    .where(and(readable, where));
  const dmIds = rows.filter((r) => r.channel.kind === "dm").map((r) => r.channel.id);
  const dmPeople = new Map<string, ChatUserRef[]>();
  if (dmIds.length > 0) {
    const people = await db
      .select({ channelId: cm.channelId, id: t.users.id, name: t.users.name })
      .from(cm)
      .innerJoin(t.users, eq(t.users.id, cm.userId))
      .where(inArray(cm.channelId, dmIds))
      .orderBy(sql`lower(${t.users.name})`, asc(t.users.id));
    for (const p of people) {
      const list = dmPeople.get(p.channelId) ?? [];
      list.push({ id: p.id, name: p.name });
      dmPeople.set(p.channelId, list);
    }
  }
  return rows.map(({ channel, myRole, memberCount }) => {
    const people = channel.kind === "dm" ? (dmPeople.get(channel.id) ?? []) : null;
    const others = people?.filter((p) => p.id !== me.id) ?? [];
    return {
      id: channel.id,
      name: people ? others.map((p) => p.name).join(", ") || me.name : channel.name,
      kind: channel.kind,
      topic: channel.topic,
      description: channel.description,
      isDefault: channel.isDefault,
      createdBy: channel.createdBy,
      archivedAt: channel.archivedAt,
      lastMessageAt: channel.lastMessageAt,
      createdAt: channel.createdAt,
      updatedAt: channel.updatedAt,
      memberCount,
      isMember: myRole !== null,
      myRole,
      dmMembers: people,
    };
  });
}

async function channelView(db: Tx, t: TenantTables, me: Me, channelId: string): Promise<ChannelView> {
  const [view] = await channelViews(db, t, me, eq(t.channels.id, channelId));
  if (!view) throw channelNotFound();
  return view;
}

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

/** A second reference to the messages table (for correlated subqueries). */
function alias(t: TenantTables, name: string) {
  return sql`${t.messages} ${sql.raw(name)}`;
}

function selectMessages(db: Tx, t: TenantTables, where: SQL | undefined) {
  return db.select().from(t.messages).where(where);
}

function messageView(
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
async function messageViews(
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
async function reactionGroups(
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
async function page(
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
