/** What the e2e global setup hands to every spec (vitest `provide` / `inject("e2e")`). */
export type E2EConfig = {
  /** https://localhost:<port> — the tenant web app's base domain (marketing, sign-up). */
  webUrl: string;
  /** The TLS port in front of the web app: tenant hosts are https://<slug>.localhost:<webPort>. */
  webPort: number;
  /** https://localhost:<port> — the admin app. */
  adminUrl: string;
  adminPort: number;
  /** Plain-HTTP ports of the `next start` servers (behind the TLS front), for raw requests. */
  internal: { web: number; admin: number };
  baseDomain: string;
  /** A super admin seeded through services.superAdmins.create. */
  superAdmin: { email: string; name: string; password: string };
  /** The scratch database and the apps' environment, for specs that need services directly. */
  env: Record<string, string>;
  /** Where screenshots and logs go (git-ignored). */
  artifactsDir: string;
  chromiumPath: string;
  /** Where the apps send mail (SMTP_URL): a spec that reads mail listens here (TestSmtp). */
  smtpPort: number;
  /**
   * The harness's Stripe control server (scripts/e2e/stripe-control.ts): starts, on request, apps
   * that bill through a fake Stripe, and drives it. Specs use it through scripts/e2e/stripe.ts.
   */
  stripeControl: string;
};

/** The apps that bill through the fake Stripe (own database and ports), once a spec asked for them. */
export type StripeRun = {
  webUrl: string;
  webPort: number;
  adminUrl: string;
  adminPort: number;
  internal: { web: number; admin: number };
  /** Their environment (database, STRIPE_* pointing at the fake), for services in a spec. */
  env: Record<string, string>;
  fakePort: number;
};

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2EConfig;
  }
}
