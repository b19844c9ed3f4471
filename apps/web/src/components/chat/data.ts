"use client";

import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import type { RouterOutputs } from "@/lib/trpc";

export type Channel = RouterOutputs["chat"]["channels"]["channels"][number];
export type Message = RouterOutputs["chat"]["list"]["messages"][number];
export type MessagePage = RouterOutputs["chat"]["list"];
export type ThreadPage = RouterOutputs["chat"]["thread"];
export type Reaction = Message["reactions"][number];
export type Attachment = Message["attachments"][number];
export type Unread = RouterOutputs["chat"]["unreadCounts"]["channels"][number];
export type RealtimeItem = RouterOutputs["realtime"]["events"] extends AsyncIterable<infer T> ? T : never;

/** Where a page of messages starts: the newest (null), or before / after / around an id. */
export type PageParam = { before?: number; after?: number; around?: number } | null;
export type MessagesData = InfiniteData<MessagePage, PageParam>;
export type ThreadData = InfiniteData<ThreadPage, PageParam>;

export const messagesKey = (channelId: string, around?: number | null) =>
  ["chat", "messages", channelId, around ?? "latest"] as const;
export const messagesPrefix = (channelId: string) => ["chat", "messages", channelId] as const;
export const threadKey = (parentId: number) => ["chat", "thread", parentId] as const;

/** A message as the realtime stream carries it (ISO dates, no reactions), in the list's shape. */
export type WireMessage = {
  id: number;
  channelId: string;
  parentId: number | null;
  author: { id: string; name: string } | null;
  body: string;
  replyCount: number;
  lastReplyAt: string | Date | null;
  editedAt: string | Date | null;
  deletedAt: string | Date | null;
  createdAt: string | Date;
  attachments: Attachment[];
};

const date = (v: string | Date | null): Date | null =>
  v === null ? null : v instanceof Date ? v : new Date(v);

export function fromWire(m: WireMessage, reactions: Reaction[] = []): Message {
  return {
    id: m.id,
    channelId: m.channelId,
    parentId: m.parentId,
    author: m.author,
    body: m.body,
    replyCount: m.replyCount,
    lastReplyAt: date(m.lastReplyAt),
    editedAt: date(m.editedAt),
    deletedAt: date(m.deletedAt),
    createdAt: date(m.createdAt)!,
    attachments: m.attachments ?? [],
    reactions,
  };
}

/** Applies `fn` to the pages of every cached list (and thread) that may hold this message. */
function mapPages<P extends { messages: Message[] }>(
  data: InfiniteData<P, PageParam> | undefined,
  fn: (messages: Message[], page: P, index: number, all: P[]) => Message[],
): InfiniteData<P, PageParam> | undefined {
  if (!data) return data;
  let changed = false;
  const pages = data.pages.map((p, i) => {
    const next = fn(p.messages, p, i, data.pages);
    if (next === p.messages) return p;
    changed = true;
    return { ...p, messages: next };
  });
  return changed ? { ...data, pages } : data;
}

const replaceIn = (messages: Message[], id: number, f: (m: Message) => Message) => {
  const i = messages.findIndex((m) => m.id === id);
  if (i < 0) return messages;
  const copy = messages.slice();
  copy[i] = f(messages[i]!);
  return copy;
};

const hasMessage = (data: { pages: { messages: Message[] }[] } | undefined, id: number) =>
  !!data?.pages.some((p) => p.messages.some((m) => m.id === id));

/** Inserts in id order into the newest page (only where that page is the live end of the list). */
function appendLive<P extends MessagePage>(data: InfiniteData<P, PageParam> | undefined, message: Message) {
  if (!data || data.pages.length === 0) return data;
  if (hasMessage(data, message.id)) return data;
  const lastIndex = data.pages.length - 1;
  const last = data.pages[lastIndex]!;
  if (last.hasNewer) return data;
  const messages = [...last.messages, message].sort((a, b) => a.id - b.id);
  const pages = data.pages.slice();
  pages[lastIndex] = { ...last, messages };
  return { ...data, pages };
}

/** A new or changed message, everywhere it is cached. */
export function upsertMessage(qc: QueryClient, incoming: Message, opts: { keepReactions?: boolean } = {}) {
  const merge = (old: Message): Message => ({
    ...incoming,
    reactions: opts.keepReactions ? old.reactions : incoming.reactions,
  });
  if (incoming.parentId === null) {
    qc.setQueriesData<MessagesData>({ queryKey: messagesPrefix(incoming.channelId) }, (data) =>
      hasMessage(data, incoming.id)
        ? mapPages(data, (ms) => replaceIn(ms, incoming.id, merge))
        : appendLive(data, incoming),
    );
    qc.setQueryData<ThreadData>(threadKey(incoming.id), (data) =>
      data ? { ...data, pages: data.pages.map((p) => ({ ...p, parent: merge(p.parent) })) } : data,
    );
  } else {
    qc.setQueryData<ThreadData>(threadKey(incoming.parentId), (data) =>
      hasMessage(data, incoming.id)
        ? mapPages(data, (ms) => replaceIn(ms, incoming.id, merge))
        : appendLive(data, incoming),
    );
  }
}

