import type { Metadata } from "next";
import { requireTenant } from "@/server/tenant";

export const metadata: Metadata = { title: "Billing" };

export default async function Billing() {
  const tenant = await requireTenant();
  const reason =
    tenant.status === "past_due"
      ? "The last payment for this workspace did not go through."
      : tenant.status === "cancelled"
        ? "The subscription of this workspace was cancelled."
        : tenant.status === "trial"
          ? "The free trial of this workspace has ended."
          : null;
  return (
    <main>
      <section className="hero" aria-labelledby="billing-title">
        <h1 id="billing-title">Billing for {tenant.name}</h1>
        {reason ? <p className="lead">{reason} The workspace owner can update billing to continue.</p> : null}
        <p>
          Current plan: <strong>{tenant.plan}</strong>
        </p>
      </section>
    </main>
  );
}
