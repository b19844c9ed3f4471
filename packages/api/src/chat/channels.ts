import { isUniqueViolation, type TenantRef, type TenantTables } from "@nchat/db";
import { and, eq, isNotNull, isNull, ne, or, sql } from "drizzle-orm";
import type { Actor } from "../audit/actor";
import { can } from "../auth/permissions";
import { requireFeature } from "../limits/features";
import { assertWithinLimit } from "../limits/limits";
import { recordWebhookEvent } from "../webhooks/events";
import { activeUsers, channelAccess, channelIdOf, userIdOf } from "./access";
import { channelView, channelViews } from "./channel-views";
import { archivedChannel, forbidden, nameTaken } from "./errors";
import { recordEvent } from "./events";
import type {
  ChannelRefRequest,
  CreateChannelRequest,
  ListChannelsRequest,
  UpdateChannelRequest,
} from "./inputs";
import type { ChatTenant, ChatUnitOfWork, Me, Tx } from "./unit-of-work";
import type { ChannelView } from "./views";

/*
 * Channels: list, read, create, rename, archive and unarchive. Who may see a channel is decided in
 * access.ts; who is in it, in channel-members.ts. Every call runs in a ChatUnitOfWork.
 */

/** My channels and DMs, plus (unless I am a guest) the public channels I may join. */
export async function listChannels(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ListChannelsRequest = {},
): Promise<{ channels: ChannelView[] }> {
  return work.run(tenant, actor, async (db, t, me) => {
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

export async function getChannel(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ChannelRefRequest,
): Promise<ChannelView> {
  const channelId = channelIdOf(input.channelId);
  return work.run(tenant, actor, (db, t, me) => channelView(db, t, me, channelId));
}

/**
 * Creates a public or private (`privateChannels` feature) channel; the creator is its owner. The
 * plan's channel limit is checked exactly, under the per-tenant limit lock, in this transaction.
 * A name the creator can see taken is CONFLICT; see assertChannelNameFree for the whole rule.
 */
export async function createChannel(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: CreateChannelRequest,
): Promise<ChannelView> {
  if (input.kind === "private") requireFeature(tenant.features, "privateChannels");
  const memberIds = (input.memberIds ?? []).map((id) => userIdOf(id));
  try {
    return await work.write(tenant, actor, async (db, t, me) => {
      if (!can(me.role, "channels:create")) throw forbidden("Guests cannot create channels.");
      await assertWithinLimit(db, tenant, "channels");
      await assertChannelNameFree(db, t, tenant, me, input.name);
      const [channel] = await db
        .insert(t.channels)
        .values({
          name: input.name,
          kind: input.kind ?? "public",
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
      await recordWebhookEvent(db, t, {
        type: "channel.created",
        channelId: channel!.id,
        data: { kind: channel!.kind, actorId: me.id },
      });
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
export async function updateChannel(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: UpdateChannelRequest,
): Promise<ChannelView> {
  const channelId = channelIdOf(input.channelId);
  try {
    return await work.write(tenant, actor, async (db, t, me) => {
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
export function archiveChannel(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ChannelRefRequest,
): Promise<ChannelView> {
  return setArchived(work, tenant, actor, input, true);
}

export function unarchiveChannel(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ChannelRefRequest,
): Promise<ChannelView> {
  return setArchived(work, tenant, actor, input, false);
}

async function setArchived(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: ChannelRefRequest,
  archived: boolean,
): Promise<ChannelView> {
  const channelId = channelIdOf(input.channelId);
  return work.write(tenant, actor, async (db, t, me) => {
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
    if (archived)
      await recordWebhookEvent(db, t, { type: "channel.archived", channelId, data: { actorId: me.id } });
    const event = await recordEvent(db, t, tenant, { type: "channel.updated", channelId });
    return { result: view, events: [event] };
  });
}

// ─── Helpers (inside a tenant transaction) ──────────────────────────────────────────────────────

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
