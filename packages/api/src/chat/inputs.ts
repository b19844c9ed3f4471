import { setNotificationSettingsInput } from "@nchat/protocol/notifications";
import { z } from "zod";

/** Bounds of chat content (characters are Unicode code points: an emoji counts as one). */
export const CHAT_LIMITS = {
  channelName: 80,
  topic: 250,
  description: 1_000,
  body: 4_000,
  emoji: 32,
  /** A DM holds 2..8 people, the caller included. */
  dmPeople: 8,
  pageSize: 50,
  maxPageSize: 100,
  /** Unread counts stop counting here (clients show "999+"); mention counts are exact. */
  unreadCap: 999,
  membersPerCall: 100,
  attachmentsPerMessage: 10,
  /** Pinned messages per channel (pins.ts). */
  pinsPerChannel: 100,
} as const;

const chars = (s: string) => [...s].length;
const hasControl = (s: string) => /\p{Cc}/u.test(s);

/**
 * Texts are first bounded in UTF-16 units, cheaply, before their characters are counted (which
 * walks the string; `abort`: nothing more is checked). The bounds are loose enough (over twice the
 * limit, room for trimmed spaces) that no text within its limit is refused by them.
 */
const RAW_UNITS = { channelName: 200, topic: 2_000, description: 5_000, body: 20_000, emoji: 100 } as const;

/**
 * Ids are checked by the service, not here: a channel or user id that is not a uuid, or a message id
 * that is not a positive integer, is simply NOT_FOUND (no different from an unknown one).
 */
const idShape = z.string().max(100);
const messageIdShape = z.number();

/** A pagination bound: a message id that need not exist (0 and up). */
const cursor = (name: string) =>
  z.number().int(`${name} must be a message id.`).min(0, `${name} must be a message id.`);

const nameTooLong = `Channel names can be at most ${CHAT_LIMITS.channelName} characters.`;
const channelName = z
  .string()
  .max(RAW_UNITS.channelName, { error: nameTooLong, abort: true })
  .trim()
  .min(1, "Name the channel.")
  .refine((s) => chars(s) <= CHAT_LIMITS.channelName, nameTooLong)
  .refine((s) => !hasControl(s), "Channel names cannot contain line breaks or control characters.");

/** Optional text that `null` or "" clears. */
const optionalText = (max: number, rawUnits: number, label: string) =>
  z
    .string()
    .max(rawUnits, { error: `${label} can be at most ${max} characters.`, abort: true })
    .trim()
    .refine((s) => chars(s) <= max, `${label} can be at most ${max} characters.`)
    .refine((s) => !s.includes("\u0000"), `${label} cannot contain NUL characters.`)
    .nullable()
    .transform((s) => (s ? s : null));

const topic = optionalText(CHAT_LIMITS.topic, RAW_UNITS.topic, "The topic");
const description = optionalText(CHAT_LIMITS.description, RAW_UNITS.description, "The description");

/**
 * A message body: plain text with markdown syntax, trimmed, 1..4000 characters. Never HTML: it is
 * stored and returned as written, and clients render markdown with raw HTML disabled.
 */
const bodyTooLong = `Messages can be at most ${CHAT_LIMITS.body} characters.`;
export const messageBody = z
  .string()
  .max(RAW_UNITS.body, { error: bodyTooLong, abort: true })
  .transform((s) => s.replace(/\r\n?/g, "\n").trim())
  .refine((s) => s.length > 0, "Write a message first.")
  .refine((s) => chars(s) <= CHAT_LIMITS.body, bodyTooLong)
  .refine((s) => !s.includes("\u0000"), "Messages cannot contain NUL characters.");

/** An emoji (a Unicode emoji or a `:shortcode:`): 1..32 characters, no whitespace. */
const badEmoji = `A reaction is 1 to ${CHAT_LIMITS.emoji} characters without spaces.`;
export const emoji = z
  .string()
  .max(RAW_UNITS.emoji, { error: badEmoji, abort: true })
  .refine(
    (s) => chars(s) >= 1 && chars(s) <= CHAT_LIMITS.emoji && !/\s/u.test(s) && !hasControl(s),
    badEmoji,
  );

/** Messages per page (default CHAT_LIMITS.pageSize). */
const pageSize = z.number().int().min(1).max(CHAT_LIMITS.maxPageSize);

/*
 * Fields with a default are optional in the parsed type too (the service applies the default), so
 * trusted callers of the service (scripts, tests) pass the same objects a client sends.
 */

