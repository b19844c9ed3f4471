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
} as const;

const chars = (s: string) => [...s].length;
const hasControl = (s: string) => /\p{Cc}/u.test(s);

/** Ids are checked by the service: one that is not a uuid (or not a message id) is simply NOT_FOUND. */
const idShape = z.string().max(100);
const messageIdShape = z.number();

const channelName = z
  .string()
  .trim()
  .min(1, "Name the channel.")
  .refine(
    (s) => chars(s) <= CHAT_LIMITS.channelName,
    `Channel names can be at most ${CHAT_LIMITS.channelName} characters.`,
  )
  .refine((s) => !hasControl(s), "Channel names cannot contain line breaks or control characters.");

/** Optional text that `null` or "" clears. */
const optionalText = (max: number, label: string) =>
  z
    .string()
    .trim()
    .refine((s) => chars(s) <= max, `${label} can be at most ${max} characters.`)
    .refine((s) => !s.includes("\u0000"), `${label} cannot contain NUL characters.`)
    .nullable()
    .transform((s) => (s ? s : null));

const topic = optionalText(CHAT_LIMITS.topic, "The topic");
const description = optionalText(CHAT_LIMITS.description, "The description");

/**
 * A message body: plain text with markdown syntax, trimmed, 1..4000 characters. Never HTML: it is
 * stored and returned as written, and clients render markdown with raw HTML disabled.
 */
export const messageBody = z
  .string()
  .transform((s) => s.replace(/\r\n?/g, "\n").trim())
  .refine((s) => s.length > 0, "Write a message first.")
  .refine((s) => chars(s) <= CHAT_LIMITS.body, `Messages can be at most ${CHAT_LIMITS.body} characters.`)
  .refine((s) => !s.includes("\u0000"), "Messages cannot contain NUL characters.");

/** An emoji (a Unicode emoji or a `:shortcode:`): 1..32 characters, no whitespace. */
export const emoji = z
  .string()
  .refine(
    (s) => chars(s) >= 1 && chars(s) <= CHAT_LIMITS.emoji && !/\s/u.test(s) && !hasControl(s),
    `A reaction is 1 to ${CHAT_LIMITS.emoji} characters without spaces.`,
  );

const pageSize = z.number().int().min(1).max(CHAT_LIMITS.maxPageSize).default(CHAT_LIMITS.pageSize);

export const listChannelsInput = z.object({ includeArchived: z.boolean().default(false) }).default({
  includeArchived: false,
});

export const channelRefInput = z.object({ channelId: idShape });

export const createChannelInput = z.object({
  name: channelName,
  kind: z.enum(["public", "private"], { error: "A channel is public or private." }).default("public"),
  topic: topic.optional(),
  description: description.optional(),
  /** People to add besides the creator (most useful for private channels). */
  memberIds: z.array(idShape).max(CHAT_LIMITS.membersPerCall).default([]),
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
  attachmentIds: z.array(idShape).max(CHAT_LIMITS.attachmentsPerMessage).default([]),
});

export const editInput = z.object({ messageId: messageIdShape, body: messageBody });

export const messageRefInput = z.object({ messageId: messageIdShape });

export const listInput = z
  .object({
    channelId: idShape,
    /** Older than this message id. */
    before: messageIdShape.optional(),
    /** Newer than this message id. */
    after: messageIdShape.optional(),
    /** A page centred on this message (a reply centres on its thread's parent). */
    around: messageIdShape.optional(),
    limit: pageSize,
  })
  .refine(
    (v) => [v.before, v.after, v.around].filter((x) => x !== undefined).length <= 1,
    "Use one of before, after and around.",
  );

export const threadInput = z
  .object({
    parentId: messageIdShape,
    before: messageIdShape.optional(),
    after: messageIdShape.optional(),
    limit: pageSize,
  })
  .refine((v) => v.before === undefined || v.after === undefined, "Use one of before and after.");

export const reactInput = z.object({ messageId: messageIdShape, emoji });

export const notificationsInput = z
  .object({
    /** `nextCursor` of the previous page. */
    cursor: messageIdShape.nullish(),
    limit: z.number().int().min(1).max(CHAT_LIMITS.maxPageSize).default(20),
  })
  .default({ limit: 20 });

export const markReadInput = z.object({ channelId: idShape, messageId: messageIdShape });

export type CreateChannelRequest = z.input<typeof createChannelInput>;
export type UpdateChannelRequest = z.input<typeof updateChannelInput>;
export type SendRequest = z.input<typeof sendInput>;
export type ListRequest = z.input<typeof listInput>;
export type ThreadRequest = z.input<typeof threadInput>;
