import { parseSearchQuery, SEARCH_QUERY_MAX, type SearchQuery } from "@nchat/protocol/search";
import { z } from "zod";

export const SEARCH_LIMITS = {
  pageSize: 20,
  maxPageSize: 50,
  /** "Best match" pages by offset: no deeper than this (refine the query instead). */
  maxOffset: 1_000,
  /** "Best match" ranks the newest this many matches (see SearchService). */
  bestWindow: 5_000,
  switcherSize: 20,
} as const;

/**
 * The search box's text, parsed once here (the grammar is @nchat/protocol/search): a bad date or
 * `has:` value is a VALIDATION_FAILED naming the token, on the field `q`.
 */
const queryText = z
  .string()
  .max(SEARCH_QUERY_MAX, `Search for at most ${SEARCH_QUERY_MAX} characters.`)
  .transform((text, ctx): SearchQuery => {
    const parsed = parseSearchQuery(text);
    if (parsed.ok) return parsed.query;
    for (const issue of parsed.issues) ctx.addIssue({ code: "custom", message: issue.message });
    return z.NEVER;
  })
  .refine(
    (q) => q.words.length + q.phrases.length + q.operators.length > 0 || q.prefix !== null,
    "Type something to search for.",
  );

export const searchMessagesInput = z
  .object({
    q: queryText,
    /** Newest first (default) or best match first (then newest among equals). */
    sort: z.enum(["newest", "best"]).default("newest"),
    limit: z.number().int().min(1).max(SEARCH_LIMITS.maxPageSize).default(SEARCH_LIMITS.pageSize),
    /**
     * Where the next page starts: the `nextCursor` of the previous page (newest: the last message id
     * seen; best: how many results came before).
     */
    cursor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((v) => v.sort !== "best" || (v.cursor ?? 0) <= SEARCH_LIMITS.maxOffset, {
    message: `Best-match results go ${SEARCH_LIMITS.maxOffset} deep: refine the search to see more.`,
    path: ["cursor"],
  });
export type SearchMessagesRequest = z.output<typeof searchMessagesInput>;

export const switcherInput = z.object({
  q: z.string().trim().max(100).default(""),
  limit: z.number().int().min(1).max(SEARCH_LIMITS.switcherSize).default(10),
});
export type SwitcherRequest = z.output<typeof switcherInput>;
