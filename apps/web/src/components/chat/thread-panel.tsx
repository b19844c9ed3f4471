"use client";

import { Icon } from "@nchat/ui/icon";
import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { formatDateTime } from "@/lib/format";
import { Markdown } from "@/lib/markdown";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { useSessionUser, useTenantFeature } from "../tenant";
import { Alert, Avatar } from "../ui";
import { useChat } from "./chat-provider";
import { Composer } from "./composer";
import { type Channel, type Message, type PageParam, threadKey } from "./data";
import { MessageList } from "./message-list";
import { PendingMessages } from "./pending-messages";
export function ThreadPanel({
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
