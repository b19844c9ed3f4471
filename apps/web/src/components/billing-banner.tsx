"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { formatDate } from "@/lib/format";
import { useSessionUser, useTenant, useTenantBilling } from "./tenant";

/** Past-due, trial and cancellation notices across the app (not on the billing page itself). */
export function BillingBanner() {
  const tenant = useTenant();
  // Only a workspace in trial or with a payment problem needs a banner: ask only then.
  const billing = useTenantBilling({ enabled: tenant.status !== "active" });
  const me = useSessionUser();
  const pathname = usePathname();
  if (!billing.status || pathname.endsWith("/billing")) return null;
  const owner = me.role === "owner";
  const link = owner ? (
    <Link href="/billing">{billing.pastDue ? "Update billing" : "Choose a plan"}</Link>
  ) : (
    <span>Ask the workspace owner to update billing.</span>
  );
  if (billing.pastDue)
    return (
      <div className="app-banner app-banner-danger" role="alert" data-testid="billing-banner">
        The last payment for this workspace failed. {link}
      </div>
    );
  if (billing.trialExpired)
    return (
      <div className="app-banner app-banner-danger" role="alert" data-testid="billing-banner">
        The free trial has ended. {link}
      </div>
    );
  if (billing.inTrial && billing.trialDaysLeft !== null && billing.trialDaysLeft <= 7)
    return (
      <div className="app-banner app-banner-info" role="status" data-testid="billing-banner">
        {billing.trialDaysLeft === 0
          ? "The trial ends today."
          : `${billing.trialDaysLeft} days left in the trial.`}{" "}
        {link}
      </div>
    );
  if (billing.status.cancelAtPeriodEnd && billing.status.currentPeriodEnd)
    return (
      <div className="app-banner app-banner-warning" role="status" data-testid="billing-banner">
        The {billing.status.planName} plan ends on {formatDate(billing.status.currentPeriodEnd)}.{" "}
        {owner ? <Link href="/billing">Keep it</Link> : null}
      </div>
    );
  return null;
}