export function removeMessage(
  qc: QueryClient,
  channelId: string,
  messageId: number,
  parentId: number | null,
) {
  const drop = (ms: Message[]) =>
    ms.some((m) => m.id === messageId)
      ? ms.flatMap((m) =>
          m.id !== messageId
            ? [m]
            : m.replyCount > 0
              ? [{ ...m, body: "", deletedAt: new Date(), attachments: [], reactions: [] }]
              : [],
        )
      : ms;
  if (parentId === null) {
    qc.setQueriesData<MessagesData>({ queryKey: messagesPrefix(channelId) }, (d) => mapPages(d, drop));
    qc.setQueryData<ThreadData>(threadKey(messageId), (data) =>
      data
        ? {
            ...data,
            pages: data.pages.map((p) => ({
              ...p,
              parent: { ...p.parent, body: "", deletedAt: new Date() },
            })),
          }
        : data,
    );
  } else {
    qc.setQueryData<ThreadData>(threadKey(parentId), (d) => mapPages(d, drop));
  }
}

export function setReactions(
  qc: QueryClient,
  channelId: string,
  messageId: number,
  groups: { emoji: string; count: number; userIds: string[] }[],
  myId: string,
) {
  const reactions: Reaction[] = groups.map((g) => ({ ...g, me: g.userIds.includes(myId) }));
  const apply = (ms: Message[]) => replaceIn(ms, messageId, (m) => ({ ...m, reactions }));
  qc.setQueriesData<MessagesData>({ queryKey: messagesPrefix(channelId) }, (d) => mapPages(d, apply));
  qc.setQueriesData<ThreadData>({ queryKey: ["chat", "thread"] }, (d) => {
    if (!d) return d;
    const withParent =
      d.pages[0]?.parent.id === messageId
        ? { ...d, pages: d.pages.map((p) => ({ ...p, parent: { ...p.parent, reactions } })) }
        : d;
    return mapPages(withParent, apply);
  });
}

export function setThreadInfo(
  qc: QueryClient,
  channelId: string,
  parentId: number,
  replyCount: number,
  lastReplyAt: string | Date | null,
) {
  const apply = (ms: Message[]) =>
    replaceIn(ms, parentId, (m) => ({ ...m, replyCount, lastReplyAt: date(lastReplyAt) }));
  qc.setQueriesData<MessagesData>({ queryKey: messagesPrefix(channelId) }, (d) => mapPages(d, apply));
  qc.setQueryData<ThreadData>(threadKey(parentId), (d) =>
    d
      ? {
          ...d,
          pages: d.pages.map((p) => ({
            ...p,
            parent: { ...p.parent, replyCount, lastReplyAt: date(lastReplyAt) },
          })),
        }
      : d,
  );
}

/** The newest message id currently cached for a channel's live end, or null. */
export function newestCachedId(qc: QueryClient, channelId: string): number | null {
  let best: number | null = null;
  for (const [, data] of qc.getQueriesData<MessagesData>({ queryKey: messagesPrefix(channelId) })) {
    const last = data?.pages.at(-1);
    const id = last?.messages.at(-1)?.id;
    if (id !== undefined && (best === null || id > best)) best = id;
  }
  return best;
}

/** Display name of a channel: "# name" for channels; for DMs the server sends the others' names. */
export const channelLabel = (c: Pick<Channel, "kind" | "name">) => (c.kind === "dm" ? c.name : c.name);

/**
 * Live messages of the last minutes, per channel: a page that was being fetched while they arrived
 * may not hold them yet (the fetch read the database before they committed), so pages at the live
 * end merge them in when they arrive (`withRecent`).
 */
const recent = new Map<string, Message[]>();
const RECENT_MAX = 50;

export function rememberLive(message: Message) {
  if (message.parentId !== null) return;
  const list = (recent.get(message.channelId) ?? []).filter((m) => m.id !== message.id);
  list.push(message);
  recent.set(message.channelId, list.slice(-RECENT_MAX));
}

export function forgetLive(channelId: string, messageId: number) {
  const list = recent.get(channelId);
  if (list)
    recent.set(
      channelId,
      list.filter((m) => m.id !== messageId),
    );
}

export function withRecent<P extends MessagePage>(channelId: string, page: P): P {
  if (page.hasNewer) return page;
  const extra = (recent.get(channelId) ?? []).filter(
    (m) =>
      !page.messages.some((x) => x.id === m.id) &&
      (page.messages.length === 0 || m.id > page.messages[0]!.id),
  );
  if (extra.length === 0) return page;
  return { ...page, messages: [...page.messages, ...extra].sort((a, b) => a.id - b.id) };
}
