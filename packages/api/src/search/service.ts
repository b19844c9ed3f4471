import type { TenantTables } from "@nchat/db";
import { type SnippetPart, snippetParts } from "@nchat/protocol/search";
import { and, eq, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Actor } from "../audit/actor";
import { readableChannel, readableChannelIds } from "../chat/access";
import { channelViews } from "../chat/channel-views";
import {
  type ChatServiceDeps,
  type ChatTenant,
  ChatUnitOfWork,
  type Me,
  type Tx,
} from "../chat/unit-of-work";
import type { ChannelKind, ChatUserRef } from "../chat/views";
import { SEARCH_LIMITS, type SearchMessagesRequest, type SwitcherRequest } from "./inputs";
import { HEADLINE_OPTIONS, matchQuery, messageFilters } from "./query";

export type SearchHit = {
  id: number;
  channel: { id: string; name: string; kind: ChannelKind; archived: boolean };
  /** The thread's first message when this is a reply. */
  parentId: number | null;
  author: ChatUserRef | null;
  createdAt: Date;
  editedAt: Date | null;
  /** The matching part of the body, matches marked (plain text: render as text, never as HTML). */
  snippet: SnippetPart[];
  /** The message's files; `match` when the file name matched the words searched. */
  files: { id: string; fileName: string; match: boolean }[];
  /** Where the web app shows the message in its channel (a reply: in its thread). */
  link: string;
};

export type SearchPage = { results: SearchHit[]; nextCursor: number | null };

export type SwitcherItem =
  | { type: "channel"; id: string; name: string; kind: ChannelKind; isMember: boolean; archived: boolean }
  | { type: "person"; id: string; name: string; email: string };

type Row = {
  id: string | number;
  channel_id: string;
  parent_id: string | number | null;
  user_id: string | null;
  created_at: string | Date;
  edited_at: string | Date | null;
  snippet: string;
};

export const messageLink = (channelId: string, id: number, parentId: number | null) =>
  parentId === null ? `/?c=${channelId}&m=${id}` : `/?c=${channelId}&m=${parentId}&t=${parentId}`;

/**
 * Full-text search over the messages (and file names) of the channels the caller may read, per
 * tenant schema, under the tenant's role like every chat call. Which channels: `readableChannelIds`
 * of the chat access module — the rule chat history applies (members; public channels unless a
 * guest; archived channels stay readable; never another's DM or a private channel one is not in).
 * Deleted messages are not found.
 */
export class SearchService {
  private readonly work: ChatUnitOfWork;

  constructor(deps: ChatServiceDeps) {
    this.work = new ChatUnitOfWork(deps);
  }

  messages(tenant: ChatTenant, actor: Actor, input: SearchMessagesRequest): Promise<SearchPage> {
    return this.work.run(tenant, actor, (db, t, me) => searchMessages(db, t, me, input));
  }

  switcher(tenant: ChatTenant, actor: Actor, input: SwitcherRequest): Promise<SwitcherItem[]> {
    return this.work.run(tenant, actor, (db, t, me) => switcher(db, t, me, input));
  }
}

