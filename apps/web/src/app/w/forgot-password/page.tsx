import type { Metadata } from "next";
import Link from "next/link";
import { TenantBrand } from "@/components/brand";
import { requireTenant } from "@/server/tenant";
import { ForgotForm } from "./forgot-form";

export const metadata: Metadata = { title: "Forgot password" };

export default async function ForgotPasswordPage() {
  const tenant = await requireTenant();
  return (
    <main className="auth-main">
      <section className="card form-card" aria-labelledby="forgot-title">
        <div className="form-card-brand">
          <TenantBrand tenant={tenant} size="lg" />
        </div>
        <h1 id="forgot-title">Forgot your password?</h1>
        <p className="form-intro">
          Enter the email address of your account in {tenant.branding.appName ?? tenant.name}. We will mail
          you a link to choose a new password.
        </p>
        <ForgotForm />
        <p className="form-footer">
          <Link href="/login">Back to sign in</Link>
        </p>
      </section>
    </main>
  );
}
