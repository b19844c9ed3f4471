import type { Actor } from "../audit/actor";
import * as members from "./channel-members";
import * as channels from "./channels";
import type {
  AddMembersRequest,
  ChannelRefRequest,
  CreateChannelRequest,
  EditRequest,
  ListChannelsRequest,
  ListRequest,
  MarkReadRequest,
  MessageRefRequest,
  NotificationsRequest,
  OpenDmRequest,
  ReactRequest,
  RemoveMemberRequest,
  SendRequest,
  SetNotificationSettingsRequest,
  ThreadRequest,
  UpdateChannelRequest,
} from "./inputs";
import * as messages from "./messages";
import * as notificationSettings from "./notification-settings";
import * as pins from "./pins";
import * as readState from "./read-state";
import { type ChatServiceDeps, type ChatTenant, ChatUnitOfWork } from "./unit-of-work";

export { noopChatEventPublisher } from "./events";
export type { ChatServiceDeps, ChatTenant } from "./unit-of-work";

/**
 * The chat of a tenant: channels (public, private, DMs), messages with threads, reactions and
 * mentions, and read state — one entry point over the use cases laid out by feature:
 *
 *   channels.ts         list, read, create, rename, archive
 *   channel-members.ts  the member list, join, leave, add and remove people, DMs
 *   messages.ts         post (threads), edit, delete, page, react
 *   read-state.ts       notifications, read position, unread counts, typing
 *   pins.ts             pin, unpin, a channel's pinned messages
 *   notification-settings.ts   my notification level and mute per channel
 *   access.ts           who may see / post where (ids, visibility, membership checks)
 *   unit-of-work.ts     the tenant transaction, the caller, publishing events after commit
 *   channel-views.ts, message-views.ts   how channels and messages read (shared queries)
 *
 * Inputs are the parsed forms of the schemas in inputs.ts: procedures validate them in `.input()`
 * (router.ts); the service does not parse again. Ids are the exception: one that is not a uuid (or a
 * positive integer, for messages) answers NOT_FOUND here, like an unknown one.
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
  private readonly work: ChatUnitOfWork;

  constructor(deps: ChatServiceDeps) {
    this.work = new ChatUnitOfWork(deps);
  }

  // ─── Channels ──────────────────────────────────────────────────────────────────────────────────

  listChannels(tenant: ChatTenant, actor: Actor, input: ListChannelsRequest = {}) {
    return channels.listChannels(this.work, tenant, actor, input);
  }
  getChannel(tenant: ChatTenant, actor: Actor, input: ChannelRefRequest) {
    return channels.getChannel(this.work, tenant, actor, input);
  }
  channelMembers(tenant: ChatTenant, actor: Actor, input: ChannelRefRequest) {
    return members.channelMembers(this.work, tenant, actor, input);
  }
  createChannel(tenant: ChatTenant, actor: Actor, input: CreateChannelRequest) {
    return channels.createChannel(this.work, tenant, actor, input);
  }
  updateChannel(tenant: ChatTenant, actor: Actor, input: UpdateChannelRequest) {
    return channels.updateChannel(this.work, tenant, actor, input);
  }
  archiveChannel(tenant: ChatTenant, actor: Actor, input: ChannelRefRequest) {
    return channels.archiveChannel(this.work, tenant, actor, input);
  }
  unarchiveChannel(tenant: ChatTenant, actor: Actor, input: ChannelRefRequest) {
    return channels.unarchiveChannel(this.work, tenant, actor, input);
  }
  joinChannel(tenant: ChatTenant, actor: Actor, input: ChannelRefRequest) {
    return members.joinChannel(this.work, tenant, actor, input);
  }
  leaveChannel(tenant: ChatTenant, actor: Actor, input: ChannelRefRequest) {
    return members.leaveChannel(this.work, tenant, actor, input);
  }
  addMembers(tenant: ChatTenant, actor: Actor, input: AddMembersRequest) {
    return members.addMembers(this.work, tenant, actor, input);
  }
  removeMember(tenant: ChatTenant, actor: Actor, input: RemoveMemberRequest) {
    return members.removeMember(this.work, tenant, actor, input);
  }
  openDm(tenant: ChatTenant, actor: Actor, input: OpenDmRequest) {
    return members.openDm(this.work, tenant, actor, input);
  }

  // ─── Messages ──────────────────────────────────────────────────────────────────────────────────

  send(tenant: ChatTenant, actor: Actor, input: SendRequest) {
    return messages.send(this.work, tenant, actor, input);
  }
  edit(tenant: ChatTenant, actor: Actor, input: EditRequest) {
    return messages.edit(this.work, tenant, actor, input);
  }
  delete(tenant: ChatTenant, actor: Actor, input: MessageRefRequest) {
    return messages.deleteMessage(this.work, tenant, actor, input);
  }
  list(tenant: ChatTenant, actor: Actor, input: ListRequest) {
    return messages.list(this.work, tenant, actor, input);
  }
  thread(tenant: ChatTenant, actor: Actor, input: ThreadRequest) {
    return messages.thread(this.work, tenant, actor, input);
  }
  react(tenant: ChatTenant, actor: Actor, input: ReactRequest) {
    return messages.react(this.work, tenant, actor, input);
  }

  // ─── Pins ──────────────────────────────────────────────────────────────────────────────────────

  pin(tenant: ChatTenant, actor: Actor, input: MessageRefRequest) {
    return pins.pin(this.work, tenant, actor, input);
  }
  unpin(tenant: ChatTenant, actor: Actor, input: MessageRefRequest) {
    return pins.unpin(this.work, tenant, actor, input);
  }
  pins(tenant: ChatTenant, actor: Actor, input: ChannelRefRequest) {
    return pins.listPins(this.work, tenant, actor, input);
  }

  // ─── Notification settings ─────────────────────────────────────────────────────────────────────

  notificationSettings(tenant: ChatTenant, actor: Actor) {
    return notificationSettings.notificationSettings(this.work, tenant, actor);
  }
  setNotificationSettings(tenant: ChatTenant, actor: Actor, input: SetNotificationSettingsRequest) {
    return notificationSettings.setNotificationSettings(this.work, tenant, actor, input);
  }

  // ─── Read state, typing ────────────────────────────────────────────────────────────────────────

  notifications(tenant: ChatTenant, actor: Actor, input: NotificationsRequest = {}) {
    return readState.notifications(this.work, tenant, actor, input);
  }
  markRead(tenant: ChatTenant, actor: Actor, input: MarkReadRequest) {
    return readState.markRead(this.work, tenant, actor, input);
  }
  unreadCounts(tenant: ChatTenant, actor: Actor) {
    return readState.unreadCounts(this.work, tenant, actor);
  }
  typing(tenant: ChatTenant, actor: Actor, input: ChannelRefRequest) {
    return readState.typing(this.work, tenant, actor, input);
  }
}