async function searchMessages(
  db: Tx,
  t: TenantTables,
  me: Me,
  input: SearchMessagesRequest,
): Promise<SearchPage> {
  const q = input.q;
  const filters = {
    channelIds: q.in.length ? await channelsNamed(db, t, me, q.in) : null,
    userIds: q.from.length ? await peopleNamed(db, t, me, q.from) : null,
  };
  const tsq = matchQuery(q);
  const best = input.sort === "best" && tsq !== null;
  const conds: (SQL | undefined)[] = [
    sql`m.channel_id in (${readableChannelIds(db, t, me)})`,
    messageFilters(q, filters, sql`${t.attachments}`),
  ];
  if (tsq)
    // Body or file name. `= any(array(…))` keeps both arms indexable (a bitmap OR of the GIN index
    // and the primary key) and lets "newest" walk the primary key backwards for common words.
    conds.push(sql`(m.search_vector @@ (${tsq}) or m.id = any(array(select message_id from ${t.attachments}
      where message_id is not null and search_vector @@ (${tsq}))))`);
  if (!best && input.cursor !== undefined) conds.push(sql`m.id < ${input.cursor}`);
  const offset = best ? (input.cursor ?? 0) : 0;
  const snippet = tsq
    ? sql`ts_headline('english', translate(p.body, chr(2) || chr(3), ''), ${tsq}, ${HEADLINE_OPTIONS})`
    : sql`left(translate(p.body, chr(2) || chr(3), ''), 240)`;
  // Best match ranks the newest BEST_WINDOW matches (ranking every match of a common word would
  // read them all); newest first needs no ranking.
  const matches = sql`select m.id, m.channel_id, m.parent_id, m.user_id, m.created_at, m.edited_at, m.body,
      m.search_vector
    from ${t.messages} m where ${and(...conds)} order by m.id desc`;
  const page = best
    ? sql`select w.*, ts_rank_cd(w.search_vector, ${tsq}) as rank
        from (${matches} limit ${SEARCH_LIMITS.bestWindow}) w
        order by rank desc, id desc limit ${input.limit + 1} offset ${offset}`
    : sql`${matches} limit ${input.limit + 1}`;
  const rows = await db.execute<Row>(sql`
    select p.id, p.channel_id, p.parent_id, p.user_id, p.created_at, p.edited_at, ${snippet} as snippet
    from (${page}) p
    order by ${best ? sql`p.rank desc, p.id desc` : sql`p.id desc`}`);
  const found = [...rows].slice(0, input.limit);
  const more = rows.length > input.limit;
  const results = await hits(db, t, me, found, tsq);
  const last = found.at(-1);
  const nextCursor = !more || !last ? null : best ? offset + found.length : Number(last.id);
  return { results, nextCursor };
}

async function hits(db: Tx, t: TenantTables, me: Me, page: Row[], tsq: SQL | null) {
  if (page.length === 0) return [];
  const ids = page.map((r) => Number(r.id));
  const channelIds = [...new Set(page.map((r) => r.channel_id))];
  const userIds = [...new Set(page.flatMap((r) => (r.user_id ? [r.user_id] : [])))];
  const [channels, authors, files] = await Promise.all([
    channelViews(db, t, me, inArray(t.channels.id, channelIds)),
    userIds.length
      ? db.select({ id: t.users.id, name: t.users.name }).from(t.users).where(inArray(t.users.id, userIds))
      : [],
    db
      .select({
        id: t.attachments.id,
        messageId: t.attachments.messageId,
        fileName: t.attachments.fileName,
        match: tsq ? sql<boolean>`${t.attachments.searchVector} @@ (${tsq})` : sql<boolean>`false`,
      })
      .from(t.attachments)
      .where(inArray(t.attachments.messageId, ids))
      .orderBy(t.attachments.createdAt),
  ]);
  const channelById = new Map(channels.map((c) => [c.id, c]));
  const authorById = new Map(authors.map((a) => [a.id, a]));
  return page.flatMap((r): SearchHit[] => {
    const channel = channelById.get(r.channel_id);
    if (!channel) return []; // not readable: cannot happen (same rule), never shown
    const id = Number(r.id);
    const parentId = r.parent_id === null ? null : Number(r.parent_id);
    return [
      {
        id,
        channel: {
          id: channel.id,
          name: channel.name,
          kind: channel.kind,
          archived: channel.archivedAt !== null,
        },
        parentId,
        author: r.user_id ? (authorById.get(r.user_id) ?? null) : null,
        createdAt: new Date(r.created_at),
        editedAt: r.edited_at === null ? null : new Date(r.edited_at),
        snippet: snippetParts(r.snippet),
        files: files
          .filter((f) => f.messageId === id)
          .map((f) => ({ id: f.id, fileName: f.fileName, match: f.match })),
        link: messageLink(channel.id, id, parentId),
      },
    ];
  });
}

/**
 * Readable channels named so (case-insensitively), and for "@person" the caller's DMs with that
 * person (as `from:` finds people).
 */
