"use client";

import { errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Badge, EmptyState, Spinner } from "@nchat/ui/primitives";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { HeaderSearch } from "../search/message-search";
import { roleAtLeast, useSessionUser } from "../tenant";
import { Alert, Avatar, Button } from "../ui";
import { useChat } from "./chat-provider";
import "./chat-features.css";
import { ChannelDetails, useUnarchive } from "./channel-details";
import { Composer } from "./composer";
import { type Channel, type Message, messagesKey, type PageParam, withRecent } from "./data";
import { MentionsPanel } from "./mentions-panel";
import { MessageList } from "./message-list";
import { NotificationBanner, NotificationSettingsButton } from "./notifications";
import { PendingMessages } from "./pending-messages";
import { PinnedButton } from "./pins";
import { ThreadPanel } from "./thread-panel";

/** The chat page: the channel in `?c=`, a jump target in `?m=`, a thread in `?t=`, mentions in `?view=`. */
export function ChatView() {
  const params = useSearchParams();
  const router = useRouter();
  const { channels, channelsLoading, channelsError } = useChat();
  const requested = params.get("c");
  const target = Number(params.get("m")) || null;
  const threadId = Number(params.get("t")) || null;
  const view = params.get("view");
  const mine = channels.filter((c) => c.isMember && !c.archivedAt);
  const channel =
    (requested ? channels.find((c) => c.id === requested) : null) ??
    (!requested
      ? (mine.find((c) => c.isDefault && c.kind !== "dm") ?? mine.find((c) => c.kind !== "dm") ?? mine[0])
      : null);

  const setParams = useCallback(
    (next: Record<string, string | null>) => {
      const p = new URLSearchParams(params.toString());
      for (const [k, v] of Object.entries(next)) {
        if (v === null) p.delete(k);
        else p.set(k, v);
      }
      router.push(`/?${p.toString()}`, { scroll: false });
    },
    [params, router],
  );

  useEffect(() => {
    const onJump = () => setParams({ m: null });
    window.addEventListener("nchat:jump-latest", onJump);
    return () => window.removeEventListener("nchat:jump-latest", onJump);
  }, [setParams]);

  if (channelsLoading)
    return (
      <main className="chat center-pad">
        <Spinner label="Loading your channels" />
      </main>
    );
  if (channelsError)
    return (
      <main className="chat center-pad">
        <Alert tone="danger">{errorMessage(channelsError)}</Alert>
      </main>
    );
  if (!channel)
    return (
      <main className="chat center-pad">
        {requested ? (
          <EmptyState
            icon="hash"
            title="This channel is not available"
            action={<Link href="/">Go to your channels</Link>}
          >
            It may be private, archived, or removed.
          </EmptyState>
        ) : (
          <EmptyState icon="chat" title="No channels yet">
            Create a channel from the sidebar to start talking.
          </EmptyState>
        )}
      </main>
    );

  const side = threadId ? "thread" : view === "mentions" ? "mentions" : null;
  return (
    <main className={`chat${side ? " with-panel" : ""}`} aria-label={`Chat: ${channel.name}`}>
      <ChannelPane
        key={`${channel.id}:${target ?? ""}`}
        channel={channel}
        target={target}
        openThread={(m) => setParams({ t: String(m.id), view: null })}
        toggleMentions={() => setParams({ view: view === "mentions" ? null : "mentions", t: null })}
      />
      {side === "thread" && threadId ? (
        <ThreadPanel
          key={threadId}
          parentId={threadId}
          channel={channel}
          onClose={() => setParams({ t: null })}
        />
      ) : side === "mentions" ? (
        <MentionsPanel onClose={() => setParams({ view: null })} />
      ) : null}
    </main>
  );
}

