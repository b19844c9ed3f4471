"use client";

import { useSyncExternalStore } from "react";

/**
 * Messages sent from this tab that the server has not confirmed yet: shown at the end of their
 * channel (or thread) as "Sending…", or — offline, or the request failed on the way — "Not sent"
 * with Retry and Discard. They are sent again by themselves when the connection comes back.
 */
export type PendingSend = {
  localId: string;
  channelId: string;
  parentId: number | null;
  /** What goes to the server (mention tokens) and what is shown. */
  body: string;
  text: string;
  attachmentIds: string[];
  status: "sending" | "failed";
  error?: string;
  /** Failed for want of a connection: sent again when the browser is back online. */
  offline?: boolean;
  /** The composer's draft it came from (kept until the message is sent or discarded), as stored. */
  draftKey?: string;
  draftText?: string;
  createdAt: number;
};

/**
 * Drafts, per workspace and channel (and thread), in localStorage: they survive reloads, other tabs,
 * a sign-in in between (an expired session sends the page to the sign-in page) and failed sends.
 */
export const draftKey = (tenantId: string, channelId: string, parentId?: number | null) =>
  `nchat:draft:${tenantId}:${channelId}:${parentId ?? "main"}`;

export function readDraft(key: string): string {
  try {
    return localStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}

export function writeDraft(key: string, text: string) {
  try {
    if (text) localStorage.setItem(key, text);
    else localStorage.removeItem(key);
  } catch {
    // storage full or unavailable: the text stays in the box
  }
}

/** A draft that was sent (or discarded) is no longer a draft — unless something else was typed since. */
export function settleDraft(key: string | undefined, text: string) {
  if (key && readDraft(key) === text) writeDraft(key, "");
}

let items: PendingSend[] = [];
const listeners = new Set<() => void>();
const emit = () => {
  for (const l of listeners) l();
};

export function addPending(p: Omit<PendingSend, "localId" | "createdAt">): PendingSend {
  const item: PendingSend = {
    ...p,
    localId: `local-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    createdAt: Date.now(),
  };
  items = [...items, item];
  emit();
  return item;
}

export function updatePending(localId: string, patch: Partial<PendingSend>) {
  items = items.map((p) => (p.localId === localId ? { ...p, ...patch } : p));
  emit();
}

export function removePending(localId: string) {
  items = items.filter((p) => p.localId !== localId);
  emit();
}

/** Discarded by the person: gone, with its draft. */
export function discardPending(p: PendingSend) {
  settleDraft(p.draftKey, p.draftText ?? p.text);
  removePending(p.localId);
}

/** Whether a stored draft is the text of a message pending in this tab (shown in the list, not the box). */
export const isPendingDraft = (key: string, text: string) =>
  items.some((p) => p.draftKey === key && p.draftText === text);

export const pendingFailed = () => items.filter((p) => p.status === "failed");

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

const EMPTY: PendingSend[] = [];
/** Snapshots per channel/thread, valid for one version of `items` (stable between renders). */
let snapshots = { of: items, lists: new Map<string, PendingSend[]>() };

/** The pending sends of one channel (top level) or one thread. */
export function usePending(channelId: string, parentId: number | null): PendingSend[] {
  const key = `${channelId}:${parentId ?? ""}`;
  return useSyncExternalStore(
    subscribe,
    () => {
      if (snapshots.of !== items) snapshots = { of: items, lists: new Map() };
      let list = snapshots.lists.get(key);
      if (!list) {
        const found = items.filter((p) => p.channelId === channelId && p.parentId === parentId);
        list = found.length ? found : EMPTY;
        snapshots.lists.set(key, list);
      }
      return list;
    },
    () => EMPTY,
  );
}
