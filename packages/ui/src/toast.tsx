"use client";

import * as RadixToast from "@radix-ui/react-toast";
import { createContext, type ReactNode, useCallback, useContext, useMemo, useRef, useState } from "react";
import { Icon } from "./icon";

type Tone = "success" | "error" | "info";
type Toast = { id: number; tone: Tone; title: string; detail?: string };

export type ToastApi = {
  success(title: string, detail?: string): void;
  error(title: string, detail?: string): void;
  info(title: string, detail?: string): void;
};

const ToastContext = createContext<ToastApi | null>(null);

/** Announces the result of an action (inside <ToastProvider>). */
export function useToast(): ToastApi {
  const api = useContext(ToastContext);
  if (!api) throw new Error("useToast outside <ToastProvider>");
  return api;
}

/**
 * Results of actions as toasts (Radix): announced to screen readers (errors assertively), paused
 * while hovered or focused, swiped or dismissed away, gone after 6 s (errors 9 s); F8 focuses them.
 * At most four are shown.
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const remove = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const push = useCallback((tone: Tone, title: string, detail?: string) => {
    const id = next.current++;
    setToasts((all) => [...all.slice(-3), { id, tone, title, detail }]);
  }, []);
  const api = useMemo<ToastApi>(
    () => ({
      success: (t, d) => push("success", t, d),
      error: (t, d) => push("error", t, d),
      info: (t, d) => push("info", t, d),
    }),
    [push],
  );
  return (
    <ToastContext.Provider value={api}>
      <RadixToast.Provider swipeDirection="right" label="Notification">
        {children}
        {toasts.map((t) => (
          <RadixToast.Root
            key={t.id}
            className={`toast toast-${t.tone}`}
            type={t.tone === "error" ? "foreground" : "background"}
            duration={t.tone === "error" ? 9_000 : 6_000}
            onOpenChange={(open) => {
              if (!open) remove(t.id);
            }}
          >
            <span className="toast-icon" aria-hidden="true">
              <Icon name={t.tone === "success" ? "check" : t.tone === "error" ? "alert" : "info"} size={12} />
            </span>
            <div className="toast-body">
              <RadixToast.Title asChild>
                <strong>{t.title}</strong>
              </RadixToast.Title>
              {t.detail ? (
                <RadixToast.Description asChild>
                  <span>{t.detail}</span>
                </RadixToast.Description>
              ) : null}
            </div>
            <RadixToast.Close className="toast-close" aria-label="Dismiss">
              <Icon name="x" size={14} />
            </RadixToast.Close>
          </RadixToast.Root>
        ))}
        <RadixToast.Viewport className="toasts" />
      </RadixToast.Provider>
    </ToastContext.Provider>
  );
}
