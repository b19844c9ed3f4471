"use client";

import { Dialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { EmptyState, Spinner } from "@nchat/ui/primitives";
import { type QueryClient, useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { relativeTime } from "@/lib/format";
import { plainText } from "@/lib/markdown";
import { useTRPC } from "@/lib/trpc";
import { Alert } from "../ui";
import type { Channel, Message } from "./data";

/*
 * Pinned messages: the header's "Pinned" list, the pin / unpin action on messages and the pin mark.
 * The list of a channel is one query, kept current by `pins.changed` events (chat-provider).
 */

type Trpc = ReturnType<typeof useTRPC>;

/** A channel's pins (newest first), loaded once and kept live by events. */
export function usePins(channelId: string, enabled = true) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.chat.pins.queryOptions({ channelId }),
    staleTime: Number.POSITIVE_INFINITY,
    enabled,
  });
}

/** Ids of the pinned messages of a channel. */
export function usePinnedIds(channelId: string): Set<number> {
  const q = usePins(channelId);
  return useMemo(() => new Set((q.data?.pins ?? []).map((p) => p.messageId)), [q.data]);
}

/** What an event means for the cached pins of its channel (called by the chat provider). */
export function onPinsEvent(
  qc: QueryClient,
  trpc: Trpc,
  e: { type: string; channelId?: unknown; messageId?: unknown },
) {
  if (typeof e.channelId !== "string") return;
  const key = trpc.chat.pins.queryKey({ channelId: e.channelId });
  if (e.type === "pins.changed") {
    void qc.invalidateQueries({ queryKey: key });
    return;
  }
  // An edited or deleted message that is pinned: its entry in the list changes too.
  const cached = qc.getQueryData(key);
  if (cached?.pins.some((p) => p.messageId === e.messageId)) void qc.invalidateQueries({ queryKey: key });
}

/** Pin / unpin a message (toolbar button). */
export function PinButton({ message, pinned }: { message: Message; pinned: boolean }) {
  const trpc = useTRPC();
  const [error, setError] = useState<string | null>(null);
  const onError = (e: unknown) => setError(errorMessage(e));
  const pin = useMutation(trpc.chat.pin.mutationOptions({ onError }));
  const unpin = useMutation(trpc.chat.unpin.mutationOptions({ onError }));
  return (
    <button
      type="button"
      className={`icon-btn${pinned ? " active" : ""}`}
      aria-label={pinned ? "Unpin message" : "Pin message"}
      title={error ?? (pinned ? "Unpin" : "Pin to this channel")}
      aria-pressed={pinned}
      disabled={pin.isPending || unpin.isPending}
      onClick={() => {
        setError(null);
        (pinned ? unpin : pin).mutate({ messageId: message.id });
      }}
    >
      <Icon name="pin" size={15} />
    </button>
  );
}

/** The header's "Pinned" button and its list. */
export function PinnedButton({ channel }: { channel: Channel }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const q = usePins(channel.id);
  const count = q.data?.pins.length ?? 0;
  const unpin = useMutation(trpc.chat.unpin.mutationOptions());
  const canPost = channel.isMember && !channel.archivedAt;
  return (
    <>
      <button
        type="button"
        className="btn btn-ghost btn-sm"
        onClick={() => setOpen(true)}
        aria-label={`Pinned messages (${count})`}
        data-testid="pinned-button"
      >
        <Icon name="pin" size={16} /> <span className="hide-sm">Pinned</span>
        {count > 0 ? <span className="pin-count">{count}</span> : null}
      </button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Pinned in ${channel.kind === "dm" ? channel.name : `#${channel.name}`}`}
        size="lg"
      >
        {q.isPending ? (
          <Spinner label="Loading pinned messages" />
        ) : q.isError ? (
          <Alert tone="danger">{errorMessage(q.error)}</Alert>
        ) : count === 0 ? (
          <EmptyState icon="pin" title="Nothing pinned yet">
            Pin important messages from their menu: they are listed here for everyone.
          </EmptyState>
        ) : (
          <ul className="pin-items" data-testid="pinned-list">
            {q.data.pins.map((p) => (
              <li key={p.messageId} className="pin-item" data-testid="pinned-item">
                <div className="pin-item-head">
                  <strong>{p.message.author?.name ?? "Former member"}</strong>
                  <span className="muted small">
                    {relativeTime(p.message.createdAt)} · pinned by {p.pinnedBy?.name ?? "someone"}
                  </span>
                </div>
                <p className="pin-item-body">{plainText(p.message.body).slice(0, 300)}</p>
                <div className="pin-item-actions">
                  <Link
                    href={`/?c=${channel.id}&m=${p.messageId}`}
                    className="btn btn-ghost btn-sm"
                    onClick={() => setOpen(false)}
                  >
                    Jump to message
                  </Link>
                  {canPost ? (
                    <button
                      type="button"
                      className="btn btn-ghost btn-sm"
                      disabled={unpin.isPending}
                      onClick={() => unpin.mutate({ messageId: p.messageId })}
                    >
                      Unpin
                    </button>
                  ) : null}
                </div>
              </li>
            ))}
          </ul>
        )}
        {unpin.isError ? <Alert tone="danger">{errorMessage(unpin.error)}</Alert> : null}
      </Dialog>
    </>
  );
}
