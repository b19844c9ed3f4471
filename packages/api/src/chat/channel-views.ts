import type { TenantTables } from "@nchat/db";
import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { readableChannel } from "./access";
import { channelNotFound } from "./errors";
import type { Me, Tx } from "./unit-of-work";
import type { ChannelView, ChatUserRef } from "./views";

/** Channels the caller may read (optionally filtered), as they see them. */
export async function channelViews(db: Tx, t: TenantTables, me: Me, where?: SQL): Promise<ChannelView[]> {
  const c = t.channels;
  const cm = t.channelMembers;
  const readable = readableChannel(t, me);
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

export async function channelView(db: Tx, t: TenantTables, me: Me, channelId: string): Promise<ChannelView> {
  const [view] = await channelViews(db, t, me, eq(t.channels.id, channelId));
  if (!view) throw channelNotFound();
  return view;
}
