/**
 * The composer shows mentions as "@Name" and sends the token "@[Name](user-id)" of the shared
 * mention grammar (@nchat/protocol: the id decides who is mentioned; clients never send a list).
 */
import { mentionToken, replaceUserTokens, tokenName } from "@nchat/protocol/mentions";

export type PickedMention = { id: string; name: string };

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** "@Name" → "@[Name](id)" for every mention picked in the composer (longest names first). */
export function toTokens(text: string, picked: PickedMention[]): string {
  let out = text;
  const byLength = [...new Map(picked.map((p) => [p.id, p])).values()].sort(
    (a, b) => b.name.length - a.name.length,
  );
  for (const p of byLength) {
    const name = tokenName(p.name);
    const re = new RegExp(`(?<![\\w@\\[])@${escapeRe(name)}(?![\\w\\]])`, "g");
    out = out.replace(re, mentionToken({ id: p.id, name }));
  }
  return out;
}

/** "@[Name](id)" → "@Name", remembering who: for editing a sent message in the composer. */
export function fromTokens(body: string): { text: string; picked: PickedMention[] } {
  const picked: PickedMention[] = [];
  const text = replaceUserTokens(body, (user) => {
    picked.push(user);
    return `@${user.name}`;
  });
  return { text, picked };
}

/** The "@query" being typed right before the caret, if any. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|[\s(])@([^\s@[\]()]{0,30})$/.exec(before);
  if (!m) return null;
  return { start: caret - m[2]!.length - 1, query: m[2]! };
}