function ChannelPane({
  channel,
  target,
  openThread,
  toggleMentions,
}: {
  channel: Channel;
  target: number | null;
  openThread: (m: Message) => void;
  toggleMentions: () => void;
}) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { unread, setViewing, markRead, typingIn, streamReady } = useChat();
  const me = useSessionUser();
  // The "New messages" line: where unread messages began when the channel was opened (null: no
  // line; undefined: the read state is still loading — the list waits for it).
  const unreadLoaded = !useQuery({ ...trpc.chat.unreadCounts.queryOptions(), staleTime: 60_000 }).isPending;
  const firstUnread = () => {
    const u = unread.get(channel.id);
    return u && u.unread > 0 ? u.lastReadMessageId : null;
  };
  const [lastRead, setLastRead] = useState<number | null | undefined>(() =>
    unreadLoaded ? firstUnread() : undefined,
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the read state arrives
  useEffect(() => {
    if (lastRead === undefined && unreadLoaded) setLastRead(firstUnread());
  }, [unreadLoaded, lastRead]);
  const [sent, setSent] = useState(0);
  const [blocked, setBlocked] = useState<string | null>(null);
  const [details, setDetails] = useState(false);

  useEffect(() => {
    setViewing({ channelId: channel.id, atBottom: true });
    return () => setViewing({ channelId: null, atBottom: false });
  }, [channel.id, setViewing]);

  const onAtBottom = useCallback(
    (atBottom: boolean, newestId: number | null) => {
      setViewing({ channelId: channel.id, atBottom });
      if (atBottom && newestId !== null && channel.isMember && document.visibilityState === "visible")
        markRead(channel.id, newestId);
    },
    [channel.id, channel.isMember, setViewing, markRead],
  );

  const join = useMutation(
    trpc.chat.joinChannel.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
      },
    }),
  );

  const typing = typingIn(channel.id);
  const archived = channel.archivedAt !== null;
  const disabled = archived
    ? "This channel is archived: it is read-only."
    : !channel.isMember
      ? null
      : me.role === "guest" && channel.kind === "public" && !channel.isMember
        ? "Guests can only post in channels they were added to."
        : null;

  const other = channel.kind === "dm" ? (channel.dmMembers ?? []).filter((m) => m.id !== me.id) : [];
  return (
    <section className="channel-pane" aria-label={channel.name}>
      <header className="channel-header">
        <div className="channel-title">
          <h1>
            {channel.kind === "dm" ? (
              <Avatar name={channel.name} id={other[0]?.id ?? channel.id} size={26} />
            ) : (
              <Icon name={channel.kind === "private" ? "lock" : "hash"} size={18} />
            )}
            <span data-testid="channel-title">{channel.name}</span>
            {archived ? <Badge tone="warning">Archived</Badge> : null}
          </h1>
          {channel.topic ? <p className="channel-topic">{channel.topic}</p> : null}
        </div>
        <div className="channel-tools">
          <HeaderSearch />
          <PinnedButton channel={channel} />
          <NotificationSettingsButton channel={channel} />
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            onClick={() => setDetails(true)}
            aria-label={`Members of ${channel.name}`}
          >
            <Icon name="users" size={16} /> {channel.memberCount}
          </button>
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            onClick={toggleMentions}
            aria-label="Mentions of you"
          >
            <Icon name="at" size={16} /> <span className="hide-sm">Mentions</span>
          </button>
        </div>
      </header>
      <NotificationBanner />
      {blocked ? (
        <div className="inline-banner">
          <Alert
            tone="warning"
            action={
              <>
                {me.role === "owner" ? (
                  <Link href="/billing" className="btn btn-primary btn-sm">
                    Upgrade
                  </Link>
                ) : null}
                <button
                  type="button"
                  className="icon-btn"
                  aria-label="Dismiss"
                  onClick={() => setBlocked(null)}
                >
                  <Icon name="x" size={14} />
                </button>
              </>
            }
          >
            {blocked}
          </Alert>
        </div>
      ) : null}
      <MessageList
        queryKey={messagesKey(channel.id, target)}
        initialParam={target ? { around: target } : null}
        fetchPage={async (param: PageParam) =>
          withRecent(
            channel.id,
            await client.chat.list.query({ channelId: channel.id, ...(param ?? {}), limit: 50 }),
          )
        }
        enabled={streamReady && lastRead !== undefined}
        targetId={target}
        lastReadId={lastRead}
        onAtBottom={onAtBottom}
        onReplyInThread={openThread}
        channelArchived={archived || !channel.isMember}
        onFeatureBlocked={setBlocked}
        scrollSignal={sent}
        label={`Messages in ${channel.name}`}
        header={() => <ChannelIntro channel={channel} />}
        footer={<PendingMessages channelId={channel.id} parentId={null} />}
      />
      <div className="typing-line" aria-live="polite" data-testid="typing-indicator">
        {typing.length > 0 ? (
          <>
            <span className="typing-dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            {typing.length === 1
              ? `${typing[0]} is typing…`
              : typing.length === 2
                ? `${typing[0]} and ${typing[1]} are typing…`
                : "Several people are typing…"}
          </>
        ) : null}
      </div>
      {!channel.isMember && !archived ? (
        <div className="composer composer-disabled">
          <span>
            You are viewing <strong>#{channel.name}</strong>.
          </span>
          <Button size="sm" loading={join.isPending} onClick={() => join.mutate({ channelId: channel.id })}>
            Join channel
          </Button>
          {join.isError ? <span className="field-error">{errorMessage(join.error)}</span> : null}
        </div>
      ) : archived ? (
        <ArchivedBar channel={channel} />
      ) : (
        <Composer
          channelId={channel.id}
          channelName={channel.kind === "dm" ? channel.name : `#${channel.name}`}
          disabled={disabled}
          onSent={() => setSent((n) => n + 1)}
          autoFocus
        />
      )}
      <ChannelDetails channel={channel} open={details} onClose={() => setDetails(false)} />
    </section>
  );
}

