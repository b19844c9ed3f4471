import type { Metadata } from "next";
import { requireTenant } from "@/server/tenant";

export const metadata: Metadata = { title: "Workspace suspended" };

export default async function Suspended() {
  const tenant = await requireTenant();
  return (
    <main>
      <section className="hero" aria-labelledby="suspended-title">
        <h1 id="suspended-title">{tenant.name} is suspended</h1>
        <p className="lead">
          This workspace is temporarily unavailable. Its data is kept safe. The workspace owner can contact
          support to restore access.
        </p>
      </section>
    </main>
  );
}
