import type { Metadata } from "next";
import { TenantBrand } from "@/components/brand";
import { requireTenant } from "@/server/tenant";
import { serverCaller } from "@/server/trpc";

export const metadata: Metadata = { title: "Workspace suspended" };

/** Served (status 403) for every page of a suspended workspace. */
export default async function Suspended() {
  const tenant = await requireTenant();
  const me = await (await serverCaller()).auth.me().catch(() => null);
  const owner = me?.user.role === "owner";
  return (
    <main className="status-page">
      <section className="card status-card" aria-labelledby="suspended-title">
        <TenantBrand tenant={tenant} size="lg" />
        <h1 id="suspended-title">{tenant.branding.appName ?? tenant.name} is suspended</h1>
        <p>
          This workspace is temporarily unavailable. Its messages and files are kept safe and nothing has been
          deleted.
        </p>
        <p>
          {owner
            ? "As the owner, contact support to restore access, or settle any open balance."
            : "The workspace owner can contact support to restore access."}
        </p>
        <div className="status-actions">
          <a className="btn btn-secondary" href="mailto:support@nchat.app">
            Contact support
          </a>
        </div>
      </section>
    </main>
  );
}
