import { env } from "@nchat/config";
import type { Metadata } from "next";
import { BaseDomainLink } from "@/components/base-link";

export const metadata: Metadata = { title: "Workspace not found" };

/** Served (status 404) for hosts that name no workspace: unknown, deleted or reserved. */
export default function TenantNotFound() {
  const base = env().NEXT_PUBLIC_BASE_DOMAIN;
  return (
    <main className="status-page">
      <section className="card status-card" aria-labelledby="tnf-title">
        <span className="status-icon" aria-hidden="true">
          ?
        </span>
        <h1 id="tnf-title">There is no workspace at this address</h1>
        <p>
          Check the address for typos, or ask your administrator for the right link. Workspace addresses look
          like <code>your-team.{base}</code>.
        </p>
        <div className="status-actions">
          <BaseDomainLink baseDomain={base} path="/signup" className="btn btn-primary">
            Create a workspace
          </BaseDomainLink>
          <BaseDomainLink baseDomain={base} path="/" className="btn btn-secondary">
            Go to nchat
          </BaseDomainLink>
        </div>
      </section>
    </main>
  );
}