export const listChannelsInput = z.object({ includeArchived: z.boolean().optional() }).optional();

export const channelRefInput = z.object({ channelId: idShape });

export const createChannelInput = z.object({
  name: channelName,
  /** Default "public". */
  kind: z.enum(["public", "private"], { error: "A channel is public or private." }).optional(),
  topic: topic.optional(),
  description: description.optional(),
  /** People to add besides the creator (most useful for private channels). */
  memberIds: z.array(idShape).max(CHAT_LIMITS.membersPerCall).optional(),
});

export const updateChannelInput = z
  .object({
    channelId: idShape,
    name: channelName.optional(),
    topic: topic.optional(),
    description: description.optional(),
  })
  .refine(
    (v) => v.name !== undefined || v.topic !== undefined || v.description !== undefined,
    "Change the name, the topic or the description.",
  );

export const addMembersInput = z.object({
  channelId: idShape,
  userIds: z.array(idShape).min(1, "Choose someone to add.").max(CHAT_LIMITS.membersPerCall),
});

export const removeMemberInput = z.object({ channelId: idShape, userId: idShape });

export const openDmInput = z.object({
  /** The other people (the caller is added; listing oneself is harmless). */
  userIds: z.array(idShape).min(1, "Choose who to message.").max(CHAT_LIMITS.dmPeople),
});

export const sendInput = z.object({
  channelId: idShape,
  body: messageBody,
  /** Replying in a thread (needs the `threads` feature): the top-level message replied to. */
  parentId: messageIdShape.nullish(),
  /** The sender's own unattached uploads to this channel (AttachmentService.upload), attached now. */
  attachmentIds: z.array(idShape).max(CHAT_LIMITS.attachmentsPerMessage).optional(),
});

export const editInput = z.object({ messageId: messageIdShape, body: messageBody });

export const messageRefInput = z.object({ messageId: messageIdShape });

export const listInput = z
  .object({
    channelId: idShape,
    /** Older than this message id. */
    before: cursor("before").optional(),
    /** Newer than this message id. */
    after: cursor("after").optional(),
    /** A page centred on this message (a reply centres on its thread's parent). */
    around: messageIdShape.optional(),
    limit: pageSize.optional(),
  })
  .refine(
    (v) => [v.before, v.after, v.around].filter((x) => x !== undefined).length <= 1,
    "Use one of before, after and around.",
  );

export const threadInput = z
  .object({
    parentId: messageIdShape,
    before: cursor("before").optional(),
    after: cursor("after").optional(),
    limit: pageSize.optional(),
  })
  .refine((v) => v.before === undefined || v.after === undefined, "Use one of before and after.");

export const reactInput = z.object({ messageId: messageIdShape, emoji });

export const notificationsInput = z
  .object({
    /** `nextCursor` of the previous page. */
    cursor: cursor("cursor").nullish(),
    /** Default 20. */
    limit: z.number().int().min(1).max(CHAT_LIMITS.maxPageSize).optional(),
  })
  .optional();

export const markReadInput = z.object({ channelId: idShape, messageId: messageIdShape });

/** My notification level (null: the default) and/or mute in a channel (@nchat/protocol/notifications). */
export { setNotificationSettingsInput };

/*
 * What the chat service takes: the parsed (trimmed, bounded) form of each input. Procedures validate
 * with the schemas above in `.input()`; the service does not parse again.
 */
export type ListChannelsRequest = NonNullable<z.output<typeof listChannelsInput>>;
export type ChannelRefRequest = z.output<typeof channelRefInput>;
export type CreateChannelRequest = z.output<typeof createChannelInput>;
export type UpdateChannelRequest = z.output<typeof updateChannelInput>;
export type AddMembersRequest = z.output<typeof addMembersInput>;
export type RemoveMemberRequest = z.output<typeof removeMemberInput>;
export type OpenDmRequest = z.output<typeof openDmInput>;
export type SendRequest = z.output<typeof sendInput>;
export type EditRequest = z.output<typeof editInput>;
export type MessageRefRequest = z.output<typeof messageRefInput>;
export type ListRequest = z.output<typeof listInput>;
export type ThreadRequest = z.output<typeof threadInput>;
export type ReactRequest = z.output<typeof reactInput>;
export type NotificationsRequest = NonNullable<z.output<typeof notificationsInput>>;
export type MarkReadRequest = z.output<typeof markReadInput>;
export type SetNotificationSettingsRequest = z.output<typeof setNotificationSettingsInput>;
