"use client";

import { Dialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Badge, EmptyState, Spinner } from "@nchat/ui/primitives";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useState } from "react";
import { formatDateTime, relativeTime } from "@/lib/format";
import { Markdown, plainText } from "@/lib/markdown";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { ProfileCardButton } from "../profile-card";
import { HeaderSearch } from "../search/message-search";
import { roleAtLeast, useSessionUser, useTenantFeature } from "../tenant";
import { Alert, Avatar, Button } from "../ui";
import { useChat } from "./chat-provider";
import "./chat-features.css";
import { Composer } from "./composer";
import { type Channel, type Message, messagesKey, type PageParam, threadKey, withRecent } from "./data";
import { MessageList } from "./message-list";
import { NotificationBanner, NotificationSettingsButton } from "./notifications";
import { PendingMessages } from "./pending-messages";
import { PinnedButton } from "./pins";

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

/** Unarchives a channel (owner or admin); the channel list follows. */
function useUnarchive(channelId: string) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return useMutation(
    trpc.chat.unarchiveChannel.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.chat.channelMembers.queryKey({ channelId }) });
      },
    }),
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

function ThreadPanel({
  parentId,
  channel,
  onClose,
}: {
  parentId: number;
  channel: Channel;
  onClose: () => void;
}) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useSessionUser();
  const threads = useTenantFeature("threads");
  const [sent, setSent] = useState(0);
  const [blocked, setBlocked] = useState<string | null>(null);
  // The plan may have changed since the features were loaded: check again when a thread opens.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per thread
  useEffect(() => {
    void qc.invalidateQueries({ queryKey: trpc.ui.features.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.tenant.public.queryKey() });
  }, [parentId]);
  const archived = channel.archivedAt !== null;
  // Escape closes the thread (not while a dialog is open, nor what handled Escape itself: the
  // mention list, an edit box).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      if (document.querySelector("dialog[open], [role='dialog']")) return;
      onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <aside className="side-panel" aria-label="Thread" data-testid="thread-panel">
      <header className="side-panel-header">
        <div>
          <h2>Thread</h2>
          <p className="muted small">#{channel.name}</p>
        </div>
        <button type="button" className="icon-btn" onClick={onClose} aria-label="Close thread">
          <Icon name="x" />
        </button>
      </header>
      <MessageList
        queryKey={threadKey(parentId)}
        initialParam={null}
        fetchPage={(param: PageParam) =>
          client.chat.thread.query({
            parentId,
            ...(param && "around" in param ? {} : (param ?? {})),
            limit: 50,
          })
        }
        inThread
        channelArchived={archived}
        onFeatureBlocked={setBlocked}
        scrollSignal={sent}
        label="Replies"
        footer={<PendingMessages channelId={channel.id} parentId={parentId} />}
        header={(first) =>
          first ? (
            <div className="thread-parent">
              <ThreadParent message={first.parent} />
              <div className="thread-divider">
                {" "}
                <span>
                  {first.parent.replyCount === 0
                    ? "No replies yet"
                    : `${first.parent.replyCount} ${first.parent.replyCount === 1 ? "reply" : "replies"}`}
                </span>
              </div>
            </div>
          ) : null
        }
      />
      {blocked ? <Alert tone="warning">{blocked}</Alert> : null}
      {!threads.loading && !threads.enabled ? (
        <div className="composer composer-disabled" data-testid="threads-upgrade">
          <span>Replying in threads is part of the Pro plan.</span>
          {me.role === "owner" ? (
            <Link href="/billing" className="btn btn-primary btn-sm">
              Upgrade
            </Link>
          ) : (
            <span className="muted small">Ask the workspace owner to upgrade.</span>
          )}
        </div>
      ) : (
        <Composer
          channelId={channel.id}
          channelName={`#${channel.name}`}
          parentId={parentId}
          disabled={
            archived ? "This channel is archived." : !channel.isMember ? "Join the channel to reply." : null
          }
          onSent={() => setSent((n) => n + 1)}
          autoFocus
        />
      )}
    </aside>
  );
}

