/**
 * Desktop notifications: what a member chose per channel, and the one rule that decides whether a
 * new message notifies them. The server stores the choice (`chat.setNotificationSettings`); the
 * client applies this rule to each message that reaches it live.
 *
 *   level "all"       every message from someone else
 *   level "mentions"  only messages that mention me (@[Me](id), @channel, @here)
 *   level "nothing"   never (the unread count still shows)
 *   level null        the default: "all" in DMs, "mentions" in channels
 *   muted             never, and no unread emphasis either
 *
 * Never for my own messages, and never while I am looking at that channel in a focused tab.
 *
 * Isomorphic: no Node or browser API.
 */
import { z } from "zod";
import { parseMentions } from "./mentions";

export const NOTIFY_LEVELS = ["all", "mentions", "nothing"] as const;
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];

export const notifyLevel = z.enum(NOTIFY_LEVELS, {
  error: "Notify about all messages, mentions only, or nothing.",
});

/** A change of my settings in one channel: a level (null: back to the default), mute, or both. */
export const setNotificationSettingsInput = z
  .object({
    channelId: z.string().max(100),
    level: notifyLevel.nullable().optional(),
    muted: z.boolean().optional(),
  })
  .refine((v) => v.level !== undefined || v.muted !== undefined, "Change the level or mute.");

export type NotificationSettings = { level: NotifyLevel | null; muted: boolean };

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = { level: null, muted: false };

/** The level that applies: the member's choice, else the default of the kind of channel. */
export function effectiveLevel(kind: "public" | "private" | "dm", level: NotifyLevel | null): NotifyLevel {
  return level ?? (kind === "dm" ? "all" : "mentions");
}

export type NotifyCandidate = {
  message: { channelId: string; authorId: string | null; body: string };
  me: { id: string };
  /** The channel as I see it; null when I am not a member (nothing notifies then). */
  channel: { kind: "public" | "private" | "dm"; settings: NotificationSettings } | null;
  /** The channel on screen in a tab that has the focus (null: none, or the tab is in the background). */
  focusedChannelId: string | null;
};

/** Whether a message mentions me: my user token, @channel or @here (outside code). */
export function mentionsUser(body: string, userId: string): boolean {
  const m = parseMentions(body);
  return m.channel || m.here || m.userIds.includes(userId.toLowerCase());
}

/** Whether this new message should raise a desktop notification for me. */
export function shouldNotify({ message, me, channel, focusedChannelId }: NotifyCandidate): boolean {
  if (!channel) return false;
  if (message.authorId !== null && message.authorId.toLowerCase() === me.id.toLowerCase()) return false;
  if (channel.settings.muted) return false;
  if (focusedChannelId === message.channelId) return false;
  const level = effectiveLevel(channel.kind, channel.settings.level);
  if (level === "nothing") return false;
  if (level === "all") return true;
  return mentionsUser(message.body, me.id);
}
