"use client";

// Over 400 lines on purpose: the tab's one realtime subscription and the state its events change
// live together here (the event switch reads and writes typing, presence, unread counts and the
// connection state; split apart, each piece would pass them back and forth). What an event does to
// cached messages, reactions and threads is in data.ts.

import { isUnauthorized } from "@nchat/ui/errors";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useRouter } from "next/navigation";
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { mentionsIn } from "@/lib/markdown";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";
import { toSignIn } from "../providers";
import { useSessionUser } from "../tenant";
import {
  type Channel,
  forgetLive,
  fromWire,
  type RealtimeItem,
  rememberLive,
  removeMessage,
  setReactions,
  setThreadInfo,
  type Unread,
  upsertMessage,
  type WireMessage,
} from "./data";
import { useDesktopNotifier, useNotificationSettings } from "./notifications";
import { useSendPendingWhenOnline } from "./pending-messages";
import { onPinsEvent } from "./pins";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";
type Member = RouterOutputs["members"]["list"]["members"][number];
type Typing = Map<string, Map<string, { name: string; until: number }>>;

type ChatContextValue = {
  /** The realtime stream is listening (or gave up waiting for it): message pages may load. */
  streamReady: boolean;
  channels: Channel[];
  channelsLoading: boolean;
  channelsError: unknown;
  unread: Map<string, Unread>;
  connection: ConnectionState;
  /** People typing in a channel now (not me). */
  typingIn: (channelId: string) => string[];
  online: Set<string>;
  /** Workspace members by id (names for mentions, reactions, DMs). */
  members: Map<string, Member>;
  membersList: Member[];
  /** The channel on screen, and whether its newest message is in view (then new ones count as read). */
  setViewing: (v: { channelId: string | null; atBottom: boolean }) => void;
  markRead: (channelId: string, messageId: number) => void;
  refreshChannels: () => void;
};

const ChatContext = createContext<ChatContextValue | null>(null);

export function useChat(): ChatContextValue {
  const v = useContext(ChatContext);
  if (!v) throw new Error("useChat outside ChatProvider");
  return v;
}

const TYPING_MS = 5_000;

/** Realtime tracing in the browser console: `localStorage.setItem("nchat:debug", "1")`. */
function debug(...args: unknown[]) {
  try {
    if (typeof localStorage !== "undefined" && localStorage.getItem("nchat:debug"))
      console.info("[nchat]", ...args);
  } catch {
    // storage unavailable
  }
}

/**
 * Chat state shared by the sidebar and the chat page, and the tab's ONE realtime subscription
 * (`realtime.events` over SSE). Events update the query cache in place: messages, reactions,
 * threads, unread and mention counts, typing and presence — no reload, no polling. After a drop the
 * browser reconnects with Last-Event-ID and the server replays what was missed (or says `resync`,
 * and everything is refetched).
 */
