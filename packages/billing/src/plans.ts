import type { TenantFeatures, TenantLimits } from "@nchat/db/public";
import { PLAN_LABELS } from "@nchat/protocol/plans";

export type PlanId = "free" | "pro" | "enterprise" | "custom";
export const PLAN_IDS: readonly PlanId[] = ["free", "pro", "enterprise", "custom"];

/** Every feature a plan can switch on. */
export const FEATURES = [
  "directMessages",
  "reactions",
  "fileUploads",
  "threads",
  "privateChannels",
  "customBranding",
  "customDomains",
  "apiAccess",
  "analytics",
  "integrations",
  "sso",
  "auditLogs",
  "prioritySupport",
] as const;
export type Feature = (typeof FEATURES)[number];

export type RateLimits = { perMinute: number; perHour: number };

export type BillingInterval = "month" | "year";
export const BILLING_INTERVALS: readonly BillingInterval[] = ["month", "year"];

/** The environment variables that hold the Stripe price id of a plan for each interval. */
export const STRIPE_PRICE_ENV = [
  "STRIPE_PRICE_PRO_MONTHLY",
  "STRIPE_PRICE_PRO_YEARLY",
  "STRIPE_PRICE_ENTERPRISE_MONTHLY",
  "STRIPE_PRICE_ENTERPRISE_YEARLY",
  "STRIPE_PRICE_API_CALLS_MONTHLY",
  "STRIPE_PRICE_API_CALLS_YEARLY",
  "STRIPE_PRICE_STORAGE_MONTHLY",
  "STRIPE_PRICE_STORAGE_YEARLY",
] as const;
export type StripePriceEnv = (typeof STRIPE_PRICE_ENV)[number];

/**
 * Usage billed on top of a paid plan, each through a Stripe billing meter and a metered price on
 * that meter (one per interval: every item of a subscription shares its interval):
 * - `api_calls`: API calls above the plan's monthly allowance (meter aggregation "sum");
 * - `storage`: whole GB stored above the plan's allowance (meter aggregation "last").
 */
export type MeterId = "api_calls" | "storage";
export const METER_IDS: readonly MeterId[] = ["api_calls", "storage"];
export const METER_PRICE_ENV: Record<MeterId, Record<BillingInterval, StripePriceEnv>> = {
  api_calls: { month: "STRIPE_PRICE_API_CALLS_MONTHLY", year: "STRIPE_PRICE_API_CALLS_YEARLY" },
  storage: { month: "STRIPE_PRICE_STORAGE_MONTHLY", year: "STRIPE_PRICE_STORAGE_YEARLY" },
};

export type Plan = {
  id: PlanId;
  name: string;
  /** Prices in cents; null = on request. */
  price: { month: number | null; year: number | null };
  /** Bought and changed by the owner (checkout, plan change); otherwise arranged by the platform. */
  selfServe: boolean;
  /** Where the Stripe price id of each interval comes from; null = not sold through Stripe. */
  stripePriceEnv: Record<BillingInterval, StripePriceEnv> | null;
  /** Upgrade/downgrade order. */
  rank: number;
  limits: TenantLimits;
  rateLimits: RateLimits;
  features: Record<Feature, boolean>;
};

const UNLIMITED = -1;

const features = (on: Feature[]): Record<Feature, boolean> =>
  Object.fromEntries(FEATURES.map((f) => [f, on.includes(f)])) as Record<Feature, boolean>;

const BASIC: Feature[] = ["directMessages", "reactions", "fileUploads"];
const PRO: Feature[] = [
  ...BASIC,
  "threads",
  "privateChannels",
  "customBranding",
  "customDomains",
  "apiAccess",
  "analytics",
  "integrations",
];
const ENTERPRISE: Feature[] = [...PRO, "sso", "auditLogs", "prioritySupport"];

