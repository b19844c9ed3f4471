"use client";

import { Spinner } from "@nchat/ui/primitives";
import { useChat } from "./chat-provider";

/** A visible "reconnecting…" state while the realtime stream is down (it resumes where it left off). */
export function ConnectionBanner() {
  const { connection } = useChat();
  if (connection === "live" || connection === "connecting") return null;
  return (
    <div className="app-banner app-banner-warning" role="status" data-testid="connection-banner">
      {connection === "offline" ? (
        "You are offline. Messages will catch up when the connection returns."
      ) : (
        <>
          <Spinner size={14} /> Reconnecting… new messages will appear when the connection is back.
        </>
      )}
    </div>
  );
}