export function ChatProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useSessionUser();
  const router = useRouter();
  useSendPendingWhenOnline();

  // Archived channels too: their history stays readable (the sidebar lists only live ones; Browse
  // lists the archived ones apart).
  const channelsQuery = useQuery({
    ...trpc.chat.channels.queryOptions({ includeArchived: true }),
    staleTime: 60_000,
  });
  const unreadQuery = useQuery({ ...trpc.chat.unreadCounts.queryOptions(), staleTime: 60_000 });
  const membersQuery = useQuery({ ...trpc.members.list.queryOptions(), staleTime: 5 * 60_000 });
  const channels = channelsQuery.data?.channels ?? [];

  const viewing = useRef<{ channelId: string | null; atBottom: boolean }>({
    channelId: null,
    atBottom: true,
  });
  const [typing, setTyping] = useState<Typing>(new Map());
  const [online, setOnline] = useState<Set<string>>(() => new Set([me.id]));
  const [connection, setConnection] = useState<ConnectionState>("connecting");
  // Message pages load once the stream listens (nothing committed in between is missed), or after
  // a few seconds without it (the page still works, just not live).
  const [streamReady, setStreamReady] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setStreamReady(true), 4_000);
    return () => clearTimeout(t);
  }, []);
  const everLive = useRef(false);
  const notify = useDesktopNotifier(viewing, channels);
  const notificationSettings = useNotificationSettings();

  // ─── read state ────────────────────────────────────────────────────────────────────────────────
  const unreadKey = trpc.chat.unreadCounts.queryKey();
  const markReadMutation = useMutation(trpc.chat.markRead.mutationOptions());
  const pendingRead = useRef(new Map<string, number>());
  const readTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const setUnread = useCallback(
    (channelId: string, f: (u: Unread) => Unread) =>
      qc.setQueryData(unreadKey, (data) => {
        if (!data) return data;
        const existing = data.channels.find((c) => c.channelId === channelId) ?? {
          channelId,
          lastReadMessageId: 0,
          unread: 0,
          mentions: 0,
        };
        const next = f(existing);
        return { channels: [...data.channels.filter((c) => c.channelId !== channelId), next] };
      }),
    [qc, unreadKey],
  );
  const markRead = useCallback(
    (channelId: string, messageId: number) => {
      const current = qc.getQueryData(unreadKey)?.channels.find((c) => c.channelId === channelId);
      if (current && current.lastReadMessageId >= messageId && current.unread === 0 && current.mentions === 0)
        return;
      setUnread(channelId, (u) => ({
        ...u,
        lastReadMessageId: Math.max(u.lastReadMessageId, messageId),
        unread: 0,
        mentions: 0,
      }));
      pendingRead.current.set(channelId, Math.max(pendingRead.current.get(channelId) ?? 0, messageId));
      // One call per channel per moment: the plan's request allowance is shared by the whole team.
      if (readTimer.current) return;
      readTimer.current = setTimeout(() => {
        readTimer.current = null;
        const batch = [...pendingRead.current];
        pendingRead.current.clear();
        for (const [c, m] of batch) markReadMutation.mutate({ channelId: c, messageId: m });
      }, 1_200);
    },
    [qc, unreadKey, setUnread, markReadMutation],
  );

  // ─── realtime ──────────────────────────────────────────────────────────────────────────────────
  const lastEventId = useRef<string | null>(null);
  const [subInput, setSubInput] = useState<{ lastEventId: number | null }>({ lastEventId: null });
  const retry = useRef<ReturnType<typeof setTimeout> | null>(null);

  // ─── presence ──────────────────────────────────────────────────────────────────────────────────
  /** Presence events that arrived while the list was being read: applied on top of it. */
  const presenceDuringLoad = useRef<{ id: string; status: string }[] | null>(null);
  const loadPresence = useCallback(async () => {
    presenceDuringLoad.current = [];
    try {
      const { online: ids } = await qc.fetchQuery({ ...trpc.realtime.presence.queryOptions(), staleTime: 0 });
      const next = new Set([...ids, me.id]);
      for (const e of presenceDuringLoad.current ?? []) {
        if (e.status === "online") next.add(e.id);
        else if (e.id !== me.id) next.delete(e.id);
      }
      setOnline(next);
    } catch (err) {
      debug("presence", err);
    } finally {
      presenceDuringLoad.current = null;
    }
  }, [qc, trpc, me.id]);

  // ─── the workspace (plan, limits, features, name, branding, status) ───────────────────────────
  const refreshTenant = useCallback(
    (opts: { layout: boolean }) => {
      void qc.invalidateQueries({ queryKey: trpc.tenant.public.queryKey() });
      void qc.invalidateQueries({ queryKey: trpc.tenant.get.queryKey() });
      void qc.invalidateQueries({ queryKey: trpc.ui.features.queryKey() });
      void qc.invalidateQueries({ queryKey: trpc.ui.limits.queryKey() });
      void qc.invalidateQueries({ queryKey: trpc.billing.status.queryKey() });
      // Branding and the title are rendered on the server (layout): render them again — only when the
      // workspace did change (a server render that fails meanwhile shows the error page).
      if (opts.layout) router.refresh();
    },
    [qc, trpc, router],
  );

  const refetchAll = useCallback(() => {
    void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
    void qc.invalidateQueries({ queryKey: unreadKey });
    void qc.invalidateQueries({ queryKey: ["chat"] });
  }, [qc, trpc, unreadKey]);

  // A plain function: the subscription always calls the latest one (it keeps its options in a ref).
  const handleEvent = (event: Exclude<RealtimeItem, { data: unknown }> | Record<string, unknown>) => {
    debug("event", (event as { type?: string }).type, (event as { id?: unknown }).id ?? "");
    handleEventInner(event);
  };
  const handleEventInner = (event: Exclude<RealtimeItem, { data: unknown }> | Record<string, unknown>) => {
    const e = event as { type: string } & Record<string, unknown>;
    switch (e.type) {
      case "ready":
        setConnection("live");
        setStreamReady(true);
        // Who is online now (presence events only tell what changes from here on). After a
        // reconnect, what changed meanwhile about the workspace too.
        void loadPresence();
        if (everLive.current) refreshTenant({ layout: false });
        everLive.current = true;
        return;
      case "tenant.updated":
        refreshTenant({ layout: true });
        return;
      case "resync":
        refetchAll();
        return;
      case "message.created":
      case "message.updated": {
        const wire = e.message as WireMessage;
        const message = fromWire(wire);
        if (e.type === "message.created") rememberLive(message);
        upsertMessage(qc, message, { keepReactions: e.type === "message.updated" });
        if (e.type === "message.created") onCreated(wire);
        else onPinsEvent(qc, trpc, { type: e.type, channelId: wire.channelId, messageId: wire.id });
        if (!channelsKnown(wire.channelId))
          void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
        return;
      }
      case "message.deleted":
        onPinsEvent(qc, trpc, e);
        forgetLive(e.channelId as string, e.messageId as number);
        removeMessage(
          qc,
          e.channelId as string,
          e.messageId as number,
          (e.parentId as number | null) ?? null,
        );
        return;
      case "reactions.changed":
        setReactions(qc, e.channelId as string, e.messageId as number, e.reactions as never, me.id);
        return;
      case "thread.updated":
        setThreadInfo(
          qc,
          e.channelId as string,
          e.parentId as number,
          e.replyCount as number,
          e.lastReplyAt as string | null,
        );
        return;
      case "pins.changed":
        onPinsEvent(qc, trpc, e);
        return;
      case "channel.updated":
        // Membership may have changed: my notification settings come with it.
        void qc.invalidateQueries({ queryKey: trpc.chat.notificationSettings.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
        void qc.invalidateQueries({
          queryKey: trpc.chat.channel.queryKey({ channelId: e.channelId as string }),
        });
        void qc.invalidateQueries({
          queryKey: trpc.chat.channelMembers.queryKey({ channelId: e.channelId as string }),
        });
        return;
      case "typing": {
        const user = e.user as { id: string; name: string };
        if (user.id === me.id) return;
        setTyping((prev) => {
          const next = new Map(prev);
          const inChannel = new Map(next.get(e.channelId as string) ?? []);
          inChannel.set(user.id, { name: user.name, until: Date.now() + TYPING_MS });
          next.set(e.channelId as string, inChannel);
          return next;
        });
        markOnline(user.id);
        return;
      }
      case "presence": {
        const user = e.user as { id: string };
        // Someone new (an invitation just accepted): names and member counts change.
        if (e.status === "online" && !members.has(user.id.toLowerCase())) {
          void qc.invalidateQueries({ queryKey: trpc.members.list.queryKey() });
          void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
        }
        presenceDuringLoad.current?.push({ id: user.id, status: e.status as string });
        setOnline((prev) => {
          const next = new Set(prev);
          if (e.status === "online") next.add(user.id);
          else if (user.id !== me.id) next.delete(user.id);
          return next;
        });
        return;
      }
      case "read.updated":
        if (e.userId === me.id)
          setUnread(e.channelId as string, (u) =>
            (e.lastReadMessageId as number) >= u.lastReadMessageId
              ? { ...u, lastReadMessageId: e.lastReadMessageId as number, unread: 0, mentions: 0 }
              : u,
          );
        return;
    }
  };

  const channelsRef = useRef(channels);
  channelsRef.current = channels;
  const channelsKnown = (id: string) => channelsRef.current.some((c) => c.id === id && c.isMember);

  function markOnline(userId: string) {
    setOnline((prev) => (prev.has(userId) ? prev : new Set(prev).add(userId)));
  }

  function onCreated(m: WireMessage) {
    if (m.author) markOnline(m.author.id);
    // Typing stops when the message arrives.
    if (m.author)
      setTyping((prev) => {
        const inChannel = prev.get(m.channelId);
        if (!inChannel?.has(m.author!.id)) return prev;
        const next = new Map(prev);
        const c = new Map(inChannel);
        c.delete(m.author!.id);
        next.set(m.channelId, c);
        return next;
      });
    if (m.author?.id === me.id) {
      setUnread(m.channelId, (u) => ({ ...u, lastReadMessageId: Math.max(u.lastReadMessageId, m.id) }));
      return;
    }
    notify(m);
    const mentions = mentionsIn(m.body);
    const mentionsMe = mentions.userIds.includes(me.id.toLowerCase()) || mentions.broadcast;
    const v = viewing.current;
    const seen = v.channelId === m.channelId && v.atBottom && document.visibilityState === "visible";
    if (seen && m.parentId === null) {
      markRead(m.channelId, m.id);
      return;
    }
    setUnread(m.channelId, (u) => ({
      ...u,
      unread: m.parentId === null ? Math.min(u.unread + 1, 999) : u.unread,
      mentions: mentionsMe ? u.mentions + 1 : u.mentions,
    }));
  }

  /** Highest durable event id handled: a replay after a reconnect never counts anything twice. */
  const handledUpTo = useRef(0);
  const restartRef = useRef<() => void>(() => {});

  const subscription = useSubscription(
    trpc.realtime.events.subscriptionOptions(subInput, {
      onStarted: () => {
        if (retry.current) clearTimeout(retry.current);
      },
      onData: (item) => {
        const tracked = item as { id?: unknown; data?: unknown };
        if (typeof tracked.id === "string" && tracked.data && typeof tracked.data === "object") {
          lastEventId.current = tracked.id;
          const event = tracked.data as { type: string; id?: unknown };
          const durable = typeof event.id === "number" && event.type !== "ready" && event.type !== "resync";
          if (durable) {
            if ((event.id as number) <= handledUpTo.current) return;
            handledUpTo.current = event.id as number;
          }
          handleEvent(event as Record<string, unknown>);
        } else handleEvent(item as Record<string, unknown>);
      },
      onConnectionStateChange: (state) => {
        debug("connection", state.state, state.error?.message ?? "");
        if (state.state === "connecting") setConnection(everLive.current ? "reconnecting" : "connecting");
      },
      onError: (err) => {
        debug("stream error", err.message);
        if (isUnauthorized(err)) {
          toSignIn();
          return;
        }
        setConnection("reconnecting");
        // The stream ended for good (server restart, network): start a new one that resumes.
        if (retry.current) clearTimeout(retry.current);
        retry.current = setTimeout(() => restartRef.current(), 3_000);
      },
    }),
  );

  /** A new stream that resumes after the last event seen. */
  restartRef.current = () => {
    const id = lastEventId.current ? Number(lastEventId.current) : null;
    const next = id !== null && Number.isFinite(id) ? id : null;
    if (next === subInput.lastEventId) subscription.reset();
    else setSubInput({ lastEventId: next });
  };

  useEffect(() => {
    const offline = () => setConnection("offline");
    // Back online: the old stream may be dead without knowing it; open a fresh one that resumes.
    const onlineAgain = () => {
      setConnection(everLive.current ? "reconnecting" : "connecting");
      restartRef.current();
    };
    window.addEventListener("offline", offline);
    window.addEventListener("online", onlineAgain);
    return () => {
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", onlineAgain);
      if (retry.current) clearTimeout(retry.current);
    };
  }, []);

  // Expire typing indicators.
  useEffect(() => {
    const t = setInterval(() => {
      setTyping((prev) => {
        const now = Date.now();
        let changed = false;
        const next: Typing = new Map();
        for (const [c, users] of prev) {
          const kept = new Map([...users].filter(([, v]) => v.until > now));
          if (kept.size !== users.size) changed = true;
          if (kept.size) next.set(c, kept);
        }
        return changed ? next : prev;
      });
    }, 1_000);
    return () => clearInterval(t);
  }, []);

  // Unread count in the tab title.
  const unreadMap = useMemo(
    () => new Map((unreadQuery.data?.channels ?? []).map((u) => [u.channelId, u])),
    [unreadQuery.data],
  );
  useEffect(() => {
    // Muted channels do not count in the title (nor show a badge in the sidebar).
    const memberOf = new Set(
      channels.filter((c) => c.isMember && !notificationSettings.get(c.id)?.muted).map((c) => c.id),
    );
    let unread = 0;
    let mentions = 0;
    for (const [id, u] of unreadMap) {
      if (!memberOf.has(id)) continue;
      unread += u.unread;
      mentions += u.mentions;
    }
    const base = document.title.replace(/^(\(\d+\+?\)|•) /, "");
    document.title = mentions > 0 ? `(${mentions}) ${base}` : unread > 0 ? `• ${base}` : base;
  }, [unreadMap, channels, notificationSettings]);

  const members = useMemo(
    () => new Map((membersQuery.data?.members ?? []).map((m) => [m.id.toLowerCase(), m])),
    [membersQuery.data],
  );
  const value: ChatContextValue = {
    streamReady,
    channels,
    channelsLoading: channelsQuery.isPending,
    channelsError: channelsQuery.error,
    unread: unreadMap,
    connection,
    typingIn: (channelId) => [...(typing.get(channelId)?.values() ?? [])].map((t) => t.name),
    online,
    members,
    membersList: membersQuery.data?.members ?? [],
    setViewing: (v) => {
      viewing.current = v;
    },
    markRead,
    refreshChannels: () => void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() }),
  };
  return <ChatContext.Provider value={value}>{children}</ChatContext.Provider>;
}
