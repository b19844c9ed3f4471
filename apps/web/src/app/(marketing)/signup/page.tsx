import { env } from "@nchat/config";
import type { Metadata } from "next";
import Link from "next/link";
import { SignupForm } from "./signup-form";

export const metadata: Metadata = {
  title: "Create your workspace",
};

export default function SignupPage() {
  const baseDomain = env().NEXT_PUBLIC_BASE_DOMAIN;

  return (
    <main className="auth-main">
      <section className="card form-card" aria-labelledby="signup-title">
        <h1 id="signup-title">Create your workspace</h1>
        <p className="form-intro">
          Set up a private nchat workspace for your organization. You will be its owner.
        </p>
        <SignupForm baseDomain={baseDomain} />
        <p className="form-footer">
          Already have a workspace? Sign in at <code>your-team.{baseDomain}</code>.{" "}
          <Link href="/">Back to home</Link>
        </p>
      </section>
    </main>
  );
}
