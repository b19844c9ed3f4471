/**
 * The message search grammar, shared by the server (which turns a query into SQL) and the clients
 * (which show the operators as chips and highlight what matched). ONE parser:
 *
 *   deploy failed          words: every one must match (English stems: "deploying" finds "deployed")
 *   "exact phrase"         a phrase: these words in this order (an unclosed quote runs to the end)
 *   -word  -"a phrase"     excluded: no message that matches it
 *   in:#general  in:ops    in that channel (a channel you can see, by name, case-insensitive)
 *   in:@ann                in your direct messages with that person
 *   from:@ann  from:me     by that person (their name, email or the part of it before "@"; quotes
 *                          for names with spaces: from:"Ann Lee")
 *   has:file  has:link     with an attachment / with a link (http:// or https://)
 *   before:2026-05-01      sent before that day (UTC)
 *   after:2026-05-01       sent after that day (UTC), i.e. from the next day on
 *   on:2026-05-01          sent that day (UTC)
 *
 * Operators repeat: several `in:` or `from:` match any of them; `before:`/`after:`/`on:` narrow the
 * range. An unknown operator (`foo:bar`, `http://x`) is plain text: its words are searched. A known
 * operator with a value it cannot take (`has:pdf`, `before:yesterday`, `before:2026-02-30`) is an
 * error, reported per token so a form can point at it. The last word, when the text does not end
 * with a space, is the word being typed: it also matches as a prefix ("depl" finds "deploy").
 *
 * Isomorphic: no Node or browser API.
 */

export const SEARCH_QUERY_MAX = 500;
/** Terms, phrases and operators one query may hold (each is a piece of the SQL). */
export const SEARCH_TOKENS_MAX = 32;

export type SearchHas = "file" | "link";

export type SearchQuery = {
  /** Words every result contains (as typed, without the word being typed). */
  words: string[];
  /** Phrases every result contains, words in this order. */
  phrases: string[];
  /** The word being typed: matched as itself, as an English word and as a prefix. */
  prefix: string | null;
  /** Words and phrases no result contains. */
  excluded: string[];
  /** Channel names (without "#"), or "@person" for DMs with them; any of them. */
  in: string[];
  /** People (without "@"; "me" is the caller), any of them. */
  from: string[];
  has: SearchHas[];
  /** Sent at or after this instant (ISO, UTC midnight), from `after:` / `on:`. */
  since: string | null;
  /** Sent before this instant (ISO, UTC midnight), from `before:` / `on:`. */
  until: string | null;
  /** The operator tokens as typed, for chips. */
  operators: { key: SearchOperator; value: string }[];
};

export const SEARCH_OPERATORS = ["in", "from", "has", "before", "after", "on"] as const;
export type SearchOperator = (typeof SEARCH_OPERATORS)[number];

export type SearchQueryIssue = { token: string; message: string };

export type ParsedSearch = { ok: true; query: SearchQuery } | { ok: false; issues: SearchQueryIssue[] };

type Token = { text: string; quoted: boolean; negated: boolean; key: string | null; value: string };

/** Splits into tokens: whitespace separates, quotes group (also after `op:` and `-`). */
function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    while (i < input.length && /\s/.test(input[i]!)) i++;
    if (i >= input.length) break;
    const start = i;
    let negated = false;
    if (input[i] === "-" && i + 1 < input.length && !/\s/.test(input[i + 1]!)) {
      negated = true;
      i++;
    }
    let key: string | null = null;
    const op = /^([A-Za-z]+):/.exec(input.slice(i));
    if (op && !negated) {
      key = op[1]!.toLowerCase();
      i += op[0].length;
    }
    let value = "";
    let quoted = false;
    if (input[i] === '"') {
      quoted = true;
      const end = input.indexOf('"', i + 1);
      value = input.slice(i + 1, end === -1 ? input.length : end);
      i = end === -1 ? input.length : end + 1;
    } else {
      while (i < input.length && !/\s/.test(input[i]!)) i++;
      value = input.slice(start + (negated ? 1 : 0) + (key ? key.length + 1 : 0), i);
    }
    tokens.push({ text: input.slice(start, i), quoted, negated, key, value });
  }
  return tokens;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** A calendar day (YYYY-MM-DD, a real date) as its UTC midnight in ms, or null. */
