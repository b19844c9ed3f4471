import { userActor } from "../audit/actor";
import { rest } from "../openapi/meta";
import {
  addedMembersOutput,
  channelListOutput,
  channelMembersOutput,
  channelOutput,
  messageOutput,
  messagePageOutput,
  okOutput,
  reactOutput,
  threadPageOutput,
} from "../openapi/outputs";
import { authedProcedure, feature, limit, permissionProcedure, router } from "../trpc";
import {
  addMembersInput,
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
  setNotificationSettingsInput,
  threadInput,
  updateChannelInput,
} from "./inputs";

/**
 * Team chat: channels, DMs, messages, threads, reactions, mentions, read state. Thin: inputs are
 * validated here, once, with the schemas of inputs.ts (a ZodError answers VALIDATION_FAILED with the
 * issues as `fields`, trpc.ts); every rule (visibility, membership, features, limits) lives in
 * ChatService; the middleware here only gives early, clear refusals.
 */
export const chatRouter = router({
  // ─── Channels ──────────────────────────────────────────────────────────────────────────────────

  /** My channels and DMs, plus the public channels I may join (not for guests). */
  channels: authedProcedure
    .input(listChannelsInput)
    .meta(rest("GET", "/channels", "Channels", "My channels and DMs, and the public channels I may join"))
    .output(channelListOutput)
    .query(({ ctx, input }) => ctx.services.chat.listChannels(ctx.tenant, userActor(ctx), input)),

  channel: authedProcedure
    .input(channelRefInput)
    .meta(rest("GET", "/channels/{channelId}", "Channels", "A channel"))
    .output(channelOutput)
    .query(({ ctx, input }) => ctx.services.chat.getChannel(ctx.tenant, userActor(ctx), input)),

  channelMembers: authedProcedure
    .input(channelRefInput)
    .meta(rest("GET", "/channels/{channelId}/members", "Channels", "A channel's members"))
    .output(channelMembersOutput)
    .query(({ ctx, input }) => ctx.services.chat.channelMembers(ctx.tenant, userActor(ctx), input)),

  /** Private channels need the `privateChannels` feature (checked by the service). */
  createChannel: permissionProcedure("channels:create")
    .use(limit("channels"))
    .input(createChannelInput)
    .meta(rest("POST", "/channels", "Channels", "Create a channel"))
    .output(channelOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.createChannel(ctx.tenant, userActor(ctx), input)),

  /** Rename, set the topic or the description: the channel's owner or an admin. */
  updateChannel: authedProcedure
    .input(updateChannelInput)
    .meta(
      rest("PATCH", "/channels/{channelId}", "Channels", "Rename a channel, set its topic or description"),
    )
    .output(channelOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.updateChannel(ctx.tenant, userActor(ctx), input)),

  archiveChannel: authedProcedure
    .input(channelRefInput)
    .meta(rest("POST", "/channels/{channelId}/archive", "Channels", "Archive a channel"))
    .output(channelOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.archiveChannel(ctx.tenant, userActor(ctx), input)),

  unarchiveChannel: authedProcedure
    .input(channelRefInput)
    .meta(rest("POST", "/channels/{channelId}/unarchive", "Channels", "Unarchive a channel"))
    .output(channelOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.unarchiveChannel(ctx.tenant, userActor(ctx), input)),

  joinChannel: authedProcedure
    .input(channelRefInput)
    .meta(rest("POST", "/channels/{channelId}/join", "Channels", "Join a public channel"))
    .output(channelOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.joinChannel(ctx.tenant, userActor(ctx), input)),

  leaveChannel: authedProcedure
    .input(channelRefInput)
    .meta(rest("POST", "/channels/{channelId}/leave", "Channels", "Leave a channel"))
    .output(okOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.leaveChannel(ctx.tenant, userActor(ctx), input)),

  addMembers: authedProcedure
    .input(addMembersInput)
    .meta(rest("POST", "/channels/{channelId}/members", "Channels", "Add people to a channel"))
    .output(addedMembersOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.addMembers(ctx.tenant, userActor(ctx), input)),

  removeMember: authedProcedure
    .input(removeMemberInput)
    .meta(
      rest("DELETE", "/channels/{channelId}/members/{userId}", "Channels", "Remove someone from a channel"),
    )
    .output(okOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.removeMember(ctx.tenant, userActor(ctx), input)),

  /** Find-or-create the DM of me and these people (2..8 in all). */
  openDm: authedProcedure
    .use(feature("directMessages"))
    .input(openDmInput)
    .mutation(({ ctx, input }) => ctx.services.chat.openDm(ctx.tenant, userActor(ctx), input)),

  // ─── Messages ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Post (with `parentId`: a thread reply, which needs the `threads` feature; with `attachmentIds`:
   * my uploads to this channel, attached to the message).
   */
  send: permissionProcedure("messages:send")
    .input(sendInput)
    .meta(
      rest(
        "POST",
        "/channels/{channelId}/messages",
        "Messages",
        "Send a message (or a thread reply with parentId)",
      ),
    )
    .output(messageOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.send(ctx.tenant, userActor(ctx), input)),

  edit: authedProcedure
    .input(editInput)
    .meta(rest("PATCH", "/messages/{messageId}", "Messages", "Edit my message"))
    .output(messageOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.edit(ctx.tenant, userActor(ctx), input)),

  delete: authedProcedure
    .input(messageRefInput)
    .meta(rest("DELETE", "/messages/{messageId}", "Messages", "Delete a message"))
    .output(okOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.delete(ctx.tenant, userActor(ctx), input)),

  /** A page of a channel's top-level messages: newest, or `before` / `after` / `around` an id. */
  list: authedProcedure
    .input(listInput)
    .meta(
      rest("GET", "/channels/{channelId}/messages", "Messages", "A page of a channel's messages (history)"),
    )
    .output(messagePageOutput)
    .query(({ ctx, input }) => ctx.services.chat.list(ctx.tenant, userActor(ctx), input)),

  /** A thread's parent and a page of its replies. */
  thread: authedProcedure
    .input(threadInput)
    .meta(
      rest("GET", "/messages/{parentId}/thread", "Messages", "A thread's parent and a page of its replies"),
    )
    .output(threadPageOutput)
    .query(({ ctx, input }) => ctx.services.chat.thread(ctx.tenant, userActor(ctx), input)),

  /** Toggles my reaction with this emoji. */
  react: authedProcedure
    .use(feature("reactions"))
    .input(reactInput)
    .meta(rest("POST", "/messages/{messageId}/reactions", "Messages", "Toggle my reaction with an emoji"))
    .output(reactOutput)
    .mutation(({ ctx, input }) => ctx.services.chat.react(ctx.tenant, userActor(ctx), input)),

  /** Messages that mention me, newest first. */
  notifications: authedProcedure
    .input(notificationsInput)
    .query(({ ctx, input }) => ctx.services.chat.notifications(ctx.tenant, userActor(ctx), input)),

  // ─── Pins ──────────────────────────────────────────────────────────────────────────────────────

  /** Pins a message (members of a channel they can post in); live for everyone as `pins.changed`. */
  pin: authedProcedure
    .input(messageRefInput)
    .mutation(({ ctx, input }) => ctx.services.chat.pin(ctx.tenant, userActor(ctx), input)),

  unpin: authedProcedure
    .input(messageRefInput)
    .mutation(({ ctx, input }) => ctx.services.chat.unpin(ctx.tenant, userActor(ctx), input)),

  /** A channel's pinned messages, newest pin first. */
  pins: authedProcedure
    .input(channelRefInput)
    .query(({ ctx, input }) => ctx.services.chat.pins(ctx.tenant, userActor(ctx), input)),

  // ─── Notification settings ─────────────────────────────────────────────────────────────────────

  /** My notification level and mute in each channel I am in. */
  notificationSettings: authedProcedure.query(({ ctx }) =>
    ctx.services.chat.notificationSettings(ctx.tenant, userActor(ctx)),
  ),

  setNotificationSettings: authedProcedure
    .meta({ access: "read" })
    .input(setNotificationSettingsInput)
    .mutation(({ ctx, input }) =>
      ctx.services.chat.setNotificationSettings(ctx.tenant, userActor(ctx), input),
    ),

  // ─── Read state, typing ────────────────────────────────────────────────────────────────────────

  /** Moves my read position forward (never back). Allowed while the workspace is suspended. */
  markRead: authedProcedure
    .meta({ access: "read", rateLimit: false })
    .input(markReadInput)
    .mutation(({ ctx, input }) => ctx.services.chat.markRead(ctx.tenant, userActor(ctx), input)),

  unreadCounts: authedProcedure.query(({ ctx }) =>
    ctx.services.chat.unreadCounts(ctx.tenant, userActor(ctx)),
  ),

  /** "… is typing" to the channel's live viewers; nothing is stored. */
  typing: authedProcedure
    .meta({ rateLimit: false })
    .input(channelRefInput)
    .mutation(({ ctx, input }) => ctx.services.chat.typing(ctx.tenant, userActor(ctx), input)),
});
