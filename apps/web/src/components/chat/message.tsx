"use client";

import { Dialog } from "@nchat/ui/dialog";
import { appErrorOf, errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { useMutation } from "@tanstack/react-query";
import { memo, useEffect, useState } from "react";
import { formatDateTime, formatTime, relativeTime } from "@/lib/format";
import { Markdown, type RenderOptions } from "@/lib/markdown";
import { useTRPC } from "@/lib/trpc";
import { ProfileCardButton } from "../profile-card";
import { roleAtLeast, useSessionUser, useTenantFeature } from "../tenant";
import { Avatar, Button } from "../ui";
import { useChat } from "./chat-provider";
import type { Message } from "./data";
import { EditBox } from "./edit-box";
import { EmojiPickerPopover } from "./emoji";
import { AttachmentCard, AttachmentLinkCard } from "./file-cards";
import { PinButton, usePinnedIds } from "./pins";

export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "👀", "✅", "🙏", "🔥", "🚀", "💯", "😢"];

type Props = {
  message: Message;
  /** Same author, within minutes of the previous one: no avatar or name. */
  compact: boolean;
  highlighted?: boolean;
  onReplyInThread?: (m: Message) => void;
  /** In the thread panel: no thread summary, no reply action. */
  inThread?: boolean;
  channelArchived?: boolean;
  onFeatureBlocked?: (message: string) => void;
};

