import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentAdmin, safeNext } from "@/server/session";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const next = safeNext((await searchParams).next);
  if (await currentAdmin()) redirect(next);
  return (
    <main className="auth-page">
      <section className="auth-card" aria-labelledby="signin-title">
        <div className="auth-brand">
          <span className="logo" aria-hidden="true">
            n
          </span>
          <span>
            nchat <span className="sidebar-brand-sub">admin</span>
          </span>
        </div>
        <h1 id="signin-title">Sign in to the admin console</h1>
        <p className="muted">For platform administrators only. Workspace accounts cannot sign in here.</p>
        <SignInForm next={next} />
      </section>
    </main>
  );
}
