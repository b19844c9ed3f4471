import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { TenantBrand } from "@/components/brand";
import { safeNext } from "@/lib/paths";
import { requireTenant } from "@/server/tenant";
import { serverCaller } from "@/server/trpc";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in" };

type Search = Promise<Record<string, string | string[] | undefined>>;

export default async function LoginPage({ searchParams }: { searchParams: Search }) {
  const tenant = await requireTenant();
  const params = await searchParams;
  const next = safeNext(params.next);
  const me = await (await serverCaller()).auth.me().catch(() => null);
  if (me) redirect(next);
  const notice =
    params.error === "link"
      ? ({
          tone: "warning",
          text: "That sign-in link has expired or was already used. Sign in with your password.",
        } as const)
      : params.expired
        ? ({ tone: "info", text: "Your session has ended. Sign in again to continue." } as const)
        : params.signedOut
          ? ({ tone: "success", text: "You are signed out." } as const)
          : null;
  return (
    <main className="auth-main">
      <section className="card form-card" aria-labelledby="login-title">
        <div className="form-card-brand">
          <TenantBrand tenant={tenant} size="lg" />
        </div>
        <h1 id="login-title">Sign in to {tenant.branding.appName ?? tenant.name}</h1>
        <p className="form-intro">Use the email and password of your account in this workspace.</p>
        <LoginForm next={next} notice={notice} />
        <p className="form-footer">
          <Link href="/forgot-password">Forgot your password?</Link>
        </p>
        <p className="form-footer">New here? Ask a workspace admin for an invitation.</p>
      </section>
    </main>
  );
}
