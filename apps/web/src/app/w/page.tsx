import type { Metadata } from "next";
import { requireTenant } from "@/server/tenant";

export async function generateMetadata(): Promise<Metadata> {
  const tenant = await requireTenant();
  return { title: tenant.name };
}

export default async function WorkspaceHome() {
  const tenant = await requireTenant();
  return (
    <main>
      <section className="hero" aria-labelledby="ws-title">
        <h1 id="ws-title">{tenant.name}</h1>
        <p className="lead">
          This is the <strong>{tenant.name}</strong> workspace on nchat ({planLabel(tenant.plan)} plan).
        </p>
      </section>
    </main>
  );
}

function planLabel(plan: string) {
  return plan.charAt(0).toUpperCase() + plan.slice(1);
}
