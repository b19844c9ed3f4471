import { env } from "@nchat/config";
import type { Metadata } from "next";

export const metadata: Metadata = { title: "Workspace not found" };

/** Served (status 404) for hosts that name no workspace: unknown, deleted or reserved. */
export default function TenantNotFound() {
  const base = env().NEXT_PUBLIC_BASE_DOMAIN;
  return (
    <main>
      <section className="hero" aria-labelledby="tnf-title">
        <h1 id="tnf-title">There is no workspace at this address</h1>
        <p className="lead">Check the address for typos, or ask your administrator for the right link.</p>
        <a href={`//${base}${portSuffix()}/signup`} className="button">
          Create a workspace
        </a>
      </section>
    </main>
  );
}

function portSuffix() {
  return process.env.NODE_ENV === "production" ? "" : ":3000";
}
