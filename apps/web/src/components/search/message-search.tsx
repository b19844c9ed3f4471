"use client";

import { isSearchable, parseSearchQuery, type SnippetPart } from "@nchat/protocol/search";
import { Alert } from "@nchat/ui/alert";
import { Dialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Badge, EmptyState, Spinner } from "@nchat/ui/primitives";
import { useDebounced } from "@nchat/ui/use-debounced";
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
import { formatDateTime, relativeTime } from "@/lib/format";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";
import { LoadMore } from "../ui";
import { useListKeys, useScrollActive } from "./list-keys";
import "./search.css";

type Hit = RouterOutputs["search"]["messages"]["results"][number];
type Sort = "newest" | "best";

/**
 * The search box of the chat header. Typing in it opens the search dialog with what was typed (the
 * dialog keeps the text and the caret); "/" anywhere outside a text field focuses it.
 */
export function HeaderSearch() {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
      const el = e.target as HTMLElement | null;
      if (
        el?.closest?.(
          "input, textarea, select, [contenteditable=''], [contenteditable='true'], [role='dialog']",
        )
      )
        return;
      e.preventDefault();
      input.current?.focus();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <search className="header-search">
      <Icon name="search" size={15} />
      <input
        ref={input}
        aria-keyshortcuts="/"
        type="search"
        aria-label="Search messages"
        placeholder="Search messages"
        data-testid="header-search"
        value={open ? "" : text}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim()) setOpen(true);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            setOpen(true);
          }
        }}
      />
      {open ? <SearchDialog initial={text} onClose={() => setOpen(false)} onText={setText} /> : null}
    </search>
  );
}

function SearchDialog({
  initial,
  onClose,
  onText,
}: {
  initial: string;
  onClose: () => void;
  onText: (text: string) => void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const ids = useId();
  const [text, setTextState] = useState(initial);
  const [sort, setSort] = useState<Sort>("newest");
  const setText = (v: string) => {
    setTextState(v);
    onText(v);
  };
  const debounced = useDebounced(text, 200);
  const parsed = parseSearchQuery(debounced);
  const ready = parsed.ok && isSearchable(parsed.query);
  const q = useInfiniteQuery({
    ...trpc.search.messages.infiniteQueryOptions(
      { q: debounced, sort, limit: 20 },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
    enabled: ready,
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
  const hits = ready ? (q.data?.pages.flatMap((p) => p.results) ?? []) : [];
  const open = (hit: Hit) => {
    onClose();
    router.push(hit.link);
  };
  const keys = useListKeys(hits.length, `${debounced}|${sort}`, (i) => {
    const hit = hits[i];
    if (hit) open(hit);
  });
  const optionId = (i: number) => `${ids}-hit-${i}`;
  const activeId = hits.length > 0 ? optionId(keys.active) : undefined;
  useScrollActive(activeId);
  const live = parseSearchQuery(text);

  return (
    <Dialog open onClose={onClose} title="Search messages" size="lg">
      <div className="search-box">
        <Icon name="search" size={16} />
        <input
          autoFocus
          type="search"
          role="combobox"
          aria-label="Search messages"
          aria-expanded={hits.length > 0}
          aria-controls={`${ids}-results`}
          aria-activedescendant={activeId}
          aria-autocomplete="list"
          data-testid="search-input"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={keys.onKeyDown}
          onFocus={(e) =>
            e.currentTarget.setSelectionRange(e.currentTarget.value.length, e.currentTarget.value.length)
          }
        />
        {q.isFetching ? <Spinner size={14} /> : null}
      </div>
      <div className="search-meta">
        <div className="search-chips">
          {live.ok
            ? live.query.operators.map((o, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: operators repeat; their order is their identity
                <Badge key={i} tone="info" className="search-chip">
                  {o.key}:{o.value}
                </Badge>
              ))
            : null}
        </div>
        <fieldset className="search-sort">
          <legend className="sr-only">Order</legend>
          {(["newest", "best"] as const).map((s) => (
            <button
              key={s}
              type="button"
              className={`btn btn-sm ${sort === s ? "btn-secondary" : "btn-ghost"}`}
              aria-pressed={sort === s}
              onClick={() => setSort(s)}
            >
              {s === "newest" ? "Newest" : "Best match"}
            </button>
          ))}
        </fieldset>
      </div>
      {!live.ok ? (
        <Alert tone="warning">{live.issues.map((i) => i.message).join(" ")}</Alert>
      ) : !ready ? (
        <p className="muted small search-help">
          Words, "exact phrases", -excluded, <code>in:#channel</code>, <code>in:@person</code>,{" "}
          <code>from:@person</code>, <code>has:file</code>, <code>has:link</code>, <code>before:</code>/
          <code>after:</code>/<code>on:YYYY-MM-DD</code>
        </p>
      ) : q.isError ? (
        <Alert tone="danger">{errorMessage(q.error)}</Alert>
      ) : q.isPending ? (
        <div className="center-pad">
          <Spinner label="Searching" />
        </div>
      ) : hits.length === 0 ? (
        <EmptyState icon="search" title="No messages found">
          Try other words, or fewer filters.
        </EmptyState>
      ) : (
        <div className="search-results" id={`${ids}-results`} role="listbox" aria-label="Messages found">
          {hits.map((hit, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the keys are the field's (combobox), Enter opens
            <div
              key={hit.id}
              id={optionId(i)}
              role="option"
              tabIndex={-1}
              aria-selected={i === keys.active}
              className="search-hit"
              data-testid="search-hit"
              onMouseMove={() => keys.setActive(i)}
              onClick={() => open(hit)}
            >
              <span className="search-hit-head">
                <strong>{hit.author?.name ?? "Someone"}</strong>
                <span className="muted small">
                  {hit.channel.kind === "dm" ? hit.channel.name : `#${hit.channel.name}`}
                  {hit.parentId ? " · in a thread" : ""}
                  {hit.channel.archived ? " · archived" : ""} ·{" "}
                  <time
                    dateTime={new Date(hit.createdAt).toISOString()}
                    title={formatDateTime(hit.createdAt)}
                  >
                    {relativeTime(hit.createdAt)}
                  </time>
                </span>
              </span>
              <Snippet parts={hit.snippet} />
              {hit.files.length > 0 ? (
                <span className="search-hit-files">
                  {hit.files.map((f) => (
                    <span key={f.id} className="search-file">
                      <Icon name="file" size={13} />
                      {f.match ? <mark>{f.fileName}</mark> : f.fileName}
                    </span>
                  ))}
                </span>
              ) : null}
            </div>
          ))}
        </div>
      )}
      {ready ? <LoadMore query={q} label="More results" size="sm" /> : null}
    </Dialog>
  );
}

/** A snippet: matches in <mark>, everything as text (React escapes it). */
function Snippet({ parts }: { parts: SnippetPart[] }) {
  return (
    <span className="search-hit-body">
      {parts.map((p, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one snippet never reorder
        p.match ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>,
      )}
    </span>
  );
}
