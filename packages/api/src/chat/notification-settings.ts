import type { NotificationSettings, NotifyLevel } from "@nchat/protocol/notifications";
import { and, eq } from "drizzle-orm";
import type { Actor } from "../audit/actor";
import { channelAccess, channelIdOf } from "./access";
import { forbidden } from "./errors";
import type { SetNotificationSettingsRequest } from "./inputs";
import type { ChatTenant, ChatUnitOfWork } from "./unit-of-work";

/*
 * My notification settings per channel (stored on my membership: `channel_members.notify_level`,
 * `muted`). What they mean, and the rule that applies them to a new message, is
 * @nchat/protocol/notifications (shared with the client, which raises the desktop notifications).
 */

export type ChannelNotificationSettings = NotificationSettings & { channelId: string };

const levelOf = (raw: string | null): NotifyLevel | null =>
  raw === "all" || raw === "mentions" || raw === "nothing" ? raw : null;

/** My settings in every channel and DM I am a member of. */
export async function notificationSettings(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
): Promise<{ channels: ChannelNotificationSettings[] }> {
  return work.run(tenant, actor, async (db, t, me) => {
    const rows = await db
      .select({
        channelId: t.channelMembers.channelId,
        level: t.channelMembers.notifyLevel,
        muted: t.channelMembers.muted,
      })
      .from(t.channelMembers)
      .where(eq(t.channelMembers.userId, me.id))
      .orderBy(t.channelMembers.channelId);
    return {
      channels: rows.map((r) => ({ channelId: r.channelId, level: levelOf(r.level), muted: r.muted })),
    };
  });
}

/**
 * Changes my level (null: back to the default) and/or mute in a channel I am a member of. A channel
 * I cannot read is NOT_FOUND; one I read without being a member (a public channel) is FORBIDDEN.
 * Allowed in archived channels (it changes nothing for anyone else).
 */
export async function setNotificationSettings(
  work: ChatUnitOfWork,
  tenant: ChatTenant,
  actor: Actor,
  input: SetNotificationSettingsRequest,
): Promise<ChannelNotificationSettings> {
  const channelId = channelIdOf(input.channelId);
  return work.run(tenant, actor, async (db, t, me) => {
    const access = await channelAccess(db, t, me, channelId);
    if (!access.member) throw forbidden("Join this channel to choose its notifications.");
    const [row] = await db
      .update(t.channelMembers)
      .set({
        ...(input.level !== undefined ? { notifyLevel: input.level } : {}),
        ...(input.muted !== undefined ? { muted: input.muted } : {}),
      })
      .where(and(eq(t.channelMembers.channelId, channelId), eq(t.channelMembers.userId, me.id)))
      .returning({ level: t.channelMembers.notifyLevel, muted: t.channelMembers.muted });
    if (!row) throw forbidden("Join this channel to choose its notifications.");
    return { channelId, level: levelOf(row.level), muted: row.muted };
  });
}
