import { Spinner } from "@nchat/ui/primitives";
import type { Metadata } from "next";
import { Suspense } from "react";
import { ChatView } from "@/components/chat/chat-view";

export const metadata: Metadata = { title: "Chat" };

export default function ChatPage() {
  return (
    <Suspense
      fallback={
        <main className="chat center-pad">
          <Spinner label="Loading" />
        </main>
      }
    >
      <ChatView />
    </Suspense>
  );
}
