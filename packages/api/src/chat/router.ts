import { z } from "zod";
import { userActor } from "../routers/tenant";
import { authedProcedure, feature, limit, permissionProcedure, router } from "../trpc";

// Shapes only; the chat service validates (trims, bounds, emoji) and answers NOT_FOUND for ids that
// are not uuids / message ids. Message ids are numbers, channel and user ids uuid strings.
const id = z.string().max(100);
const messageId = z.number();
const text = (max: number) => z.string().max(max);
const channelRef = z.object({ channelId: id });
const pageSize = z.number().int().min(1).max(100).optional();

/**
 * Team chat: channels, DMs, messages, threads, reactions, mentions, read state. Thin: every rule
 * (visibility, membership, features, limits) lives in ChatService; the middleware here only gives
 * early, clear refusals.
 */
export const chatRouter = router({
  // ─── Channels ──────────────────────────────────────────────────────────────────────────────────

  /** My channels and DMs, plus the public channels I may join (not for guests). */
  channels: authedProcedure
    .input(z.object({ includeArchived: z.boolean().optional() }).optional())
    .query(({ ctx, input }) => ctx.services.chat.listChannels(ctx.tenant, userActor(ctx), input ?? {})),

  channel: authedProcedure
    .input(channelRef)
    .query(({ ctx, input }) => ctx.services.chat.getChannel(ctx.tenant, userActor(ctx), input)),

  channelMembers: authedProcedure
    .input(channelRef)
    .query(({ ctx, input }) => ctx.services.chat.channelMembers(ctx.tenant, userActor(ctx), input)),

  /** Private channels need the `privateChannels` feature (checked by the service). */
  createChannel: permissionProcedure("channels:create")
    .use(limit("channels"))
    .input(
      z.object({
        name: text(200),
        kind: z.string().max(20).optional(),
        topic: text(2_000).nullish(),
        description: text(5_000).nullish(),
        memberIds: z.array(id).max(100).optional(),
      }),
    )
    .mutation(({ ctx, input }) => ctx.services.chat.createChannel(ctx.tenant, userActor(ctx), input)),

  /** Rename, set the topic or the description: the channel's owner or an admin. */
  updateChannel: authedProcedure
    .input(
      z.object({
        channelId: id,
        name: text(200).optional(),
        topic: text(2_000).nullish(),
        description: text(5_000).nullish(),
      }),
    )
    .mutation(({ ctx, input }) => ctx.services.chat.updateChannel(ctx.tenant, userActor(ctx), input)),

  archiveChannel: authedProcedure
    .input(channelRef)
    .mutation(({ ctx, input }) => ctx.services.chat.archiveChannel(ctx.tenant, userActor(ctx), input)),

  unarchiveChannel: authedProcedure
    .input(channelRef)
    .mutation(({ ctx, input }) => ctx.services.chat.unarchiveChannel(ctx.tenant, userActor(ctx), input)),

  joinChannel: authedProcedure
    .input(channelRef)
    .mutation(({ ctx, input }) => ctx.services.chat.joinChannel(ctx.tenant, userActor(ctx), input)),

  leaveChannel: authedProcedure
    .input(channelRef)
    .mutation(({ ctx, input }) => ctx.services.chat.leaveChannel(ctx.tenant, userActor(ctx), input)),

  addMembers: authedProcedure
    .input(z.object({ channelId: id, userIds: z.array(id).max(100) }))
    .mutation(({ ctx, input }) => ctx.services.chat.addMembers(ctx.tenant, userActor(ctx), input)),

  removeMember: authedProcedure
    .input(z.object({ channelId: id, userId: id }))
    .mutation(({ ctx, input }) => ctx.services.chat.removeMember(ctx.tenant, userActor(ctx), input)),

  /** Find-or-create the DM of me and these people (2..8 in all). */
  openDm: authedProcedure
    .use(feature("directMessages"))
    .input(z.object({ userIds: z.array(id).max(20) }))
    .mutation(({ ctx, input }) => ctx.services.chat.openDm(ctx.tenant, userActor(ctx), input)),

  // ─── Messages ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Post (with `parentId`: a thread reply, which needs the `threads` feature; with `attachmentIds`:
   * my uploads to this channel, attached to the message).
   */
  send: permissionProcedure("messages:send")
    .input(
      z.object({
        channelId: id,
        body: text(20_000),
        parentId: messageId.nullish(),
        attachmentIds: z.array(id).max(20).optional(),
      }),
    )
    .mutation(({ ctx, input }) => ctx.services.chat.send(ctx.tenant, userActor(ctx), input)),

  edit: authedProcedure
    .input(z.object({ messageId, body: text(20_000) }))
    .mutation(({ ctx, input }) => ctx.services.chat.edit(ctx.tenant, userActor(ctx), input)),

  delete: authedProcedure
    .input(z.object({ messageId }))
    .mutation(({ ctx, input }) => ctx.services.chat.delete(ctx.tenant, userActor(ctx), input)),

  /** A page of a channel's top-level messages: newest, or `before` / `after` / `around` an id. */
  list: authedProcedure
    .input(
      z.object({
        channelId: id,
        before: messageId.optional(),
        after: messageId.optional(),
        around: messageId.optional(),
        limit: pageSize,
      }),
    )
    .query(({ ctx, input }) => ctx.services.chat.list(ctx.tenant, userActor(ctx), input)),

  /** A thread's parent and a page of its replies. */
  thread: authedProcedure
    .input(
      z.object({
        parentId: messageId,
        before: messageId.optional(),
        after: messageId.optional(),
        limit: pageSize,
      }),
    )
    .query(({ ctx, input }) => ctx.services.chat.thread(ctx.tenant, userActor(ctx), input)),

  /** Toggles my reaction with this emoji. */
  react: authedProcedure
    .use(feature("reactions"))
    .input(z.object({ messageId, emoji: text(100) }))
    .mutation(({ ctx, input }) => ctx.services.chat.react(ctx.tenant, userActor(ctx), input)),

  /** Messages that mention me, newest first. */
  notifications: authedProcedure
    .input(z.object({ cursor: messageId.nullish(), limit: pageSize }).optional())
    .query(({ ctx, input }) => ctx.services.chat.notifications(ctx.tenant, userActor(ctx), input ?? {})),

  // ─── Read state, typing ────────────────────────────────────────────────────────────────────────

  /** Moves my read position forward (never back). Allowed while the workspace is suspended. */
  markRead: authedProcedure
    .meta({ access: "read", rateLimit: false })
    .input(z.object({ channelId: id, messageId }))
    .mutation(({ ctx, input }) => ctx.services.chat.markRead(ctx.tenant, userActor(ctx), input)),

  unreadCounts: authedProcedure.query(({ ctx }) =>
    ctx.services.chat.unreadCounts(ctx.tenant, userActor(ctx)),
  ),

  /** "… is typing" to the channel's live viewers; nothing is stored. */
  typing: authedProcedure
    .meta({ rateLimit: false })
    .input(channelRef)
    .mutation(({ ctx, input }) => ctx.services.chat.typing(ctx.tenant, userActor(ctx), input)),
});
