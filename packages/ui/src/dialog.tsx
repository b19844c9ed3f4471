"use client";

import * as RadixDialog from "@radix-ui/react-dialog";
import { type FormEvent, type ReactNode, useRef } from "react";
import { focusFirst } from "./dialog-focus";
import { Icon } from "./icon";
import { useLayerContainer } from "./layer";
import { Spinner } from "./primitives";

/**
 * A modal dialog (Radix): focus moves in and stays there, Escape and the Close button close it,
 * focus returns to where it was, the rest of the page is hidden from assistive technology. Focus
 * starts where the work is (an `autoFocus` element, else the first field, else the first action),
 * never on the header's Close button. With `onSubmit` the content is a form.
 */
export function Dialog({
  open,
  onClose,
  title,
  description,
  children,
  footer,
  size = "md",
  busy = false,
  closeOnOutsideClick = true,
  onSubmit,
}: {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  description?: ReactNode;
  children?: ReactNode;
  footer?: ReactNode;
  size?: "md" | "lg";
  /** While busy, nothing closes it (Escape, outside clicks and Close are ignored). */
  busy?: boolean;
  closeOnOutsideClick?: boolean;
  onSubmit?: (e: FormEvent<HTMLFormElement>) => void;
}) {
  const container = useLayerContainer();
  const content = useRef<HTMLDivElement>(null);
  const inner = (
    <>
      <header className="modal-header">
        <RadixDialog.Title>{title}</RadixDialog.Title>
        <RadixDialog.Close asChild>
          <button type="button" className="icon-btn" aria-label="Close" disabled={busy}>
            <Icon name="x" />
          </button>
        </RadixDialog.Close>
      </header>
      <div className="modal-body">
        {description ? (
          <RadixDialog.Description asChild>
            <div className="modal-description">{description}</div>
          </RadixDialog.Description>
        ) : null}
        {children}
      </div>
      {footer ? <footer className="modal-footer">{footer}</footer> : null}
    </>
  );
  return (
    <RadixDialog.Root
      open={open}
      onOpenChange={(next) => {
        if (!next && !busy) onClose();
      }}
    >
      <RadixDialog.Portal container={container}>
        <RadixDialog.Overlay className="modal-overlay" />
        <RadixDialog.Content
          ref={content}
          className={`modal modal-${size}`}
          {...(description ? {} : { "aria-describedby": undefined })}
          onOpenAutoFocus={(e) => {
            e.preventDefault();
            if (content.current)
              focusFirst(content.current, { body: ".modal-body", footer: ".modal-footer" });
          }}
          onEscapeKeyDown={(e) => {
            if (busy) e.preventDefault();
          }}
          onInteractOutside={(e) => {
            if (busy || !closeOnOutsideClick) e.preventDefault();
          }}
        >
          {onSubmit ? (
            <form className="modal-inner" onSubmit={onSubmit} noValidate>
              {inner}
            </form>
          ) : (
            <div className="modal-inner">{inner}</div>
          )}
        </RadixDialog.Content>
      </RadixDialog.Portal>
    </RadixDialog.Root>
  );
}

/**
 * A dialog that asks for one action: its fields, Cancel, and a submit button. `onSubmit` runs the
 * action; the dialog stays open (showing `error`) until the caller closes it.
 */
export function FormDialog({
  open,
  onClose,
  title,
  description,
  children,
  submitLabel,
  tone = "primary",
  onSubmit,
  busy = false,
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
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={title}
      description={description}
      size={wide ? "lg" : "md"}
      busy={busy}
      closeOnOutsideClick={false}
      onSubmit={(e) => {
        e.preventDefault();
        if (canSubmit && !busy) onSubmit();
      }}
      footer={
        <>
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
        </>
      }
    >
      {children}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}
