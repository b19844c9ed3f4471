"use client";

import { errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { EmptyState, Spinner } from "@nchat/ui/primitives";
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { relativeTime } from "@/lib/format";
import { plainText } from "@/lib/markdown";
import { useTRPC } from "@/lib/trpc";
import { Alert, LoadMore } from "../ui";
export function MentionsPanel({ onClose }: { onClose: () => void }) {
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
        <LoadMore query={q} label="Older mentions" size="sm" />
      </div>
    </aside>
  );
}
