import type { Role } from "../auth/permissions";
import type { MessagePayload, ReactionGroup } from "./events";

export type ChannelKind = "public" | "private" | "dm";

export type ChatUserRef = { id: string; name: string };

/** A channel as one user sees it. */
export type ChannelView = {
  id: string;
  /** For DMs: the other people's names ("Ann, Bob"); the stored name is not meaningful. */
  name: string;
  kind: ChannelKind;
  topic: string | null;
  description: string | null;
  isDefault: boolean;
  createdBy: string | null;
  archivedAt: Date | null;
  lastMessageAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  memberCount: number;
  /** Whether the viewer is a member (non-members see public channels they may join). */
  isMember: boolean;
  /** The viewer's role in the channel: "owner" (its creator) or "member"; null when not a member. */
  myRole: string | null;
  /** DMs only: everyone in it, the viewer included. */
  dmMembers: ChatUserRef[] | null;
};

export type ChannelMemberView = {
  id: string;
  name: string;
  avatarUrl: string | null;
  /** Role in the workspace. */
  role: Role;
  /** Role in the channel ("owner" or "member"). */
  channelRole: string;
  joinedAt: Date;
};

/** Reactions on a message, grouped by emoji (in order of first use). */
export type ReactionView = ReactionGroup & { me: boolean };

export type AttachmentView = MessagePayload["attachments"][number];

/** A message as clients render it. `body` is plain text (markdown syntax), never HTML. */
export type MessageView = {
  id: number;
  channelId: string;
  parentId: number | null;
  author: ChatUserRef | null;
  /** "" once deleted. */
  body: string;
  replyCount: number;
  lastReplyAt: Date | null;
  editedAt: Date | null;
  deletedAt: Date | null;
  createdAt: Date;
  attachments: AttachmentView[];
  reactions: ReactionView[];
};

/** A page of messages in ascending id order. */
export type MessagePage = { messages: MessageView[]; hasOlder: boolean; hasNewer: boolean };

export type ThreadPage = MessagePage & { parent: MessageView };

export type NotificationView = {
  /** How the viewer was mentioned ("user", or "channel"/"here" for everyone). */
  kind: "user" | "channel" | "here";
  channel: { id: string; name: string; kind: ChannelKind };
  message: MessageView;
};

export type NotificationPage = { items: NotificationView[]; nextCursor: number | null };

export type UnreadView = {
  channelId: string;
  lastReadMessageId: number;
  /** Top-level messages after the read position, not the viewer's, not deleted (capped at 999). */
  unread: number;
  /** Messages (thread replies included) after the read position that mention the viewer. */
  mentions: number;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The stored/broadcast form of a message (dates as ISO strings, reactions travel separately). */
export function toPayload(m: MessageView): MessagePayload {
  return {
    id: m.id,
    channelId: m.channelId,
    parentId: m.parentId,
    author: m.author,
    body: m.body,
    replyCount: m.replyCount,
    lastReplyAt: iso(m.lastReplyAt),
    editedAt: iso(m.editedAt),
    deletedAt: iso(m.deletedAt),
    createdAt: m.createdAt.toISOString(),
    attachments: m.attachments,
  };
}
