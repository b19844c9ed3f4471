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
};

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2EConfig;
  }
}
