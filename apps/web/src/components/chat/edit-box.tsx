"use client";
import { errorMessage } from "@nchat/ui/errors";
import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { fromTokens, toTokens } from "@/lib/mentions";
import { useTRPC } from "@/lib/trpc";
import { Button } from "../ui";
import type { Message } from "./data";
/** A message's body being edited in place (Enter saves, Escape cancels). */
export function EditBox({ message, onDone }: { message: Message; onDone: () => void }) {
  const trpc = useTRPC();
  const initial = fromTokens(message.body);
  const [text, setText] = useState(initial.text);
  const ref = useRef<HTMLTextAreaElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const edit = useMutation(trpc.chat.edit.mutationOptions({ onSuccess: onDone }));
  useEffect(() => {
    const el = ref.current;
    if (el) {
      el.focus({ preventScroll: true });
      el.setSelectionRange(el.value.length, el.value.length);
    }
  }, []);
  // Save and Cancel stay in view (the last message's box grows past the list's end), also as the
  // text grows.
  const rows = Math.min(8, text.split("\n").length + 1);
  // biome-ignore lint/correctness/useExhaustiveDependencies: on opening and when the box grows
  useEffect(() => {
    box.current?.scrollIntoView({ block: "nearest" });
  }, [rows, edit.isError]);
  const save = () => {
    const body = toTokens(text.trim(), initial.picked);
    if (!body) return;
    if (body === message.body) onDone();
    else edit.mutate({ messageId: message.id, body });
  };
  return (
    <div className="edit-box" ref={box}>
      <label htmlFor={`edit-${message.id}`} className="sr-only">
        Edit message
      </label>
      <textarea
        id={`edit-${message.id}`}
        ref={ref}
        value={text}
        rows={rows}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault(); // (not the thread panel's Escape)
            onDone();
          }
          if (e.key === "Enter" && !e.shiftKey) {
            e.preventDefault();
            save();
          }
        }}
      />
      {edit.isError ? <p className="field-error">{errorMessage(edit.error)}</p> : null}
      <div className="edit-actions">
        <span className="muted small">Escape to cancel · Enter to save</span>
        <Button size="sm" variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button size="sm" onClick={save} loading={edit.isPending}>
          Save
        </Button>
      </div>
    </div>
  );
}
