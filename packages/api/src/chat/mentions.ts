/**
 * Mentions in message bodies: the grammar lives in @nchat/protocol (shared with the clients, which
 * render mentions with the same rules). Who is actually mentioned is decided when the message is
 * stored: only active users who are members of the channel, never the author.
 */
export { mentionToken, type ParsedMentions, parseMentions } from "@nchat/protocol/mentions";
