import type { Metadata } from "next";
import { TenantBrand } from "@/components/brand";
import { requireTenant } from "@/server/tenant";
import { AcceptInvitation } from "./accept";

export const metadata: Metadata = { title: "Join the workspace", referrer: "no-referrer" };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const tenant = await requireTenant();
  const { token } = await params;
  return (
    <main className="auth-main">
      <section className="card form-card" aria-labelledby="invite-title">
        <div className="form-card-brand">
          <TenantBrand tenant={tenant} size="lg" />
        </div>
        <AcceptInvitation token={decodeURIComponent(token)} />
      </section>
    </main>
  );
}