function ThreadParent({ message }: { message: Message }) {
  const { members } = useChat();
  return (
    <div className="thread-parent-message">
      <Avatar name={message.author?.name ?? "?"} id={message.author?.id} size={32} />
      <div>
        <div className="message-meta">
          <span className="message-author">{message.author?.name ?? "Former member"}</span>
          <time>{formatDateTime(message.createdAt)}</time>
        </div>
        {message.deletedAt ? (
          <p className="message-deleted">This message was deleted.</p>
        ) : (
          <Markdown
            source={message.body}
            options={{
              mention: (m) =>
                m.kind === "user" ? (
                  <span className="mention">@{members.get(m.id)?.name ?? m.name}</span>
                ) : (
                  <span className="mention mention-broadcast">@{m.kind}</span>
                ),
            }}
          />
        )}
      </div>
    </div>
  );
}

function MentionsPanel({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const q = useInfiniteQuery(
    trpc.chat.notifications.infiniteQueryOptions(
      { limit: 20 },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
  );
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <aside className="side-panel" aria-label="Mentions" data-testid="mentions-panel">
      <header className="side-panel-header">
        <div>
          <h2>Mentions</h2>
          <p className="muted small">Messages that mention you</p>
        </div>
        <button type="button" className="icon-btn" onClick={onClose} aria-label="Close mentions">
          <Icon name="x" />
        </button>
      </header>
      <div className="side-panel-body">
        {q.isPending ? (
          <div className="center-pad">
            <Spinner label="Loading mentions" />
          </div>
        ) : q.isError ? (
          <Alert tone="danger">{errorMessage(q.error)}</Alert>
        ) : items.length === 0 ? (
          <EmptyState icon="at" title="No mentions yet">
            When someone @mentions you, it shows up here.
          </EmptyState>
        ) : (
          <ul className="mention-items">
            {items.map((n) => (
              <li key={n.message.id}>
                <Link href={`/?c=${n.channel.id}&m=${n.message.id}`} className="mention-item">
                  <span className="mention-item-head">
                    <strong>{n.message.author?.name ?? "Someone"}</strong>
                    <span className="muted small">
                      in {n.channel.kind === "dm" ? n.channel.name : `#${n.channel.name}`} ·{" "}
                      {relativeTime(n.message.createdAt)}
                    </span>
                  </span>
                  <span className="mention-item-body">{plainText(n.message.body).slice(0, 200)}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
        {q.hasNextPage ? (
          <div className="table-more">
            <Button
              variant="secondary"
              size="sm"
              loading={q.isFetchingNextPage}
              onClick={() => q.fetchNextPage()}
            >
              Older mentions
            </Button>
          </div>
        ) : null}
      </div>
    </aside>
  );
}

function ChannelDetails({
  channel,
  open,
  onClose,
}: {
  channel: Channel;
  open: boolean;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const me = useSessionUser();
  const { online } = useChat();
  const members = useQuery({
    ...trpc.chat.channelMembers.queryOptions({ channelId: channel.id }),
    enabled: open,
  });
  const [topic, setTopic] = useState(channel.topic ?? "");
  useEffect(() => setTopic(channel.topic ?? ""), [channel.topic]);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.chat.channelMembers.queryKey({ channelId: channel.id }) });
  };
  const update = useMutation(trpc.chat.updateChannel.mutationOptions({ onSuccess: refresh }));
  const leave = useMutation(
    trpc.chat.leaveChannel.mutationOptions({
      onSuccess: () => {
        refresh();
        onClose();
        router.push("/");
      },
    }),
  );
  const [confirmArchive, setConfirmArchive] = useState(false);
  const archive = useMutation(
    trpc.chat.archiveChannel.mutationOptions({
      onSuccess: () => {
        setConfirmArchive(false);
        refresh();
      },
    }),
  );
  const unarchive = useUnarchive(channel.id);
  const canManage = channel.kind !== "dm" && (channel.myRole === "owner" || roleAtLeast(me.role, "admin"));
  const error = update.error ?? leave.error ?? archive.error ?? unarchive.error;
  const sorted = useMemo(
    () =>
      [...(members.data?.members ?? [])].sort((a, b) => Number(online.has(b.id)) - Number(online.has(a.id))),
    [members.data, online],
  );
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={channel.kind === "dm" ? channel.name : `#${channel.name}`}
      size="lg"
    >
      <div className="stack">
        {error ? <Alert tone="danger">{errorMessage(error)}</Alert> : null}
        {canManage && !channel.archivedAt ? (
          <form
            className="form form-inline"
            onSubmit={(e) => {
              e.preventDefault();
              update.mutate({ channelId: channel.id, topic: topic.trim() || null });
            }}
          >
            <div className="field">
              <label htmlFor="channel-topic-edit">Topic</label>
              <input
                id="channel-topic-edit"
                value={topic}
                maxLength={250}
                onChange={(e) => setTopic(e.target.value)}
              />
            </div>
            <div className="form-actions">
              <Button
                type="submit"
                variant="secondary"
                loading={update.isPending}
                disabled={topic === (channel.topic ?? "")}
              >
                Save topic
              </Button>
            </div>
          </form>
        ) : null}
        <h3 className="small-title">
          {channel.memberCount} {channel.memberCount === 1 ? "member" : "members"}
        </h3>
        {members.isPending ? (
          <Spinner label="Loading members" />
        ) : (
          <ul className="people-list">
            {sorted.map((m) => (
              <li key={m.id}>
                <Avatar name={m.name} id={m.id} size={30} />
                <span className="people-pick-name">
                  <strong>
                    <ProfileCardButton userId={m.id} name={m.name}>
                      {m.name}
                    </ProfileCardButton>
                    {m.id === me.id ? <span className="muted"> (you)</span> : null}
                  </strong>
                  <span className="muted small">{m.role}</span>
                </span>
                <span
                  className={`presence-dot${online.has(m.id) ? " online" : ""}`}
                  title={online.has(m.id) ? "Online" : "Away"}
                />
              </li>
            ))}
          </ul>
        )}
        {channel.kind !== "dm" ? (
          <div className="danger-row">
            {channel.isMember && !channel.isDefault ? (
              <Button
                variant="secondary"
                loading={leave.isPending}
                onClick={() => leave.mutate({ channelId: channel.id })}
              >
                Leave channel
              </Button>
            ) : null}
            {canManage && !channel.archivedAt && !channel.isDefault && !confirmArchive ? (
              <Button variant="danger" onClick={() => setConfirmArchive(true)}>
                Archive channel
              </Button>
            ) : null}
            {channel.archivedAt && roleAtLeast(me.role, "admin") ? (
              <Button
                variant="secondary"
                loading={unarchive.isPending}
                onClick={() => unarchive.mutate({ channelId: channel.id })}
              >
                Unarchive channel
              </Button>
            ) : null}
          </div>
        ) : null}
        {confirmArchive && !channel.archivedAt ? (
          <div className="stack" role="alertdialog" aria-label={`Archive #${channel.name}?`}>
            <Alert tone="warning">
              Archive <strong>#{channel.name}</strong>? Nobody can post in it any more; its history stays
              readable (Browse channels → Archived). An owner or admin can unarchive it.
            </Alert>
            <div className="form-actions">
              <Button variant="secondary" onClick={() => setConfirmArchive(false)}>
                Cancel
              </Button>
              <Button
                variant="danger"
                loading={archive.isPending}
                onClick={() => archive.mutate({ channelId: channel.id })}
              >
                Archive #{channel.name}
              </Button>
            </div>
          </div>
        ) : null}
      </div>
    </Dialog>
  );
}
