import type { Metadata } from "next";
import { Suspense } from "react";
import { WebhooksView } from "./webhooks-view";

export const metadata: Metadata = { title: "Stripe events" };

export default function WebhooksPage() {
  return (
    <Suspense>
      <WebhooksView />
    </Suspense>
  );
}
