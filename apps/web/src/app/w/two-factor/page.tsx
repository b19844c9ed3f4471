import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { TenantBrand } from "@/components/brand";
import { safeNext } from "@/lib/paths";
import { requireTenant } from "@/server/tenant";
import { serverCaller } from "@/server/trpc";
import { TwoFactorEnrolment } from "./enrolment";

export const metadata: Metadata = { title: "Set up two-factor authentication" };

type Search = Promise<Record<string, string | string[] | undefined>>;

/**
 * Where a member goes first when the workspace requires two-factor authentication and they have
 * none (every other call answers TWO_FACTOR_REQUIRED until then). Also reachable from the profile.
 */
export default async function TwoFactorPage({ searchParams }: { searchParams: Search }) {
  const tenant = await requireTenant();
  const next = safeNext((await searchParams).next);
  const me = await (await serverCaller()).auth.me().catch(() => null);
  if (!me) redirect(`/login?next=${encodeURIComponent("/two-factor")}`);
  if (me.twoFactor.enabled) redirect(next);
  return (
    <main className="auth-main">
      <section className="card form-card" aria-labelledby="tfa-title">
        <div className="form-card-brand">
          <TenantBrand tenant={tenant} size="lg" />
        </div>
        <h1 id="tfa-title">Set up two-factor authentication</h1>
        <p className="form-intro">
          {me.twoFactor.required
            ? `${tenant.branding.appName ?? tenant.name} requires two-factor authentication. Set it up to continue.`
            : "Protect your account with a code from your phone at every sign-in."}
        </p>
        <TwoFactorEnrolment next={next} />
      </section>
    </main>
  );
}
