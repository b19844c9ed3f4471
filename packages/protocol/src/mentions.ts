/**
 * Mentions in message bodies: the grammar shared by the server (which decides who is mentioned) and
 * the clients (which render mentions and let people type them). ONE syntax:
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
 *
 * Isomorphic: no Node or browser API.
 */

export type ParsedMentions = {
  /** Distinct user ids from `@[Name](id)` tokens, in order of first appearance (lowercase). */
  userIds: string[];
  channel: boolean;
  here: boolean;
};

/** One mention found in text. */
export type Mention = { kind: "user"; id: string; name: string } | { kind: "channel" | "here" };

export const UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
/** `@[Name](id)`: group 1 the name (1–100 characters, no `]` or line break), group 2 the id. */
export const USER_TOKEN_PATTERN = `@\\[([^\\]\\n]{1,100})\\]\\((${UUID_PATTERN})\\)`;
/** `@channel` / `@here` not preceded by a word character, `@` or `.`, and not followed by one. */
export const BROADCAST_PATTERN = "(?<![\\w@.])@(channel|here)(?![\\w@-])";

const userTokens = () => new RegExp(USER_TOKEN_PATTERN, "g");
const FENCED_CODE = /```[\s\S]*?(?:```|$)/g;
const INLINE_CODE = /`[^`\n]*`/g;

/** The body with code (fenced and inline) blanked out: what mentions are looked for in. */
export const withoutCode = (body: string): string => body.replace(FENCED_CODE, " ").replace(INLINE_CODE, " ");

/**
 * The mentions in a stretch of text that holds no code (a text node of parsed markdown), with
 * their positions, in order. `before` is the character preceding the text, if any: `@here` right
 * after a word character is not a mention.
 */
export function findMentions(text: string, before = ""): { start: number; end: number; mention: Mention }[] {
  const re = new RegExp(`${USER_TOKEN_PATTERN}|${BROADCAST_PATTERN}`, "g");
  const out: { start: number; end: number; mention: Mention }[] = [];
  const padded = before.slice(-1) + text;
  const shift = padded.length - text.length;
  re.lastIndex = shift;
  for (let m = re.exec(padded); m; m = re.exec(padded)) {
    const start = m.index - shift;
    const end = start + m[0].length;
    if (m[2]) out.push({ start, end, mention: { kind: "user", name: m[1]!, id: m[2].toLowerCase() } });
    else out.push({ start, end, mention: { kind: m[3] as "channel" | "here" } });
  }
  return out;
}

/** The mentions a plain-text (markdown) body asks for. */
export function parseMentions(body: string): ParsedMentions {
  const text = withoutCode(body);
  const userIds: string[] = [];
  for (const m of text.matchAll(userTokens())) {
    const id = m[2]!.toLowerCase();
    if (!userIds.includes(id)) userIds.push(id);
  }
  let channel = false;
  let here = false;
  for (const m of text.matchAll(new RegExp(BROADCAST_PATTERN, "g"))) {
    if (m[1] === "channel") channel = true;
    else here = true;
  }
  return { userIds, channel, here };
}

/** The name as a token may carry it (no brackets, no line breaks; at most 100 characters). */
export const tokenName = (name: string): string => name.replace(/[[\]\n\r]/g, "").slice(0, 100) || "user";

/** The token a client inserts for a user (brackets and newlines in the name are dropped). */
export function mentionToken(user: { id: string; name: string }): string {
  return `@[${tokenName(user.name)}](${user.id})`;
}

/** Every user token replaced by what `show` makes of it (default `@Name`): previews, editing. */
export function replaceUserTokens(
  body: string,
  show: (user: { id: string; name: string }) => string = (u) => `@${u.name}`,
): string {
  return body.replace(userTokens(), (_m, name: string, id: string) => show({ id: id.toLowerCase(), name }));
}