async function channelsNamed(db: Tx, t: TenantTables, me: Me, names: string[]): Promise<string[]> {
  const lower = names.filter((n) => !n.startsWith("@")).map((n) => n.toLowerCase());
  const people = names.filter((n) => n.startsWith("@")).map((n) => n.slice(1));
  const peopleIds = people.length ? await peopleNamed(db, t, me, people) : [];
  const cm = t.channelMembers;
  const dmWith = peopleIds.length
    ? sql`(${t.channels.kind} = 'dm' and exists (select 1 from ${cm} other
        where other.channel_id = ${t.channels.id} and other.user_id in ${peopleIds}))`
    : sql`false`;
  const named = lower.length
    ? sql`(${t.channels.kind} <> 'dm' and lower(${t.channels.name}) in ${lower})`
    : sql`false`;
  const rows = await db
    .select({ id: t.channels.id })
    .from(t.channels)
    .leftJoin(cm, and(eq(cm.channelId, t.channels.id), eq(cm.userId, me.id)))
    .where(and(readableChannel(t, me), sql`(${named} or ${dmWith})`));
  return rows.map((r) => r.id);
}

/** People by name, email or the part of it before "@" ("me": the caller), case-insensitively. */
async function peopleNamed(db: Tx, t: TenantTables, me: Me, names: string[]): Promise<string[]> {
  const lower = names.map((n) => n.toLowerCase());
  const ids = lower.includes("me") ? [me.id] : [];
  const u = t.users;
  const rows = await db
    .select({ id: u.id })
    .from(u)
    .where(
      or(
        sql`lower(${u.name}) in ${lower}`,
        sql`lower(${u.email}) in ${lower}`,
        sql`split_part(lower(${u.email}), '@', 1) in ${lower}`,
        sql`${u.id}::text in ${lower}`,
      ),
    );
  return [...new Set([...ids, ...rows.map((r) => r.id)])];
}

/** The quick switcher: channels and DMs the caller can read, and people, whose name contains `q`. */
async function switcher(db: Tx, t: TenantTables, me: Me, input: SwitcherRequest): Promise<SwitcherItem[]> {
  const needle = input.q.toLowerCase();
  const score = (name: string) => {
    const n = name.toLowerCase();
    return n.startsWith(needle) ? 0 : n.split(/[\s,._-]+/).some((w) => w.startsWith(needle)) ? 1 : 2;
  };
  const channels = (await channelViews(db, t, me))
    .filter((c) => c.name.toLowerCase().includes(needle))
    .sort(
      (a, b) =>
        score(a.name) - score(b.name) ||
        Number(b.isMember) - Number(a.isMember) ||
        Number(a.archivedAt !== null) - Number(b.archivedAt !== null) ||
        a.name.localeCompare(b.name),
    )
    .map(
      (c): SwitcherItem => ({
        type: "channel",
        id: c.id,
        name: c.name,
        kind: c.kind,
        isMember: c.isMember,
        archived: c.archivedAt !== null,
      }),
    );
  const u = t.users;
  const cm = t.channelMembers;
  // Guests see the people of their own channels only.
  const sharesChannel =
    me.role === "guest"
      ? sql`exists (select 1 from ${cm} theirs join ${cm} mine on mine.channel_id = theirs.channel_id
          where theirs.user_id = ${u.id} and mine.user_id = ${me.id})`
      : undefined;
  const people = await db
    .select({ id: u.id, name: u.name, email: u.email })
    .from(u)
    .where(
      and(
        isNull(u.deactivatedAt),
        eq(u.isService, false),
        sql`${u.id} <> ${me.id}`,
        needle
          ? sql`(strpos(lower(${u.name}), ${needle}) > 0 or strpos(lower(${u.email}), ${needle}) > 0)`
          : undefined,
        sharesChannel,
      ),
    )
    .orderBy(sql`lower(${u.name})`)
    .limit(input.limit);
  const persons = people
    .sort((a, b) => score(a.name) - score(b.name))
    .map((p): SwitcherItem => ({ type: "person", ...p }));
  return [...channels.slice(0, input.limit), ...persons].slice(0, input.limit * 2);
}