export function parseSearchDay(value: string): number | null {
  const m = DATE.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms;
}

const later = (a: number | null, b: number) => (a === null ? b : Math.max(a, b));
const earlier = (a: number | null, b: number) => (a === null ? b : Math.min(a, b));

/** Parses a search box's text. Never throws: problems are issues, one per offending token. */
export function parseSearchQuery(input: string): ParsedSearch {
  const tokens = tokenize(input);
  const issues: SearchQueryIssue[] = [];
  const q: SearchQuery = {
    words: [],
    phrases: [],
    prefix: null,
    excluded: [],
    in: [],
    from: [],
    has: [],
    since: null,
    until: null,
    operators: [],
  };
  let since: number | null = null;
  let until: number | null = null;
  const known = (k: string | null): k is SearchOperator => SEARCH_OPERATORS.includes(k as SearchOperator);

  for (const t of tokens) {
    if (t.key !== null && known(t.key) && t.value.trim() !== "") {
      const value = t.value.trim();
      switch (t.key) {
        case "in":
          q.in.push(value.replace(/^#/, ""));
          break;
        case "from":
          q.from.push(value.replace(/^@/, ""));
          break;
        case "has": {
          const v = value.toLowerCase();
          if (v !== "file" && v !== "link") {
            issues.push({ token: t.text, message: `has: takes "file" or "link", not "${value}".` });
            continue;
          }
          if (!q.has.includes(v)) q.has.push(v);
          break;
        }
        default: {
          const day = parseSearchDay(value);
          if (day === null) {
            issues.push({ token: t.text, message: `${t.key}: takes a date as YYYY-MM-DD, not "${value}".` });
            continue;
          }
          if (t.key === "before") until = earlier(until, day);
          else if (t.key === "after") since = later(since, day + DAY_MS);
          else {
            since = later(since, day);
            until = earlier(until, day + DAY_MS);
          }
        }
      }
      q.operators.push({ key: t.key, value });
      continue;
    }
    // Plain text: an unknown operator (or a known one without a value) is searched as typed.
    const text = t.key !== null ? (t.quoted ? `${t.key} ${t.value}` : t.text) : t.value;
    // Nothing to search in it (punctuation only, e.g. a lone "-"): no lexeme would come out.
    if (!/[\p{L}\p{N}]/u.test(text)) continue;
    if (t.negated) q.excluded.push(text.trim());
    else if (t.quoted && t.key === null) q.phrases.push(text.trim());
    else q.words.push(text.trim());
  }

  const last = tokens.at(-1);
  if (
    last &&
    !last.quoted &&
    !last.negated &&
    last.key === null &&
    !/\s$/.test(input) &&
    q.words.length > 0
  ) {
    q.prefix = q.words.pop() ?? null;
  }
  if (tokens.length > SEARCH_TOKENS_MAX)
    issues.push({ token: "", message: `Use at most ${SEARCH_TOKENS_MAX} words and operators.` });
  if (issues.length > 0) return { ok: false, issues };
  q.since = since === null ? null : new Date(since).toISOString();
  q.until = until === null ? null : new Date(until).toISOString();
  return { ok: true, query: q };
}

/** True when the query asks for something (words, a phrase or an operator), i.e. is worth sending. */
export const isSearchable = (q: SearchQuery) =>
  q.words.length > 0 || q.phrases.length > 0 || q.prefix !== null || q.operators.length > 0;

/** A highlighted snippet: text pieces, the matched ones marked (rendered as text, never as HTML). */
export type SnippetPart = { text: string; match: boolean };

/** The snippet markers the server puts around matches (control characters no message keeps). */
export const SNIPPET_START = "\u0002";
export const SNIPPET_STOP = "\u0003";

/** Splits a marked snippet into parts; stray markers are dropped. */
export function snippetParts(marked: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let match = false;
  let buf = "";
  const flush = () => {
    if (buf) parts.push({ text: buf, match });
    buf = "";
  };
  for (const ch of marked) {
    if (ch === SNIPPET_START) {
      flush();
      match = true;
    } else if (ch === SNIPPET_STOP) {
      flush();
      match = false;
    } else buf += ch;
  }
  flush();
  return parts;
}
