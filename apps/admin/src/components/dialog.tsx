"use client";

import { focusFirst } from "@nchat/ui/dialog-focus";
import { type FormEvent, type ReactNode, useEffect, useId, useRef } from "react";
import { Spinner } from "./ui";

/** Where a dialog's focus starts, in order of preference. */
/**
 * A modal dialog on the native <dialog> element: focus moves in and is trapped by the browser,
 * Escape closes it, focus returns to the opener. `onSubmit` runs the action; the dialog stays open
 * (showing `error`) until the caller closes it.
 */
export function Dialog({
  open,
  onClose,
  title,
  description,
  children,
  submitLabel,
  tone = "primary",
  onSubmit,
  busy,
  canSubmit = true,
  error,
  wide,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  description?: ReactNode;
  children?: ReactNode;
  submitLabel: string;
  tone?: "primary" | "danger";
  onSubmit: () => void;
  busy?: boolean;
  canSubmit?: boolean;
  error?: string | null;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      // showModal focuses the header's Close button; start at the first field, else the first action.
      focusFirst(d, { body: ".dialog-body", footer: ".dialog-footer" });
    }
    if (!open && d.open) d.close();
  }, [open]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (canSubmit && !busy) onSubmit();
  };

  return (
    <dialog
      ref={ref}
      className={`dialog ${wide ? "dialog-wide" : ""}`}
      aria-labelledby={titleId}
      aria-describedby={description ? descId : undefined}
      onClose={onClose}
      onCancel={(e) => {
        if (busy) e.preventDefault();
      }}
    >
      {open ? (
        <form onSubmit={submit} className="dialog-form" noValidate>
          <div className="dialog-header">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-btn" onClick={onClose} aria-label="Close" disabled={busy}>
              ×
            </button>
          </div>
          <div className="dialog-body">
            {description ? (
              <div id={descId} className="dialog-description">
                {description}
              </div>
            ) : null}
            {children}
            {error ? (
              <p className="form-error" role="alert">
                {error}
              </p>
            ) : null}
          </div>
          <div className="dialog-footer">
            <button type="button" className="btn btn-secondary" onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button
              type="submit"
              className={`btn ${tone === "danger" ? "btn-danger" : "btn-primary"}`}
              disabled={!canSubmit || busy}
            >
              {busy ? <Spinner label="Working" /> : null}
              {submitLabel}
            </button>
          </div>
        </form>
      ) : null}
    </dialog>
  );
}
