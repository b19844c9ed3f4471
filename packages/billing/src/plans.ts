import type { TenantFeatures, TenantLimits } from "@nchat/db/public";

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

export type Plan = {
  id: PlanId;
  name: string;
  /** Prices in cents; null = on request. */
  price: { month: number | null; year: number | null };
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
    name: "Free",
    price: { month: 0, year: 0 },
    limits: { users: 10, channels: 5, storageGb: 1, apiCallsPerMonth: 1_000, maxUploadMb: 10 },
    rateLimits: { perMinute: 60, perHour: 1_000 },
    features: features(BASIC),
  },
  pro: {
    id: "pro",
    name: "Pro",
    price: { month: 4_900, year: 49_000 },
    limits: { users: 100, channels: 50, storageGb: 100, apiCallsPerMonth: 50_000, maxUploadMb: 100 },
    rateLimits: { perMinute: 120, perHour: 5_000 },
    features: features(PRO),
  },
  enterprise: {
    id: "enterprise",
    name: "Enterprise",
    price: { month: 19_900, year: 199_000 },
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
    name: "Custom",
    price: { month: null, year: null },
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
