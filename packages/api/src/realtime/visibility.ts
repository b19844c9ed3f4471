import type { PublicTx, TenantTables } from "@nchat/db";
import { and, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { Role } from "../auth/permissions";

/** Who is looking: a user of the tenant with their current role. */
export type Viewer = { id: string; role: Role };

/**
 * Which channels a user can see — the one rule realtime and attachments share:
 * public channels for every member except guests (who see only what they were added to),
 * private channels and DMs only as a member. Archived channels stay readable.
 */
export function channelVisibleTo(t: TenantTables, viewer: Viewer): SQL {
  const member = sql`exists (select 1 from ${t.channelMembers} where ${t.channelMembers.channelId} = ${t.channels.id} and ${t.channelMembers.userId} = ${viewer.id})`;
  return viewer.role === "guest" ? member : sql`(${t.channels.kind} = 'public' or ${member})`;
}

/** The channels the viewer can see now. */
export async function visibleChannelIds(tx: PublicTx, t: TenantTables, viewer: Viewer): Promise<Set<string>> {
  const rows = await tx.select({ id: t.channels.id }).from(t.channels).where(channelVisibleTo(t, viewer));
  return new Set(rows.map((r) => r.id));
}

/** Whether the viewer can see one channel (false for unknown ids). */
export async function canSeeChannel(
  tx: PublicTx,
  t: TenantTables,
  viewer: Viewer,
  channelId: string,
): Promise<boolean> {
  const [row] = await tx
    .select({ id: t.channels.id })
    .from(t.channels)
    .where(and(eq(t.channels.id, channelId), channelVisibleTo(t, viewer)));
  return row !== undefined;
}

/** The user as stored now (role changes, deactivation); null when gone or deactivated. */
export async function currentViewer(tx: PublicTx, t: TenantTables, userId: string): Promise<Viewer | null> {
  const [row] = await tx
    .select({ id: t.users.id, role: t.users.role })
    .from(t.users)
    .where(and(eq(t.users.id, userId), isNull(t.users.deactivatedAt)));
  return row ?? null;
}

/** One channel's kind, and which of the given users are its members (null kind: no such channel). */
export async function channelAccess(
  tx: PublicTx,
  t: TenantTables,
  channelId: string,
  userIds: string[],
): Promise<ChannelAccess> {
  const [channel] = await tx
    .select({ kind: t.channels.kind })
    .from(t.channels)
    .where(eq(t.channels.id, channelId));
  if (!channel || userIds.length === 0) return { channelId, kind: channel?.kind ?? null, members: new Set() };
  const rows = await tx
    .select({ userId: t.channelMembers.userId })
    .from(t.channelMembers)
    .where(and(eq(t.channelMembers.channelId, channelId), inArray(t.channelMembers.userId, userIds)));
  return { channelId, kind: channel.kind, members: new Set(rows.map((r) => r.userId)) };
}

export type ChannelAccess = {
  channelId: string;
  kind: "public" | "private" | "dm" | null;
  /** Members among the users asked about. */
  members: Set<string>;
};

/** Whether a viewer sees a channel, from its access record. */
export const accessAllows = (a: ChannelAccess, viewer: Viewer) =>
  a.kind !== null && ((a.kind === "public" && viewer.role !== "guest") || a.members.has(viewer.id));
