"use client";

import { errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Spinner } from "@nchat/ui/primitives";
import { type QueryKey, useInfiniteQuery } from "@tanstack/react-query";
import { Fragment, type ReactNode, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { dayLabel } from "@/lib/format";
import { Alert, Button } from "../ui";
import type { Message, MessagePage, PageParam } from "./data";
import { MessageItem } from "./message";

const GROUP_MS = 5 * 60_000;

export type ListHandle = { scrollToBottom: () => void };

/**
 * A scrolling list of messages loaded in pages both ways: older pages load when the top comes into
 * view, newer ones when the bottom does (after a jump into the past). The position stays put when
 * older messages are added above; new live messages scroll into view only if you were at the end.
 */
export function MessageList<P extends MessagePage>({
  queryKey,
  fetchPage,
  initialParam,
  targetId,
  lastReadId,
  header,
  footer,
  empty,
  onAtBottom,
  onReplyInThread,
  inThread,
  channelArchived,
  onFeatureBlocked,
  scrollSignal,
  label,
  enabled = true,
}: {
  queryKey: QueryKey;
  fetchPage: (param: PageParam) => Promise<P>;
  initialParam: PageParam;
  /** Scroll to and highlight this message (jump-to-message). */
  targetId?: number | null;
  /**
   * Show "New messages" above the first message after this id: fixed when the first page arrives
   * (undefined: not known yet — the caller holds the list back until it is; null: no line).
   */
  lastReadId?: number | null;
  header?: (first: P | undefined) => ReactNode;
  /** After the last message (messages sent from this tab, not confirmed yet). */
  footer?: ReactNode;
  empty?: ReactNode;
  onAtBottom?: (atBottom: boolean, newestId: number | null, liveEnd: boolean) => void;
  onReplyInThread?: (m: Message) => void;
  inThread?: boolean;
  channelArchived?: boolean;
  onFeatureBlocked?: (message: string) => void;
  /** Changes when the user sent something: scroll to the end. */
  scrollSignal?: number;
  label: string;
  enabled?: boolean;
}) {
  const q = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: initialParam,
    getPreviousPageParam: (first) =>
      first.hasOlder && first.messages[0] ? ({ before: first.messages[0].id } as PageParam) : undefined,
    getNextPageParam: (last) =>
      last.hasNewer && last.messages.at(-1) ? ({ after: last.messages.at(-1)!.id } as PageParam) : undefined,
    // Realtime events keep loaded pages current (data.ts applies them to every cached channel); the
    // client's default staleTime (30 s) refetches a channel reopened later, for what a broken stream missed.
    gcTime: 10 * 60_000,
    enabled,
  });

  const scroller = useRef<HTMLDivElement>(null);
  const topSentinel = useRef<HTMLDivElement>(null);
  const bottomSentinel = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const [showJump, setShowJump] = useState(false);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const initialScrollDone = useRef(false);
  const [highlight, setHighlight] = useState<number | null>(null);
  // "New messages" divider: fixed when the first page arrives, so it does not move while reading.
  const newAfterRef = useRef<number | null | undefined>(undefined);
  if (newAfterRef.current === undefined && q.data) newAfterRef.current = lastReadId ?? null;
  const newAfter = newAfterRef.current ?? null;

  const messages = q.data?.pages.flatMap((p) => p.messages) ?? [];
  const newestId = messages.at(-1)?.id ?? null;
  const liveEnd = q.data ? !q.hasNextPage : false;

  const report = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    atBottom.current = bottom;
    setShowJump(!bottom || !liveEnd);
    onAtBottom?.(bottom && liveEnd, newestId, liveEnd);
  }, [onAtBottom, newestId, liveEnd]);

  // First render of data: jump target, the "new" divider, or the end.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !q.data || initialScrollDone.current) return;
    initialScrollDone.current = true;
    const target = targetId ? el.querySelector<HTMLElement>(`#message-${targetId}`) : null;
    const divider = el.querySelector<HTMLElement>("[data-new-divider]");
    if (target) {
      target.scrollIntoView({ block: "center" });
      setHighlight(targetId ?? null);
      setTimeout(() => setHighlight(null), 5_000);
    } else if (divider && divider.offsetTop > el.clientHeight) {
      el.scrollTop = divider.offsetTop - 80;
    } else {
      el.scrollTop = el.scrollHeight;
    }
    report();
  });

  // Keep the view steady when pages are added above; follow the end when new messages arrive.
  const firstId = messages[0]?.id;
  const count = messages.length;
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the list changes
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !initialScrollDone.current) return;
    if (anchor.current) {
      el.scrollTop = el.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    } else if (atBottom.current && liveEnd) {
      el.scrollTop = el.scrollHeight;
    }
    report();
  }, [firstId, count]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new signal scrolls to the end
  useEffect(() => {
    const el = scroller.current;
    if (el && scrollSignal) {
      el.scrollTop = el.scrollHeight;
      report();
    }
  }, [scrollSignal]);

  // Infinite scroll both ways.
  useEffect(() => {
    const root = scroller.current;
    if (!root) return;
    const io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting || !initialScrollDone.current) continue;
          if (e.target === topSentinel.current && q.hasPreviousPage && !q.isFetchingPreviousPage) {
            anchor.current = { height: root.scrollHeight, top: root.scrollTop };
            void q.fetchPreviousPage();
          }
          if (e.target === bottomSentinel.current && q.hasNextPage && !q.isFetchingNextPage)
            void q.fetchNextPage();
        }
      },
      { root, rootMargin: "400px 0px" },
    );
    if (topSentinel.current) io.observe(topSentinel.current);
    if (bottomSentinel.current) io.observe(bottomSentinel.current);
    return () => io.disconnect();
  }, [
    q.hasPreviousPage,
    q.hasNextPage,
    q.isFetchingPreviousPage,
    q.isFetchingNextPage,
    q.fetchPreviousPage,
    q.fetchNextPage,
  ]);

  // Not loaded (yet): what was sent from this tab meanwhile stays in view below, with Retry and
  // Discard — also offline, when the list waits for the connection.
  if (q.isPending || q.isError)
    return (
      <div className="message-pane">
        <div className="message-scroller center-pad">
          {q.isPending ? (
            <Spinner label="Loading messages" />
          ) : (
            <Alert
              tone="danger"
              action={
                <Button variant="secondary" size="sm" onClick={() => q.refetch()}>
                  Retry
                </Button>
              }
            >
              {errorMessage(q.error)}
            </Alert>
          )}
        </div>
        {footer}
      </div>
    );

  const visible = messages.filter((m) => !m.deletedAt || m.replyCount > 0 || inThread);
  return (
    <div className="message-pane">
      <div
        className="message-scroller"
        ref={scroller}
        onScroll={report}
        role="log"
        aria-label={label}
        aria-live="polite"
        aria-relevant="additions"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        tabIndex={0}
        data-testid={inThread ? "thread-messages" : "messages"}
      >
        <div ref={topSentinel} className="sentinel" />
        {q.isFetchingPreviousPage ? (
          <div className="list-loading">
            <Spinner size={16} label="Loading older messages" />
          </div>
        ) : null}
        {!q.hasPreviousPage ? header?.(q.data.pages[0]) : null}
        {visible.length === 0 && !q.hasPreviousPage ? empty : null}
        {visible.map((m, i) => {
          const prev = visible[i - 1]; // In a thread the parent shows its date already.
          const newDay = prev ? dayLabel(prev.createdAt) !== dayLabel(m.createdAt) : !inThread;
          const showNew = newAfter !== null && m.id > newAfter && (!prev || prev.id <= newAfter) && !inThread;
          const compact =
            !newDay &&
            !showNew &&
            !!prev &&
            !prev.deletedAt &&
            prev.author?.id === m.author?.id &&
            new Date(m.createdAt).getTime() - new Date(prev.createdAt).getTime() < GROUP_MS;
          return (
            <Fragment key={m.id}>
              {newDay ? (
                <div className="day-divider">
                  <span>{dayLabel(m.createdAt)}</span>
                </div>
              ) : null}
              {showNew ? (
                <div className="new-divider" data-new-divider data-testid="new-messages-line">
                  <span>New messages</span>
                </div>
              ) : null}
              <MessageItem
                message={m}
                compact={compact}
                highlighted={highlight === m.id}
                onReplyInThread={onReplyInThread}
                inThread={inThread}
                channelArchived={channelArchived}
                onFeatureBlocked={onFeatureBlocked}
              />
            </Fragment>
          );
        })}
        {q.isFetchingNextPage ? (
          <div className="list-loading">
            <Spinner size={16} label="Loading newer messages" />
          </div>
        ) : null}
        {q.hasNextPage ? null : footer}
        <div ref={bottomSentinel} className="sentinel" />
      </div>
      {showJump ? (
        <button
          type="button"
          className="jump-latest"
          onClick={() => {
            const el = scroller.current;
            if (!liveEnd) {
              window.dispatchEvent(new CustomEvent("nchat:jump-latest"));
              return;
            }
            if (el) el.scrollTo({ top: el.scrollHeight, behavior: "smooth" });
          }}
        >
          <Icon name="arrow-down" size={14} /> Jump to latest
        </button>
      ) : null}
    </div>
  );
}
