import type { SearchQuery } from "@nchat/protocol/search";
import { SNIPPET_START, SNIPPET_STOP } from "@nchat/protocol/search";
import { and, type SQL, sql } from "drizzle-orm";

/*
 * A parsed query as SQL pieces. Every piece of user text is a bound parameter: words and phrases go
 * through plainto_tsquery / phraseto_tsquery (which accept any text); the word being typed is cut
 * into letters-and-digits runs before it becomes a to_tsquery prefix pattern, so no tsquery syntax
 * from the user ever reaches the parser.
 *
 * Text search configuration: documents hold English stems AND the words as typed (`simple`), see
 * the search columns in @nchat/db's tenant tables. A word matches either form ("deploying" finds
 * "deployed" through the stem; "the" and names through `simple`); the word being typed matches as a
 * `simple` prefix. Phrases match in either form, words in order.
 */

const word = (w: string) => sql`(plainto_tsquery('english', ${w}) || plainto_tsquery('simple', ${w}))`;
const phrase = (p: string) => sql`(phraseto_tsquery('english', ${p}) || phraseto_tsquery('simple', ${p}))`;

/** The runs of letters and digits of a word, the last one as a prefix: "re-dep" → 're' & 'dep':*. */
export function prefixPattern(w: string): string | null {
  const runs = w.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!runs) return null;
  return runs.map((r, i) => (i === runs.length - 1 ? `${r}:*` : r)).join(" & ");
}

const prefix = (w: string) => {
  const pattern = prefixPattern(w);
  return pattern === null
    ? null
    : sql`(to_tsquery('simple', ${pattern}) || plainto_tsquery('english', ${w}))`;
};

const joinAnd = (parts: SQL[]) => (parts.length === 0 ? null : sql.join(parts, sql` && `));

/** What results must match (a tsquery expression), or null for operator-only queries. */
export function matchQuery(q: SearchQuery): SQL | null {
  const parts = [...q.words.map(word), ...q.phrases.map(phrase)];
  const typed = q.prefix === null ? null : prefix(q.prefix);
  if (typed) parts.push(typed);
  return joinAnd(parts);
}

/** What results must not match, or null. */
export function excludedQuery(q: SearchQuery): SQL | null {
  const parts = q.excluded.map((e) => (e.includes(" ") ? phrase(e) : word(e)));
  return parts.length === 0 ? null : sql.join(parts, sql` || `);
}

/** Links as has:link sees them. */
export const LINK_PATTERN = "https?://";

export type Filters = {
  /** Channel ids asked for by `in:` (already resolved among the readable ones), or null. */
  channelIds: string[] | null;
  /** User ids asked for by `from:`, or null. */
  userIds: string[] | null;
};

/**
 * The conditions on `m` (messages) and `a` (attachments) besides visibility and the text match.
 * `tables` are the tenant's qualified table names.
 */
export function messageFilters(q: SearchQuery, f: Filters, attachments: SQL): SQL | undefined {
  const conds: (SQL | undefined)[] = [sql`m.deleted_at is null`];
  if (f.channelIds) conds.push(f.channelIds.length ? sql`m.channel_id in ${f.channelIds}` : sql`false`);
  if (f.userIds) conds.push(f.userIds.length ? sql`m.user_id in ${f.userIds}` : sql`false`);
  if (q.has.includes("file"))
    conds.push(sql`exists (select 1 from ${attachments} a where a.message_id = m.id)`);
  if (q.has.includes("link")) conds.push(sql`m.body ~* ${LINK_PATTERN}`);
  if (q.since) conds.push(sql`m.created_at >= ${q.since}::timestamptz`);
  if (q.until) conds.push(sql`m.created_at < ${q.until}::timestamptz`);
  const excluded = excludedQuery(q);
  if (excluded) conds.push(sql`not (m.search_vector @@ (${excluded}))`);
  return and(...conds);
}

/** ts_headline's options: matches between control-character markers (never HTML), two fragments. */
export const HEADLINE_OPTIONS = `StartSel=${SNIPPET_START}, StopSel=${SNIPPET_STOP}, MaxWords=24, MinWords=8, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
