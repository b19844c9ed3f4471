import type { Metadata } from "next";
import Link from "next/link";
import { TenantBrand } from "@/components/brand";
import { requireTenant } from "@/server/tenant";
import { ResetForm } from "./reset-form";

export const metadata: Metadata = { title: "Choose a new password", referrer: "no-referrer" };

type Search = Promise<Record<string, string | string[] | undefined>>;

export default async function ResetPasswordPage({ searchParams }: { searchParams: Search }) {
  const tenant = await requireTenant();
  const raw = (await searchParams).token;
  const token = (Array.isArray(raw) ? raw[0] : raw) ?? "";
  return (
    <main className="auth-main">
      <section className="card form-card" aria-labelledby="reset-title">
        <div className="form-card-brand">
          <TenantBrand tenant={tenant} size="lg" />
        </div>
        <h1 id="reset-title">Choose a new password</h1>
        <p className="form-intro">Setting it signs your account out on every device.</p>
        <ResetForm token={token} />
        <p className="form-footer">
          <Link href="/forgot-password">Ask for a new link</Link>
        </p>
      </section>
    </main>
  );
}
