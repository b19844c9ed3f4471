"use client";

import { appErrorOf, errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { mentionQuery, type PickedMention, toTokens } from "@/lib/mentions";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { useSessionUser, useTenant } from "../tenant";
import { type Candidate, MentionList, useMentionCandidates } from "./composer-mentions";
import { UploadList, useComposerUploads } from "./composer-uploads";
import { type Message, type MessagesData, messagesPrefix, type ThreadData, threadKey } from "./data";
import { EmojiPickerPopover, useEmojiAutocomplete } from "./emoji";
import { EDIT_EVENT } from "./message";
import { addPending, draftKey, isPendingDraft, readDraft, writeDraft } from "./pending";
import { isNetworkError, sendPending } from "./pending-messages";

const TYPING_EVERY_MS = 4_000;

/**
 * The message box: Enter sends, Shift+Enter breaks the line; @ opens mention suggestions (the
 * channel's members, @channel, @here) inserted as the router's mention tokens; `:` opens emoji
 * suggestions (`:tada` → 🎉; a known `:shortcode:` typed whole becomes its emoji) and the smiley
 * button the emoji picker; files upload with progress (XMLHttpRequest) and go out as file links in
 * the message.
 */
export function Composer({
  channelId,
  channelName,
  parentId,
  disabled,
  onSent,
  autoFocus,
}: {
  channelId: string;
  channelName: string;
  parentId?: number;
  disabled?: string | null;
  onSent?: (m: Message) => void;
  autoFocus?: boolean;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const me = useSessionUser();
  const tenant = useTenant();
  const storageKey = draftKey(tenant.id, channelId, parentId ?? null);
  const [text, setTextState] = useState("");
  const textRef = useRef("");
  /** The box's text, saved as the draft at once (not in an effect: a redirect may come first). */
  const setText = (value: string, save = true) => {
    textRef.current = value;
    setTextState(value);
    if (save) writeDraft(storageKey, value);
  };
  const [picked, setPicked] = useState<PickedMention[]>([]);
  const [error, setError] = useState<{ message: string; code?: string } | null>(null);
  const [query, setQuery] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const ref = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const root = useRef<HTMLDivElement>(null);
  const { uploads, setUploads, addFiles, removeUpload, dragging, uploadsFeature } = useComposerUploads(
    channelId,
    root,
  );
  const lastTyping = useRef(0);
  const listId = useId();
  const [emojiPicker, setEmojiPicker] = useState(false);
  /** Puts text in the box with the caret at `caret` (an emoji picked or completed). */
  const applyText = (next: string, caret: number) => {
    flushSync(() => setText(next));
    ref.current?.focus();
    ref.current?.setSelectionRange(caret, caret);
  };
  const emoji = useEmojiAutocomplete(applyText);

  // Drafts survive switching channels, reloads and signing in again.
  useEffect(() => {
    const stored = readDraft(storageKey);
    // (A draft on its way — or waiting for a connection — is in the list already.)
    const draft = isPendingDraft(storageKey, stored) ? "" : stored;
    textRef.current = draft;
    setTextState(draft);
    setPicked([]);
    setUploads([]);
    setError(null);
    if (autoFocus) ref.current?.focus();
  }, [storageKey, autoFocus, setUploads]);

  // Grow with the text, up to a limit.
  // biome-ignore lint/correctness/useExhaustiveDependencies: resize on text change
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  const candidates = useMentionCandidates(channelId, query?.query ?? null);
  const typing = useMutation(trpc.chat.typing.mutationOptions());
  const pendingUploads = uploads.some((u) => u.status === "uploading");
  const doneUploads = uploads.filter((u) => u.status === "done" && u.result);

  function submit() {
    if (disabled) return;
    const files = doneUploads.map((u) => u.result!);
    // A message needs text: a file sent on its own is introduced by its name.
    const body = toTokens(text.trim(), picked) || files.map((f) => f.fileName).join(", ");
    if (!body) return;
    if (pendingUploads) {
      setError({ message: "Wait for the upload to finish." });
      return;
    }
    setError(null);
    const previous = { text, picked, uploads };
    // The box empties and the message shows at the end of the list as "Sending…" (offline: "Not
    // sent", with Retry and Discard). The stored draft stays until the server has it: a failed
    // send, or a sign-in page in between, must not lose it.
    setText("", false);
    setPicked([]);
    setUploads([]);
    const pending = addPending({
      channelId,
      parentId: parentId ?? null,
      body,
      text: text.trim() || body,
      attachmentIds: files.map((f) => f.id),
      status: "sending",
      draftKey: storageKey,
      draftText: previous.text,
    });
    sendPending(client, qc, pending).then(
      (message) => onSent?.(message),
      (e) => {
        if (isNetworkError(e)) return; // pending in the list, with Retry and Discard
        // Refused (a limit, a permission): the text goes back into the box with the reason.
        const since = textRef.current;
        setText(since ? `${previous.text}\n${since}` : previous.text);
        setPicked(previous.picked);
        setUploads(previous.uploads);
        setError({ message: errorMessage(e), code: appErrorOf(e)?.appCode });
      },
    );
  }

  function insertMention(c: Candidate) {
    if (!query) return;
    const el = ref.current;
    const caret = el?.selectionStart ?? text.length;
    const label = c.kind === "user" ? c.name : c.kind;
    const next = `${text.slice(0, query.start)}@${label} ${text.slice(caret)}`;
    const pos = query.start + label.length + 2;
    // Committed now and the caret placed in the same task: a key typed right after picking lands
    // after the mention (with a frame in between it could land before the caret moved).
    flushSync(() => {
      setText(next);
      if (c.kind === "user") setPicked((p) => [...p, { id: c.id, name: c.name }]);
      setQuery(null);
    });
    el?.focus();
    el?.setSelectionRange(pos, pos);
  }

  function onChange(value: string, caret: number) {
    setText(value);
    setError(null);
    const q = mentionQuery(value, caret);
    setQuery(q);
    setActive(0);
    if (q) emoji.close();
    else emoji.onInput(value, caret);
    if (value.trim() && Date.now() - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = Date.now();
      typing.mutate({ channelId });
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (emoji.onKeyDown(e)) return;
    if (query && candidates.length > 0) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        setActive((a) => (a + 1) % candidates.length);
        return;
      }
      if (e.key === "ArrowUp") {
        e.preventDefault();
        setActive((a) => (a - 1 + candidates.length) % candidates.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        insertMention(candidates[active]!);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        setQuery(null);
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
      return;
    }
    // Up in an empty box edits my last message here.
    if (e.key === "ArrowUp" && !text && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      const id = lastOwnMessageId();
      if (id !== null) {
        e.preventDefault();
        window.dispatchEvent(new CustomEvent(EDIT_EVENT, { detail: { id } }));
      }
    }
  }

  /** My newest message (not deleted) loaded in this channel's list, or in this thread. */
  function lastOwnMessageId(): number | null {
    const lists: ({ pages: { messages: Message[] }[] } | undefined)[] = parentId
      ? [qc.getQueryData<ThreadData>(threadKey(parentId))]
      : qc.getQueriesData<MessagesData>({ queryKey: messagesPrefix(channelId) }).map(([, d]) => d);
    let best: number | null = null;
    for (const data of lists)
      for (const page of data?.pages ?? [])
        for (const m of page.messages)
          if (m.author?.id === me.id && !m.deletedAt && (best === null || m.id > best)) best = m.id;
    return best;
  }

  if (disabled)
    return (
      <div className="composer composer-disabled" role="note">
        {disabled}
      </div>
    );

  const showList = query !== null && candidates.length > 0;
  const blocked =
    uploads.some((u) => u.errorCode === "LIMIT_EXCEEDED" || u.errorCode === "FEATURE_NOT_IN_PLAN") ||
    error?.code === "FEATURE_NOT_IN_PLAN" ||
    error?.code === "LIMIT_EXCEEDED";
  return (
    <div className={`composer${dragging ? " dragging" : ""}`} ref={root}>
      {showList ? (
        <MentionList
          id={listId}
          candidates={candidates}
          active={active}
          onPick={insertMention}
          onHover={setActive}
        />
      ) : null}
      {emoji.list}
      {emojiPicker ? (
        <EmojiPickerPopover
          label="Insert an emoji"
          className="composer-emoji-picker"
          onClose={() => setEmojiPicker(false)}
          onPick={(glyph) => {
            const el = ref.current;
            const start = el?.selectionStart ?? text.length;
            const end = el?.selectionEnd ?? start;
            setEmojiPicker(false);
            applyText(`${text.slice(0, start)}${glyph}${text.slice(end)}`, start + glyph.length);
          }}
        />
      ) : null}
      {uploads.length > 0 ? <UploadList uploads={uploads} onRemove={removeUpload} /> : null}
      {blocked && me.role === "owner" ? (
        <p className="composer-hint">
          <Link href="/billing">Upgrade your plan</Link> for more storage, bigger files and more features.
        </p>
      ) : null}
      {error ? (
        <p className="composer-error" role="alert">
          {error.message}
        </p>
      ) : null}
      <div className="composer-box">
        <label htmlFor={`composer-${channelId}-${parentId ?? "main"}`} className="sr-only">
          {parentId ? "Reply in thread" : `Message ${channelName}`}
        </label>
        <textarea
          id={`composer-${channelId}-${parentId ?? "main"}`}
          ref={ref}
          rows={1}
          value={text}
          placeholder={parentId ? "Reply…" : `Message ${channelName}`}
          onChange={(e) => onChange(e.target.value, e.target.selectionStart)}
          onKeyDown={onKeyDown}
          onBlur={() =>
            setTimeout(() => {
              setQuery(null);
              emoji.close();
            }, 150)
          }
          onPaste={(e) => {
            if (e.clipboardData.files.length) {
              e.preventDefault();
              void addFiles(Array.from(e.clipboardData.files));
            }
          }}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={showList || emoji.open}
          aria-controls={showList ? listId : emoji.open ? emoji.listId : undefined}
          aria-activedescendant={showList ? `${listId}-${active}` : emoji.activeId}
          data-testid={parentId ? "thread-composer" : "composer"}
        />
        <div className="composer-tools">
          <input
            ref={fileInput}
            type="file"
            multiple
            hidden
            data-testid="file-input"
            onChange={(e) => {
              if (e.target.files) void addFiles(Array.from(e.target.files));
              e.target.value = "";
            }}
          />
          <button
            type="button"
            className="icon-btn"
            aria-label="Attach files"
            title={
              uploadsFeature.enabled || uploadsFeature.loading
                ? "Attach files"
                : "File uploads are not in your plan"
            }
            onClick={() => fileInput.current?.click()}
          >
            <Icon name="paperclip" size={18} />
          </button>
          <button
            type="button"
            className="icon-btn"
            aria-label="Mention someone"
            title="Mention someone"
            onClick={() => {
              const el = ref.current;
              const caret = el?.selectionStart ?? text.length;
              const needsSpace = caret > 0 && !/\s/.test(text[caret - 1] ?? "");
              const next = `${text.slice(0, caret)}${needsSpace ? " " : ""}@${text.slice(caret)}`;
              const pos = caret + (needsSpace ? 2 : 1);
              flushSync(() => {
                setText(next);
                setQuery({ start: pos - 1, query: "" });
              });
              el?.focus();
              el?.setSelectionRange(pos, pos);
            }}
          >
            <Icon name="at" size={18} />
          </button>
          <button
            type="button"
            className="icon-btn"
            aria-label="Insert an emoji"
            title="Emoji"
            aria-expanded={emojiPicker}
            // (not the picker's "click outside": this button toggles it)
            onMouseDown={(e) => e.stopPropagation()}
            onClick={() => setEmojiPicker((v) => !v)}
          >
            <Icon name="smile" size={18} />
          </button>
          <button
            type="button"
            className="send-btn"
            aria-label="Send"
            onClick={submit}
            disabled={pendingUploads || (!text.trim() && doneUploads.length === 0)}
          >
            <Icon name="send" size={16} />
          </button>
        </div>
      </div>
      <p className="composer-help muted small">
        <strong>Enter</strong> to send · <strong>Shift+Enter</strong> for a new line · **bold**, *italic*,
        `code` · :emoji:
      </p>
    </div>
  );
}
