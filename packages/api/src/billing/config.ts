import { type MeterId, type PriceCatalog, priceCatalog, type StripeClientOptions } from "@nchat/billing";
import { billingMode, type Env } from "@nchat/config";

/** Billing settings, read once from the environment (see .env.example, "Stripe"). */
export type BillingConfig = {
  /**
   * Set: Stripe (the real SDK, optionally against another host). Null: offline billing — only when
   * chosen (BILLING_MODE=offline), or by default outside production without a Stripe key.
   */
  stripe: StripeClientOptions | null;
  webhookSecret: string | null;
  /** The v2 event destination's signing secret (meter errors); defaults to webhookSecret. */
  eventDestinationSecret: string | null;
  prices: PriceCatalog;
  /** Event names of the Stripe billing meters; a meter without one is not reported. */
  meters: Record<MeterId, string | null>;
  /** Seconds after a renewal during which usage of the closed period is reported into it. */
  usageGraceSeconds: number;
  trialDays: number;
  trialExpiryAction: "free" | "suspend";
  pastDueGraceDays: number;
  /** Absolute return URLs use https (production) or the request's protocol (development). */
  secureUrls: boolean;
};

export function billingConfig(env: Env): BillingConfig {
  return {
    stripe:
      billingMode(env) === "stripe" && env.STRIPE_SECRET_KEY
        ? {
            secretKey: env.STRIPE_SECRET_KEY,
            host: env.STRIPE_API_HOST,
            port: env.STRIPE_API_PORT,
            protocol: env.STRIPE_API_PROTOCOL,
          }
        : null,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? null,
    eventDestinationSecret: env.STRIPE_EVENT_DESTINATION_SECRET || env.STRIPE_WEBHOOK_SECRET || null,
    prices: priceCatalog(env),
    meters: { api_calls: env.STRIPE_METER_API_CALLS || null, storage: env.STRIPE_METER_STORAGE || null },
    usageGraceSeconds: env.STRIPE_USAGE_GRACE_MINUTES * 60,
    trialDays: env.TRIAL_DAYS,
    trialExpiryAction: env.TRIAL_EXPIRY_ACTION,
    pastDueGraceDays: env.PAST_DUE_GRACE_DAYS,
    secureUrls: env.NODE_ENV === "production",
  };
}
