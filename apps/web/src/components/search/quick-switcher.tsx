"use client";

import { Alert } from "@nchat/ui/alert";
import { Dialog } from "@nchat/ui/dialog";
import { errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { Badge } from "@nchat/ui/primitives";
import { useDebounced } from "@nchat/ui/use-debounced";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useId, useState } from "react";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";
import { Avatar } from "../ui";
import { useListKeys, useScrollActive } from "./list-keys";
import "./search.css";

type Item = RouterOutputs["search"]["switcher"][number];

/** Ctrl+K (⌘K on a Mac) anywhere in the app opens the quick switcher; again closes it. */
export function QuickSwitcher() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setOpen((o) => !o);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return open ? <SwitcherDialog onClose={() => setOpen(false)} /> : null;
}

function SwitcherDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const ids = useId();
  const [text, setText] = useState("");
  const q = useDebounced(text.trim(), 120);
  const list = useQuery({
    ...trpc.search.switcher.queryOptions({ q, limit: 10 }),
    placeholderData: keepPreviousData,
    staleTime: 15_000,
  });
  const items = list.data ?? [];
  const openDm = useMutation(
    trpc.chat.openDm.mutationOptions({
      onSuccess: (channel) => {
        void qc.invalidateQueries({ queryKey: trpc.chat.channels.queryKey() });
        onClose();
        router.push(`/?c=${channel.id}`);
      },
    }),
  );
  const pick = (item: Item) => {
    if (item.type === "person") return openDm.mutate({ userIds: [item.id] });
    onClose();
    router.push(`/?c=${item.id}`);
  };
  const keys = useListKeys(items.length, q, (i) => {
    const item = items[i];
    if (item) pick(item);
  });
  const optionId = (i: number) => `${ids}-item-${i}`;
  const activeId = items.length > 0 ? optionId(keys.active) : undefined;
  useScrollActive(activeId);

  return (
    <Dialog open onClose={onClose} title="Jump to…" description="Channels, direct messages and people">
      <div className="search-box">
        <Icon name="search" size={16} />
        <input
          autoFocus
          type="text"
          role="combobox"
          aria-label="Jump to a channel or person"
          aria-expanded={items.length > 0}
          aria-controls={`${ids}-list`}
          aria-activedescendant={activeId}
          aria-autocomplete="list"
          data-testid="switcher-input"
          placeholder="Type a channel or a name"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={keys.onKeyDown}
        />
      </div>
      {list.isError ? <Alert tone="danger">{errorMessage(list.error)}</Alert> : null}
      {openDm.error ? <Alert tone="danger">{errorMessage(openDm.error)}</Alert> : null}
      {list.isSuccess && items.length === 0 ? <p className="muted small">Nothing matches “{q}”.</p> : null}
      <div className="switcher-list" id={`${ids}-list`} role="listbox" aria-label="Matches">
        {items.map((item, i) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents: the keys are the field's (combobox), Enter picks
          <div
            key={`${item.type}:${item.id}`}
            id={optionId(i)}
            role="option"
            tabIndex={-1}
            aria-selected={i === keys.active}
            className="switcher-item"
            data-testid="switcher-item"
            onMouseMove={() => keys.setActive(i)}
            onClick={() => pick(item)}
          >
            {item.type === "person" ? (
              <>
                <Avatar name={item.name} id={item.id} size={22} />
                <span>{item.name}</span>
                <span className="muted small">{item.email}</span>
              </>
            ) : (
              <>
                <Icon
                  name={item.kind === "dm" ? "chat" : item.kind === "private" ? "lock" : "hash"}
                  size={16}
                />
                <span>{item.name}</span>
                {item.archived ? <Badge tone="warning">Archived</Badge> : null}
                {!item.isMember ? <span className="muted small">not joined</span> : null}
              </>
            )}
          </div>
        ))}
      </div>
    </Dialog>
  );
}