/** Where the composer was: the channel is archived (read-only history); admins can bring it back. */
function ArchivedBar({ channel }: { channel: Channel }) {
  const me = useSessionUser();
  const unarchive = useUnarchive(channel.id);
  return (
    <div className="composer composer-disabled" role="note" data-testid="archived-bar">
      <span>This channel is archived: its history is read-only.</span>
      {roleAtLeast(me.role, "admin") ? (
        <Button
          size="sm"
          variant="secondary"
          loading={unarchive.isPending}
          onClick={() => unarchive.mutate({ channelId: channel.id })}
        >
          Unarchive
        </Button>
      ) : null}
      {unarchive.isError ? <span className="field-error">{errorMessage(unarchive.error)}</span> : null}
    </div>
  );
}

function ChannelIntro({ channel }: { channel: Channel }) {
  const me = useSessionUser();
  const alone = channel.kind !== "dm" && channel.memberCount <= 1;
  return (
    <div className="channel-intro">
      <span className="channel-intro-icon" aria-hidden="true">
        <Icon
          name={channel.kind === "dm" ? "chat" : channel.kind === "private" ? "lock" : "hash"}
          size={22}
        />
      </span>
      <h2>{channel.kind === "dm" ? channel.name : `Welcome to #${channel.name}`}</h2>
      <p className="muted">
        {channel.kind === "dm"
          ? "This is the beginning of your direct message history."
          : (channel.description ??
            `This is the very beginning of #${channel.name}. Created ${formatDateTime(channel.createdAt)}.`)}
      </p>
      {alone && roleAtLeast(me.role, "admin") ? (
        <div className="channel-intro-actions">
          <Link href="/members" className="btn btn-primary btn-sm">
            <Icon name="users" size={15} /> Invite your team
          </Link>
          <span className="muted small">It is quiet here — chat is better together.</span>
        </div>
      ) : null}
    </div>
  );
}
