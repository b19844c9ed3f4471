/**
 * The composer shows mentions as "@Name" and sends the chat router's token "@[Name](user-id)"
 * (see packages/api chat/mentions.ts: the id decides who is mentioned; clients never send a list).
 */
export type PickedMention = { id: string; name: string };

const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The name as a token may carry it (no brackets, no line breaks; at most 100 characters). */
export const tokenName = (name: string) => name.replace(/[[\]\n\r]/g, "").slice(0, 100) || "user";

/** "@Name" → "@[Name](id)" for every mention picked in the composer (longest names first). */
export function toTokens(text: string, picked: PickedMention[]): string {
  let out = text;
  const byLength = [...new Map(picked.map((p) => [p.id, p])).values()].sort(
    (a, b) => b.name.length - a.name.length,
  );
  for (const p of byLength) {
    const name = tokenName(p.name);
    const re = new RegExp(`(?<![\\w@\\[])@${escapeRe(name)}(?![\\w\\]])`, "g");
    out = out.replace(re, `@[${name}](${p.id})`);
  }
  return out;
}

/** "@[Name](id)" → "@Name", remembering who: for editing a sent message in the composer. */
export function fromTokens(body: string): { text: string; picked: PickedMention[] } {
  const picked: PickedMention[] = [];
  const text = body.replace(
    new RegExp(`@\\[([^\\]\\n]{1,100})\\]\\((${UUID})\\)`, "g"),
    (_m, name: string, id: string) => {
      picked.push({ id: id.toLowerCase(), name });
      return `@${name}`;
    },
  );
  return { text, picked };
}

/** The "@query" being typed right before the caret, if any. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|[\s(])@([^\s@[\]()]{0,30})$/.exec(before);
  if (!m) return null;
  return { start: caret - m[2]!.length - 1, query: m[2]! };
}
