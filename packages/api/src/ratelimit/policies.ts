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

/**
 * A signed-in user's (or API key's) share of the tenant's quota: at most half of the tenant's
 * per-minute and per-hour limits (rounded up), so one member — a runaway script, a stuck client —
 * cannot starve the rest: while one member is held at the share, the others still have the other
 * half. (Two members spamming together can still use the whole quota; then everyone waits for the
 * window, as before.) Checked before the tenant's quota, so refused calls do not spend it.
 */
export const USER_SHARE = 0.5;

export function userSharePolicies(tenantPolicy: [RatePolicy, RatePolicy]): [RatePolicy, RatePolicy] {
  const [minute, hour] = tenantPolicy;
  return [
    { name: "user-minute", limit: Math.max(1, Math.ceil(minute.limit * USER_SHARE)), window: minute.window },
    { name: "user-hour", limit: Math.max(1, Math.ceil(hour.limit * USER_SHARE)), window: hour.window },
  ];
}

/**
 * Anonymous calls (no valid session or key) per client address per tenant host: their own budget,
 * apart from the tenant's quota, so a flood of unauthenticated requests — from one address or many —
 * can never lock the tenant's members out. The same for every plan: it is for sign-in pages,
 * invitations and the public face of the workspace.
 */
export const ANONYMOUS_POLICIES: [RatePolicy, RatePolicy] = [
  { name: "anon-minute", limit: 60, window: "1 m" },
  { name: "anon-hour", limit: 600, window: "1 h" },
];

/**
 * The bucket of a client address: IPv4 as is; IPv6 by its /64 (one subscriber usually holds a
 * whole /64, so counting single addresses would give an attacker 2^64 budgets); IPv4-mapped IPv6 as
 * the IPv4 address. Unknown or unparsable: one shared "unknown" bucket.
 */
export function addressBucket(ip: string | null): string {
  if (!ip) return "unknown";
  const a = ip
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/%.*$/, "");
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) return a;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!/^[0-9a-f:.]+$/.test(a) || !a.includes(":")) return "unknown";
  const [head = "", tail] = a.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(":")}::/64`;
}

type LimitedTenant = { id: string; plan: PlanId; rateLimits?: { perMinute?: number; perHour?: number } };

/**
 * A signed-in user's call: the user's share first, then the tenant's quota. Every identifier
 * carries the tenant id as its Redis Cluster hash tag (`{id}`): a tenant's keys share a slot.
 */
export function memberChecks(tenant: LimitedTenant, userId: string): [RatePolicy, string][] {
  const quota = tenantPolicies(tenant.plan, tenant.rateLimits);
  return [
    ...userSharePolicies(quota).map((p): [RatePolicy, string] => [p, `{${tenant.id}}:user:${userId}`]),
    ...quota.map((p): [RatePolicy, string] => [p, `{${tenant.id}}`]),
  ];
}

/** An anonymous call on a tenant's host: its address's budget there (tagged with the tenant id). */
export function anonymousChecks(tenantId: string, ip: string | null): [RatePolicy, string][] {
  return ANONYMOUS_POLICIES.map((p): [RatePolicy, string] => [p, `{${tenantId}}:ip:${addressBucket(ip)}`]);
}

/** Stricter rules for credentials and sign-up, per client address (per account: auth/sign-in-backoff.ts). */
export const AUTH_POLICIES = {
  loginPerIp: { name: "login-ip", limit: 30, window: "15 m" },
  signupPerIp: { name: "signup-ip", limit: 10, window: "1 h" },
  adminLoginPerIp: { name: "admin-login-ip", limit: 20, window: "15 m" },
  /** Second-factor codes at sign-in (each account also has its own code back-off). */
  twoFactorPerIp: { name: "2fa-ip", limit: 30, window: "15 m" },
  /** "Forgot password" and resets per client address per workspace, and reset mails per address asked for. */
  resetPerIp: { name: "reset-ip", limit: 10, window: "15 m" },
  resetPerAccount: { name: "reset-account", limit: 3, window: "1 h" },
  /** Verification mails (resend, address changes) per signed-in account. */
  verificationPerAccount: { name: "verify-account", limit: 5, window: "1 h" },
} as const satisfies Record<string, RatePolicy>;
