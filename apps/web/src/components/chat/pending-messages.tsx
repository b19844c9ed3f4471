"use client";

import { appErrorOf, errorMessage, isUnauthorized } from "@nchat/ui/errors";
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useTRPCClient } from "@/lib/trpc";
import { toSignIn } from "../providers";
import { Button } from "../ui";
import { type Message, rememberLive, upsertMessage } from "./data";
import {
  discardPending,
  type PendingSend,
  pendingFailed,
  removePending,
  settleDraft,
  updatePending,
  usePending,
} from "./pending";

type Client = ReturnType<typeof useTRPCClient>;

/** No answer from the server at all (offline, connection dropped): worth sending again as is. */
export const isNetworkError = (e: unknown) => {
  const info = appErrorOf(e);
  return !info || info.appCode === "NETWORK" || info.httpStatus === 0;
};

/**
 * Sends a pending message. Confirmed: it joins the list (and leaves the pending ones). Without a
 * connection it stays, marked "Not sent", for Retry/Discard (and is sent again once online). Refused
 * by the server (a limit, a permission, an archived channel): it leaves the pending ones and the
 * promise rejects, so the composer can give the text back with the reason.
 */
export async function sendPending(
  client: Client,
  qc: QueryClient,
  p: PendingSend,
  opts: { keepWhenRefused?: boolean } = {},
): Promise<Message> {
  if (typeof navigator !== "undefined" && navigator.onLine === false) {
    updatePending(p.localId, { status: "failed", offline: true, error: "Not sent: you are offline." });
    throw new Error("offline");
  }
  updatePending(p.localId, { status: "sending", offline: false, error: undefined });
  try {
    const message = await client.chat.send.mutate({
      channelId: p.channelId,
      body: p.body,
      parentId: p.parentId,
      attachmentIds: p.attachmentIds,
    });
    // Also into a page of its channel that is still loading (it may have read before this commit).
    rememberLive(message);
    upsertMessage(qc, message);
    settleDraft(p.draftKey, p.draftText ?? p.text);
    removePending(p.localId);
    return message;
  } catch (e) {
    if (isNetworkError(e)) {
      updatePending(p.localId, {
        status: "failed",
        offline: true,
        error: "Not sent: cannot reach the server.",
      });
    } else if (isUnauthorized(e)) {
      // Signed out meanwhile: the text is still the draft, back in the box after signing in.
      removePending(p.localId);
      toSignIn();
    } else if (opts.keepWhenRefused) {
      updatePending(p.localId, { status: "failed", offline: false, error: errorMessage(e) });
    } else {
      removePending(p.localId);
    }
    throw e;
  }
}

/** Sends a pending message again; the outcome shows on the item. */
function retry(client: Client, qc: QueryClient, p: PendingSend) {
  sendPending(client, qc, p, { keepWhenRefused: true }).catch(() => {
    // shown on the item
  });
}

/**
 * Back online: every message of this tab that failed for want of a connection goes out by itself —
 * whichever channel is on screen, and whether or not its list has loaded yet. Mounted once, with
 * the chat (`ChatProvider`).
 */
export function useSendPendingWhenOnline() {
  const client = useTRPCClient();
  const qc = useQueryClient();
  useEffect(() => {
    const again = () => {
      for (const p of pendingFailed()) if (p.offline) retry(client, qc, p);
    };
    window.addEventListener("online", again);
    return () => window.removeEventListener("online", again);
  }, [client, qc]);
}

/** The pending messages of a channel or thread, at the end of its list. */
export function PendingMessages({ channelId, parentId }: { channelId: string; parentId: number | null }) {
  const list = usePending(channelId, parentId);
  const client = useTRPCClient();
  const qc = useQueryClient();

  if (list.length === 0) return null;
  return (
    <ul className="pending-list" aria-label="Messages not sent yet">
      {list.map((p) => (
        <li key={p.localId} className={`pending-message pending-${p.status}`} data-testid="pending-message">
          <span className="pending-body">{p.text}</span>
          <span className="pending-status muted small" role={p.status === "failed" ? "status" : undefined}>
            {p.status === "sending" ? "Sending…" : (p.error ?? "Not sent.")}
          </span>
          {p.status === "failed" ? (
            <span className="pending-actions">
              <Button size="sm" variant="secondary" onClick={() => retry(client, qc, p)}>
                Retry
              </Button>
              <Button size="sm" variant="ghost" onClick={() => discardPending(p)}>
                Discard
              </Button>
            </span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