/** The plan catalog: the one place limits, rate limits, features and prices are defined. */
export const PLANS: Record<PlanId, Plan> = {
  free: {
    id: "free",
    name: PLAN_LABELS.free,
    price: { month: 0, year: 0 },
    selfServe: true,
    stripePriceEnv: null,
    rank: 0,
    limits: { users: 10, channels: 5, storageGb: 1, apiCallsPerMonth: 1_000, maxUploadMb: 10 },
    rateLimits: { perMinute: 60, perHour: 1_000 },
    features: features(BASIC),
  },
  pro: {
    id: "pro",
    name: PLAN_LABELS.pro,
    price: { month: 4_900, year: 49_000 },
    selfServe: true,
    stripePriceEnv: { month: "STRIPE_PRICE_PRO_MONTHLY", year: "STRIPE_PRICE_PRO_YEARLY" },
    rank: 1,
    limits: { users: 100, channels: 50, storageGb: 100, apiCallsPerMonth: 50_000, maxUploadMb: 100 },
    rateLimits: { perMinute: 120, perHour: 5_000 },
    features: features(PRO),
  },
  enterprise: {
    id: "enterprise",
    name: PLAN_LABELS.enterprise,
    price: { month: 19_900, year: 199_000 },
    selfServe: true,
    stripePriceEnv: { month: "STRIPE_PRICE_ENTERPRISE_MONTHLY", year: "STRIPE_PRICE_ENTERPRISE_YEARLY" },
    rank: 2,
    limits: {
      users: UNLIMITED,
      channels: UNLIMITED,
      storageGb: UNLIMITED,
      apiCallsPerMonth: UNLIMITED,
      maxUploadMb: 1_024,
    },
    rateLimits: { perMinute: 300, perHour: 15_000 },
    features: features(ENTERPRISE),
  },
  // Custom starts as Enterprise; a super admin overrides limits and features per tenant.
  custom: {
    id: "custom",
    name: PLAN_LABELS.custom,
    price: { month: null, year: null },
    selfServe: false,
    stripePriceEnv: null,
    rank: 3,
    limits: {
      users: UNLIMITED,
      channels: UNLIMITED,
      storageGb: UNLIMITED,
      apiCallsPerMonth: UNLIMITED,
      maxUploadMb: 1_024,
    },
    rateLimits: { perMinute: 600, perHour: 30_000 },
    features: features(ENTERPRISE),
  },
};

export function planDefaults(id: PlanId): { limits: TenantLimits; features: TenantFeatures } {
  const p = PLANS[id];
  return { limits: { ...p.limits }, features: { ...p.features } };
}

/** Stripe price ids by plan and interval, read from the environment variables the catalog names. */
export type PriceCatalog = {
  /** The price of a plan and interval; null when the plan is not sold through Stripe or unconfigured. */
  priceFor(plan: PlanId, interval: BillingInterval): string | null;
  /** The plan and interval a Stripe price stands for; null for a price the catalog does not know. */
  planFor(priceId: string): { plan: PlanId; interval: BillingInterval } | null;
  /** The metered price of a meter for an interval; null when not configured. */
  meteredPriceFor(meter: MeterId, interval: BillingInterval): string | null;
  /** The meter a metered price bills; null for any other price. */
  meterFor(priceId: string): MeterId | null;
};

export function priceCatalog(env: Partial<Record<StripePriceEnv, string | undefined>>): PriceCatalog {
  const byPlan = new Map<string, string>();
  const byPrice = new Map<string, { plan: PlanId; interval: BillingInterval }>();
  for (const plan of PLAN_IDS) {
    const names = PLANS[plan].stripePriceEnv;
    if (!names) continue;
    for (const interval of BILLING_INTERVALS) {
      const id = env[names[interval]]?.trim();
      if (!id) continue;
      if (byPrice.has(id)) throw new Error(`${names[interval]}: price ${id} is configured for two plans`);
      byPlan.set(`${plan}:${interval}`, id);
      byPrice.set(id, { plan, interval });
    }
  }
  const byMeter = new Map<string, string>();
  const meterOf = new Map<string, MeterId>();
  for (const meter of METER_IDS)
    for (const interval of BILLING_INTERVALS) {
      const name = METER_PRICE_ENV[meter][interval];
      const id = env[name]?.trim();
      if (!id) continue;
      if (byPrice.has(id) || meterOf.has(id)) throw new Error(`${name}: price ${id} is configured twice`);
      byMeter.set(`${meter}:${interval}`, id);
      meterOf.set(id, meter);
    }
  return {
    priceFor: (plan, interval) => byPlan.get(`${plan}:${interval}`) ?? null,
    planFor: (priceId) => byPrice.get(priceId) ?? null,
    meteredPriceFor: (meter, interval) => byMeter.get(`${meter}:${interval}`) ?? null,
    meterFor: (priceId) => meterOf.get(priceId) ?? null,
  };
}

/** True when `to` is a lower plan than `from` (fewer resources: limits are checked first). */
export const isDowngrade = (from: PlanId, to: PlanId) => PLANS[to].rank < PLANS[from].rank;
