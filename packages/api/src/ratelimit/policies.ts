import { PLANS, type PlanId } from "@nchat/billing/plans";

export type Window = `${number} ${"s" | "m" | "h"}`;

/** One rate-limit rule. Each policy has its own key prefix: two policies never share counters. */
export type RatePolicy = { name: string; limit: number; window: Window };

export const windowMs = (w: Window): number => {
  const [n, unit] = w.split(" ") as [string, "s" | "m" | "h"];
  return Number(n) * { s: 1_000, m: 60_000, h: 3_600_000 }[unit];
};

/**
 * Requests per tenant per minute and per hour, from its plan — or the tenant's own overrides
 * (Custom plans). Both must allow a request.
 */
export function tenantPolicies(
  plan: PlanId,
  overrides: { perMinute?: number; perHour?: number } = {},
): [RatePolicy, RatePolicy] {
  const r = PLANS[plan].rateLimits;
  return [
    { name: "tenant-minute", limit: overrides.perMinute ?? r.perMinute, window: "1 m" },
    { name: "tenant-hour", limit: overrides.perHour ?? r.perHour, window: "1 h" },
  ];
}

/** Stricter rules for credentials and sign-up, per client address and per account. */
export const AUTH_POLICIES = {
  loginPerIp: { name: "login-ip", limit: 30, window: "15 m" },
  loginPerAccount: { name: "login-account", limit: 10, window: "15 m" },
  signupPerIp: { name: "signup-ip", limit: 10, window: "1 h" },
  adminLoginPerIp: { name: "admin-login-ip", limit: 20, window: "15 m" },
} as const satisfies Record<string, RatePolicy>;
