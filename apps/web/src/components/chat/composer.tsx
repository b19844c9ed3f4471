"use client";

import { appErrorOf, errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type KeyboardEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { formatBytes } from "@/lib/format";
import { mentionQuery, type PickedMention, toTokens } from "@/lib/mentions";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { useSessionUser, useTenant, useTenantFeature, useTenantLimits } from "../tenant";
import { Avatar } from "../ui";
import { type Message, type MessagesData, messagesPrefix, type ThreadData, threadKey } from "./data";
import { EmojiPickerPopover, useEmojiAutocomplete } from "./emoji";
import { EDIT_EVENT } from "./message";
import { addPending, draftKey, isPendingDraft, readDraft, writeDraft } from "./pending";
import { isNetworkError, sendPending } from "./pending-messages";
import { type UploadedFile, uploadFile } from "./upload";

type Upload = {
  key: string;
  file: File;
  progress: number;
  status: "uploading" | "done" | "error";
  error?: string;
  errorCode?: string;
  result?: UploadedFile;
  abort?: () => void;
};

type Candidate = { id: string; name: string; sub: string; kind: "user" | "channel" | "here" };

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
  // Limits and features are asked for when files are picked, not with every composer.
  const [filesWanted, setFilesWanted] = useState(false);
  const limits = useTenantLimits({ enabled: filesWanted });
  const uploadsFeature = useTenantFeature("fileUploads", { enabled: filesWanted });
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
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [error, setError] = useState<{ message: string; code?: string } | null>(null);
  const [query, setQuery] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const [dragging, setDragging] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const root = useRef<HTMLDivElement>(null);
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
  }, [storageKey, autoFocus]);

  // Grow with the text, up to a limit.
  // biome-ignore lint/correctness/useExhaustiveDependencies: resize on text change
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  // Files dropped on the composer are uploaded like picked ones.
  const addFilesRef = useRef<(files: File[]) => Promise<void>>(async () => {});
  useEffect(() => {
    const el = root.current;
    if (!el) return;
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes("Files")) {
        e.preventDefault();
        setDragging(true);
      }
    };
    const leave = () => setDragging(false);
    const drop = (e: DragEvent) => {
      if (e.dataTransfer?.files.length) {
        e.preventDefault();
        setDragging(false);
        void addFilesRef.current(Array.from(e.dataTransfer.files));
      }
    };
    el.addEventListener("dragover", over);
    el.addEventListener("dragleave", leave);
    el.addEventListener("drop", drop);
    return () => {
      el.removeEventListener("dragover", over);
      el.removeEventListener("dragleave", leave);
      el.removeEventListener("drop", drop);
    };
  });

  const membersQuery = useQuery({
    ...trpc.chat.channelMembers.queryOptions({ channelId }),
    enabled: query !== null,
    staleTime: 60_000,
  });
  const candidates: Candidate[] = useMemo(() => {
    if (!query) return [];
    const q = query.query.toLowerCase();
    const people = (membersQuery.data?.members ?? [])
      .filter((m) => m.id !== me.id && m.name.toLowerCase().includes(q))
      .slice(0, 8)
      .map((m) => ({ id: m.id, name: m.name, sub: m.role, kind: "user" as const }));
    const broadcast = (["channel", "here"] as const)
      .filter((k) => k.startsWith(q))
      .map((k) => ({
        id: k,
        name: k,
        sub: k === "channel" ? "Notify everyone in this channel" : "Notify everyone here",
        kind: k,
      }));
    return [...people, ...broadcast];
  }, [query, membersQuery.data, me.id]);

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

  async function addFiles(files: FileList | File[]) {
    setFilesWanted(true);
    const max =
      limits.data?.maxUploadBytes ??
      (await qc.fetchQuery({ ...trpc.ui.limits.queryOptions(), staleTime: 15_000 }).catch(() => null))
        ?.maxUploadBytes ??
      null;
    for (const file of Array.from(files)) {
      const key = `${file.name}-${file.size}-${Math.random().toString(36).slice(2)}`;
      if (max !== null && file.size > max) {
        setUploads((u) => [
          ...u,
          {
            key,
            file,
            progress: 0,
            status: "error",
            error: `Larger than ${formatBytes(max)}, the most your plan allows per file.`,
            errorCode: "LIMIT_EXCEEDED",
          },
        ]);
        continue;
      }
      const { promise, abort } = uploadFile(channelId, file, (progress) =>
        setUploads((u) => u.map((x) => (x.key === key ? { ...x, progress } : x))),
      );
      setUploads((u) => [...u, { key, file, progress: 0, status: "uploading", abort }]);
      promise.then(
        (result) => {
          setUploads((u) =>
            u.map((x) => (x.key === key ? { ...x, status: "done", progress: 1, result } : x)),
          );
          void qc.invalidateQueries({ queryKey: limits.queryKey });
        },
        (err) => {
          const info = appErrorOf(err);
          if (info?.appCode === "ABORTED") {
            setUploads((u) => u.filter((x) => x.key !== key));
            return;
          }
          setUploads((u) =>
            u.map((x) =>
              x.key === key
                ? { ...x, status: "error", error: errorMessage(err), errorCode: info?.appCode }
                : x,
            ),
          );
        },
      );
    }
  }

  addFilesRef.current = addFiles;

  const removeUpload = (key: string) =>
    setUploads((u) => {
      u.find((x) => x.key === key)?.abort?.();
      return u.filter((x) => x.key !== key);
    });

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
        <div className="mention-list" id={listId} role="listbox" aria-label="Mention someone">
          {candidates.map((c, i) => (
            <div
              key={`${c.kind}-${c.id}`}
              tabIndex={-1}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? "active" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                insertMention(c);
              }}
              onMouseEnter={() => setActive(i)}
            >
              {c.kind === "user" ? (
                <Avatar name={c.name} id={c.id} size={22} />
              ) : (
                <span className="mention-at">@</span>
              )}
              <strong>{c.kind === "user" ? c.name : `@${c.name}`}</strong>
              <span className="muted small">{c.sub}</span>
            </div>
          ))}
        </div>
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
      {uploads.length > 0 ? (
        <ul className="upload-list" aria-label="Attachments">
          {uploads.map((u) => (
            <li key={u.key} className={`upload upload-${u.status}`} data-testid="upload">
              <Icon name="file" size={18} />
              <span className="upload-main">
                <span className="upload-name">{u.file.name}</span>
                {u.status === "uploading" ? (
                  <span
                    className="upload-progress"
                    role="progressbar"
                    aria-label={`Uploading ${u.file.name}`}
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={Math.round(u.progress * 100)}
                  >
                    <span style={{ width: `${Math.round(u.progress * 100)}%` }} />
                  </span>
                ) : u.status === "error" ? (
                  <span className="upload-error" role="alert">
                    {u.error}
                  </span>
                ) : (
                  <span className="muted small">{formatBytes(u.file.size)} · ready to send</span>
                )}
              </span>
              {u.status === "uploading" ? (
                <span className="muted small">{Math.round(u.progress * 100)}%</span>
              ) : null}
              <button
                type="button"
                className="icon-btn"
                aria-label={`Remove ${u.file.name}`}
                onClick={() => removeUpload(u.key)}
              >
                <Icon name="x" size={14} />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
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
