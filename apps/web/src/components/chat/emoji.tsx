"use client";

import type { EmojiMartData } from "@emoji-mart/data";
import { type KeyboardEvent, useEffect, useId, useMemo, useRef, useState } from "react";

/*
 * Emoji: the picker (emoji-mart's, with search and categories; for the composer and for reactions)
 * and `:shortcode:` autocomplete in the composer. The data (@emoji-mart/data, native emoji only:
 * nothing is loaded from elsewhere) is imported the first time either is needed.
 */

let dataPromise: Promise<EmojiMartData> | null = null;

export function loadEmojiData(): Promise<EmojiMartData> {
  dataPromise ??= import("@emoji-mart/data").then((m) => (m.default ?? m) as EmojiMartData);
  return dataPromise;
}

function useEmojiData(enabled: boolean): EmojiMartData | null {
  const [data, setData] = useState<EmojiMartData | null>(null);
  useEffect(() => {
    if (!enabled || data) return;
    let live = true;
    void loadEmojiData().then((d) => {
      if (live) setData(d);
    });
    return () => {
      live = false;
    };
  }, [enabled, data]);
  return data;
}

export type ShortcodeMatch = { code: string; native: string; name: string };

/** Emoji whose shortcode (or an alias) starts with the query, then those whose name or keywords hold it. */
export function searchShortcodes(data: EmojiMartData, query: string, limit = 8): ShortcodeMatch[] {
  const q = query.toLowerCase();
  const out: ShortcodeMatch[] = [];
  const seen = new Set<string>();
  const add = (id: string, code = id) => {
    const e = data.emojis[id];
    const native = e?.skins[0]?.native;
    if (!e || !native || seen.has(id) || out.length >= limit) return;
    seen.add(id);
    out.push({ code, native, name: e.name });
  };
  if (data.emojis[q]) add(q);
  for (const id of Object.keys(data.emojis)) if (id.startsWith(q)) add(id);
  for (const [alias, id] of Object.entries(data.aliases)) if (alias.startsWith(q)) add(id, alias);
  for (const e of Object.values(data.emojis))
    if (e.name.toLowerCase().includes(q) || e.keywords.some((k) => k.startsWith(q))) add(e.id);
  return out;
}

/** The emoji of an exact shortcode (`tada`, `+1`, an alias such as `thumbsup`), if any. */
export function shortcodeEmoji(data: EmojiMartData, code: string): string | null {
  const id = data.emojis[code] ? code : data.aliases[code];
  return (id && data.emojis[id]?.skins[0]?.native) || null;
}

/** A `:query` being typed right before the caret (at a word start, 2+ characters), or null. */
export function emojiQuery(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|\s):([a-z0-9_+-]{2,32})$/i.exec(text.slice(0, caret));
  return m ? { start: caret - m[2]!.length - 1, query: m[2]! } : null;
}

/**
 * `:shortcode` suggestions for a text box: feed it every change (`onInput`) and key (`onKeyDown`:
 * true when it handled the key), render `list`. Picking one (Enter, Tab, a click), or typing the
 * closing `:` of a known shortcode, puts the emoji in the text through `apply(next, caret)`.
 */
export function useEmojiAutocomplete(apply: (next: string, caret: number) => void) {
  const [query, setQuery] = useState<{ start: number; end: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const [wanted, setWanted] = useState(false);
  const data = useEmojiData(wanted);
  const text = useRef("");
  const listId = useId();
  const candidates = useMemo(() => (data && query ? searchShortcodes(data, query.query) : []), [data, query]);

  function pick(c: ShortcodeMatch) {
    if (!query) return;
    const v = text.current;
    setQuery(null);
    apply(`${v.slice(0, query.start)}${c.native}${v.slice(query.end)}`, query.start + c.native.length);
  }

  function onInput(value: string, caret: number) {
    text.current = value;
    const closed = /(^|\s):([a-z0-9_+-]{2,32}):$/i.exec(value.slice(0, caret));
    const native = closed && data ? shortcodeEmoji(data, closed[2]!.toLowerCase()) : null;
    if (closed && native) {
      const start = caret - closed[2]!.length - 2;
      setQuery(null);
      apply(`${value.slice(0, start)}${native}${value.slice(caret)}`, start + native.length);
      return;
    }
    const q = emojiQuery(value, caret);
    if (q) setWanted(true);
    setQuery(q ? { ...q, end: caret } : null);
    setActive(0);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>): boolean {
    if (!query || candidates.length === 0) return false;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (a + step + candidates.length) % candidates.length);
      return true;
    }
    if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      pick(candidates[active] ?? candidates[0]!);
      return true;
    }
    if (e.key === "Escape") {
      e.preventDefault();
      setQuery(null);
      return true;
    }
    return false;
  }

  const open = query !== null && candidates.length > 0;
  const list = open ? (
    <div className="mention-list emoji-list" id={listId} role="listbox" aria-label="Emoji">
      {candidates.map((c, i) => (
        <div
          key={c.code}
          id={`${listId}-${i}`}
          role="option"
          tabIndex={-1}
          aria-selected={i === active}
          className={i === active ? "active" : undefined}
          onMouseDown={(e) => {
            e.preventDefault();
            pick(c);
          }}
          onMouseEnter={() => setActive(i)}
        >
          <span className="emoji-glyph" aria-hidden="true">
            {c.native}
          </span>
          <strong>:{c.code}:</strong>
          <span className="muted small">{c.name}</span>
        </div>
      ))}
    </div>
  ) : null;
  return {
    onInput,
    onKeyDown,
    list,
    open,
    listId,
    activeId: open ? `${listId}-${active}` : undefined,
    close: () => setQuery(null),
  };
}

/**
 * emoji-mart's picker (search, categories, recently used) in a popover: a pick calls `onPick` with
 * the emoji; Escape or a click outside closes it.
 */
export function EmojiPickerPopover({
  onPick,
  onClose,
  label,
  className,
}: {
  onPick: (emoji: string) => void;
  onClose: () => void;
  label: string;
  className?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const pickRef = useRef(onPick);
  pickRef.current = onPick;
  useEffect(() => {
    let live = true;
    let picker: HTMLElement | null = null;
    void Promise.all([loadEmojiData(), import("emoji-mart")]).then(([data, { Picker }]) => {
      if (!live || !host.current) return;
      picker = new Picker({
        data,
        onEmojiSelect: (e: { native?: string }) => {
          if (e.native) pickRef.current(e.native);
        },
        autoFocus: true,
        theme: "light",
        previewPosition: "none",
        skinTonePosition: "search",
        navPosition: "top",
        maxFrequentRows: 2,
      }) as unknown as HTMLElement;
      host.current.appendChild(picker);
    });
    return () => {
      live = false;
      picker?.remove();
    };
  }, []);
  useEffect(() => {
    const onDoc = (e: MouseEvent) => {
      if (host.current && !e.composedPath().includes(host.current)) onClose();
    };
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        onClose();
      }
    };
    document.addEventListener("mousedown", onDoc);
    document.addEventListener("keydown", onKey, true);
    return () => {
      document.removeEventListener("mousedown", onDoc);
      document.removeEventListener("keydown", onKey, true);
    };
  }, [onClose]);
  return (
    <div
      ref={host}
      className={`emoji-popover${className ? ` ${className}` : ""}`}
      role="dialog"
      aria-label={label}
      data-testid="emoji-picker"
    />
  );
}
