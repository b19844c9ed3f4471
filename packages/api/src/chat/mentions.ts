/**
 * Mentions in message bodies. ONE syntax, parsed on the server (clients never send a mention list):
 *
 *   @[Display Name](00000000-0000-4000-8000-000000000000)   mentions that user (by id)
 *   @channel                                                 everyone in the channel
 *   @here                                                    everyone in the channel (see below)
 *
 * The composer's autocomplete inserts the user token; the id decides who is mentioned, the name in
 * brackets is only the text shown when a client cannot resolve the id (clients render the user's
 * current name). `@channel` / `@here` count only as whole words (`me@here.com` is not one).
 * Tokens inside code (`inline` or ``` fenced ```) are not mentions.
 *
 * Who is actually mentioned is decided when the message is stored: only active users who are
 * members of the channel, never the author. `@here` is stored like `@channel` (there is no
 * presence yet, so every member counts as "here").
 */

export type ParsedMentions = {
  /** Distinct user ids from `@[Name](id)` tokens, in order of first appearance (lowercase). */
  userIds: string[];
  channel: boolean;
  here: boolean;
};

const USER_TOKEN =
  /@\[([^\]\n]{1,100})\]\(([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\)/g;
/** `@channel` / `@here` not preceded by a word character, `@` or `.`, and not followed by one. */
const BROADCAST = /(?<![\w@.])@(channel|here)(?![\w@-])/g;
const FENCED_CODE = /```[\s\S]*?(?:```|$)/g;
const INLINE_CODE = /`[^`\n]*`/g;

/** The mentions a plain-text (markdown) body asks for. */
export function parseMentions(body: string): ParsedMentions {
  const text = body.replace(FENCED_CODE, " ").replace(INLINE_CODE, " ");
  const userIds: string[] = [];
  for (const m of text.matchAll(USER_TOKEN)) {
    const id = m[2]!.toLowerCase();
    if (!userIds.includes(id)) userIds.push(id);
  }
  let channel = false;
  let here = false;
  for (const m of text.matchAll(BROADCAST)) {
    if (m[1] === "channel") channel = true;
    else here = true;
  }
  return { userIds, channel, here };
}

/** The token a client inserts for a user (brackets and newlines in the name are dropped). */
export function mentionToken(user: { id: string; name: string }): string {
  const name = user.name.replace(/[[\]\n\r]/g, "").slice(0, 100) || "user";
  return `@[${name}](${user.id})`;
}
