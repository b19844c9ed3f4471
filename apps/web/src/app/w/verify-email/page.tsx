import type { Metadata } from "next";
import { TenantBrand } from "@/components/brand";
import { requireTenant } from "@/server/tenant";
import { VerifyButton } from "./verify-button";

export const metadata: Metadata = { title: "Confirm your email address", referrer: "no-referrer" };

type Search = Promise<Record<string, string | string[] | undefined>>;

/**
 * The link of a verification mail. Confirming takes a click: mail scanners that fetch links must not
 * use up the single-use token.
 */
export default async function VerifyEmailPage({ searchParams }: { searchParams: Search }) {
  const tenant = await requireTenant();
  const raw = (await searchParams).token;
  const token = (Array.isArray(raw) ? raw[0] : raw) ?? "";
  return (
    <main className="auth-main">
      <section className="card form-card" aria-labelledby="verify-title">
        <div className="form-card-brand">
          <TenantBrand tenant={tenant} size="lg" />
        </div>
        <h1 id="verify-title">Confirm your email address</h1>
        <VerifyButton token={token} />
      </section>
    </main>
  );
}