function MessageItemImpl({
  message,
  compact,
  highlighted,
  onReplyInThread,
  inThread,
  channelArchived,
  onFeatureBlocked,
}: Props) {
  const me = useSessionUser();
  const { members } = useChat();
  const trpc = useTRPC();
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [picker, setPicker] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mine = message.author?.id === me.id;
  const deleted = message.deletedAt !== null;
  const pinned = usePinnedIds(message.channelId).has(message.id) && !deleted;
  // Threads outside the plan: say so on the action itself, before anyone clicks it.
  const threads = useTenantFeature("threads", { enabled: !inThread });
  const threadsLocked = !inThread && !threads.loading && !threads.enabled;
  // Up arrow in an empty composer edits one's last message (see EDIT_EVENT).
  useEffect(() => {
    if (!mine || deleted || channelArchived) return;
    const onEdit = (e: Event) => {
      if ((e as CustomEvent<{ id: number }>).detail?.id === message.id) setEditing(true);
    };
    window.addEventListener(EDIT_EVENT, onEdit);
    return () => window.removeEventListener(EDIT_EVENT, onEdit);
  }, [mine, deleted, channelArchived, message.id]);
  const mentionsMe =
    !deleted &&
    (message.body.includes(`](${me.id})`) || /(?<![\w@.])@(channel|here)(?![\w@-])/.test(message.body));

  const react = useMutation(
    trpc.chat.react.mutationOptions({
      onError: (e) => {
        if (appErrorOf(e)?.appCode === "FEATURE_NOT_IN_PLAN") onFeatureBlocked?.(errorMessage(e));
        else setError(errorMessage(e));
      },
    }),
  );
  const remove = useMutation(
    trpc.chat.delete.mutationOptions({
      onSuccess: () => setConfirmDelete(false),
      onError: (e) => setError(errorMessage(e)),
    }),
  );

  const renderOptions: RenderOptions = {
    mention: (m) => {
      if (m.kind !== "user") return <span className="mention mention-broadcast">@{m.kind}</span>;
      const member = members.get(m.id);
      return (
        <span className={`mention${m.id === me.id.toLowerCase() ? " mention-me" : ""}`} title={member?.email}>
          @{member?.name ?? m.name}
        </span>
      );
    },
    attachmentLink: (id, text) => <AttachmentLinkCard id={id} text={text} />,
  };

  const author = message.author ?? { id: "deleted", name: "Former member" };
  const time = new Date(message.createdAt);
  return (
    <div
      className={`message${compact ? " compact" : ""}${highlighted ? " highlighted" : ""}${mentionsMe ? " mentions-me" : ""}${pinned ? " pinned" : ""}`}
      id={`message-${message.id}`}
      data-message-id={message.id}
      data-testid="message"
    >
      <div className="message-gutter">
        {compact ? (
          <time className="message-hover-time" dateTime={time.toISOString()} title={formatDateTime(time)}>
            {formatTime(time)}
          </time>
        ) : message.author ? (
          <ProfileCardButton userId={author.id} name={author.name} pointerOnly>
            <Avatar name={author.name} id={author.id} size={36} />
          </ProfileCardButton>
        ) : (
          <Avatar name={author.name} id={author.id} size={36} />
        )}
      </div>
      <div className="message-content">
        {!compact ? (
          <div className="message-meta">
            <span className="message-author">
              {message.author ? (
                <ProfileCardButton userId={author.id} name={author.name}>
                  {author.name}
                </ProfileCardButton>
              ) : (
                author.name
              )}
            </span>
            <time dateTime={time.toISOString()} title={formatDateTime(time)}>
              {formatTime(time)}
            </time>
          </div>
        ) : null}
        {pinned ? (
          <span className="pin-mark" data-testid="pin-mark">
            <Icon name="pin" size={12} /> Pinned
          </span>
        ) : null}
        {deleted ? (
          <p className="message-deleted">This message was deleted.</p>
        ) : editing ? (
          <EditBox message={message} onDone={() => setEditing(false)} />
        ) : (
          <div className="message-body" data-testid="message-body">
            <Markdown source={message.body} options={renderOptions} />
            {message.editedAt ? (
              <span className="message-edited" title={`Edited ${formatDateTime(message.editedAt)}`}>
                (edited)
              </span>
            ) : null}
          </div>
        )}
        {!deleted && message.attachments.length > 0 ? (
          <div className="attachments">
            {message.attachments.map((a) => (
              <AttachmentCard key={a.id} attachment={a} message={message} />
            ))}
          </div>
        ) : null}
        {message.reactions.length > 0 ? (
          <div className="reactions">
            {message.reactions.map((r) => (
              <button
                key={r.emoji}
                type="button"
                className={`reaction${r.me ? " mine" : ""}`}
                aria-pressed={r.me}
                aria-label={`${r.emoji} ${r.count}, ${r.me ? "remove your reaction" : "react"}`}
                title={r.userIds
                  .map((id) => (id === me.id ? "You" : (members.get(id.toLowerCase())?.name ?? "Someone")))
                  .join(", ")}
                onClick={() => react.mutate({ messageId: message.id, emoji: r.emoji })}
                disabled={channelArchived}
              >
                <span className="reaction-emoji">{r.emoji}</span>
                <span className="reaction-count">{r.count}</span>
              </button>
            ))}
            {!channelArchived ? (
              <button
                type="button"
                className="reaction reaction-add"
                aria-label="Add reaction"
                onClick={() => setPicker(true)}
              >
                <Icon name="smile" size={14} />
              </button>
            ) : null}
          </div>
        ) : null}
        {!inThread && message.replyCount > 0 ? (
          <button type="button" className="thread-summary" onClick={() => onReplyInThread?.(message)}>
            <Icon name="reply" size={14} />
            <strong>
              {message.replyCount} {message.replyCount === 1 ? "reply" : "replies"}
            </strong>
            {message.lastReplyAt ? (
              <span className="muted">Last reply {relativeTime(message.lastReplyAt)}</span>
            ) : null}
          </button>
        ) : null}
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
      </div>
      {!deleted && !editing && !channelArchived ? (
        <div className="message-actions" role="toolbar" aria-label="Message actions">
          {QUICK_REACTIONS.slice(0, 3).map((emoji) => (
            <button
              key={emoji}
              type="button"
              className="icon-btn"
              aria-label={`React with ${emoji}`}
              onClick={() => react.mutate({ messageId: message.id, emoji })}
            >
              {emoji}
            </button>
          ))}
          <button
            type="button"
            className="icon-btn"
            aria-label="More reactions"
            title="Add reaction"
            onClick={() => setPicker(true)}
          >
            <Icon name="smile" size={16} />
          </button>
          {!inThread ? (
            <button
              type="button"
              className={`icon-btn${threadsLocked ? " icon-btn-locked" : ""}`}
              aria-label={threadsLocked ? "Reply in thread (Pro plan)" : "Reply in thread"}
              title={
                threadsLocked ? "Threads are part of the Pro plan — see how to upgrade" : "Reply in thread"
              }
              onClick={() => onReplyInThread?.(message)}
            >
              <Icon name="reply" size={16} />
              {threadsLocked ? (
                <span className="plan-tag" aria-hidden="true">
                  Pro
                </span>
              ) : null}
            </button>
          ) : null}
          <CopyLinkButton message={message} />
          <PinButton message={message} pinned={pinned} />
          {mine ? (
            <button
              type="button"
              className="icon-btn"
              aria-label="Edit message"
              title="Edit"
              onClick={() => setEditing(true)}
            >
              <Icon name="edit" size={16} />
            </button>
          ) : null}
          {mine || roleAtLeast(me.role, "admin") ? (
            <button
              type="button"
              className="icon-btn danger"
              aria-label="Delete message"
              title="Delete"
              onClick={() => setConfirmDelete(true)}
            >
              <Icon name="trash" size={16} />
            </button>
          ) : null}
        </div>
      ) : null}
      {picker ? (
        <EmojiPickerPopover
          label="Choose a reaction"
          className="reaction-picker"
          onPick={(emoji) => {
            setPicker(false);
            react.mutate({ messageId: message.id, emoji });
          }}
          onClose={() => setPicker(false)}
        />
      ) : null}
      {confirmDelete ? (
        <Dialog
          open={confirmDelete}
          onClose={() => setConfirmDelete(false)}
          title="Delete message?"
          footer={
            <>
              <Button variant="secondary" onClick={() => setConfirmDelete(false)}>
                Cancel
              </Button>
              <Button
                variant="danger"
                loading={remove.isPending}
                onClick={() => remove.mutate({ messageId: message.id })}
              >
                Delete
              </Button>
            </>
          }
        >
          <p>This removes the message for everyone. It cannot be undone.</p>
          <blockquote className="quote-preview">{message.body.slice(0, 300)}</blockquote>
        </Dialog>
      ) : null}
    </div>
  );
}

export const MessageItem = memo(MessageItemImpl);

/** Asks the message with `detail.id` to open its edit box (the composer's Up arrow). */
export const EDIT_EVENT = "nchat:edit-message";

function CopyLinkButton({ message }: { message: Message }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="icon-btn"
      aria-label="Copy link to message"
      title={copied ? "Copied" : "Copy link"}
      onClick={async () => {
        const url = `${window.location.origin}/?c=${message.channelId}&m=${message.id}`;
        try {
          await navigator.clipboard.writeText(url);
        } catch {
          // clipboard unavailable (insecure context or denied): nothing else to do
        }
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      <Icon name={copied ? "check" : "copy"} size={15} />
    </button>
  );
}
