import { Spinner } from "@nchat/ui/primitives";
import type { Metadata } from "next";
import { Suspense } from "react";
import { BillingView } from "./billing-view";

export const metadata: Metadata = { title: "Billing" };

/**
 * Plan, usage and upgrades. The proxy also serves this page (status 402) for every path while the
 * trial is over or a payment is due, so the owner can fix billing from anywhere.
 */
export default function BillingPage() {
  return (
    <Suspense
      fallback={
        <main className="page center-pad">
          <Spinner label="Loading billing" />
        </main>
      }
    >
      <BillingView />
    </Suspense>
  );
}
