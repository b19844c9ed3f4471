import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { parseRedisUrl, redisIsCluster } from "./redis";

const bool = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", ""])
    .optional()
    .transform((v) => (v === undefined || v === "" ? fallback : v === "true" || v === "1"));

/** true / false, or undefined when unset (the default is decided elsewhere). */
const optionalBool = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => (v === undefined || v === "" ? undefined : v === "true" || v === "1"));

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );

/**
 * Every environment variable the server side reads, validated once.
 * `.env.example` documents each of them; keep the two in step.
 */
export function loadEnv(source: Record<string, string | undefined> = process.env) {
  const e = createEnv({
    server: {
      NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
      // Database. Unset: the embedded PostgreSQL started by `pnpm dev` / the test setup.
      DATABASE_URL: z.string().url().optional(),
      DATABASE_APP_URL: z.string().url().optional(),
      // How DATABASE_APP_URL pools: "transaction" behind PgBouncer/pgcat in transaction mode (no named
      // prepared statements; LISTEN on DATABASE_LISTEN_URL), "session" for a direct connection.
      DATABASE_APP_POOL_MODE: z.enum(["session", "transaction"]).default("session"),
      // Where the app role LISTENs (a session that must stay on one backend). Default: DATABASE_APP_URL
      // in session mode, DATABASE_URL's server with the app role's credentials in transaction mode.
      DATABASE_LISTEN_URL: z.string().url().optional(),
      // Seconds to wait for a new PostgreSQL connection before the request fails (503).
      DATABASE_CONNECT_TIMEOUT: z.coerce.number().int().min(1).max(60).default(5),
      // Units of work per process that may wait for or hold an app connection; more get 503 at once.
      DATABASE_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(100_000).default(200),
      // The app role's password. The default is for development only: production refuses it.
      DATABASE_APP_PASSWORD: z.string().min(1).default(DEV_APP_PASSWORD),
      DB_ROLE_PREFIX: z
        .string()
        .regex(/^[a-z][a-z0-9]{1,11}$/, "lowercase letters and digits, 2-12 characters")
        .default("nchat"),
      // Tenant work logs in as each tenant's own role, in a small pool per tenant: at most
      // DATABASE_POOL_MAX connections per process for all tenants, at most DATABASE_TENANT_POOL_MAX
      // of them one tenant's (so POOL_MAX / TENANT_POOL_MAX tenants have pools open at a time).
      DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(5000).default(20),
      DATABASE_TENANT_POOL_MAX: z.coerce.number().int().min(1).max(100).default(2),
      // Where attachment files are stored (encrypted). Absolute, or relative to the process's cwd.
      FILES_DIR: z.string().min(1).default(".data/files"),
      // Secrets
      MASTER_ENCRYPTION_KEY: z
        .string()
        .regex(/^[A-Za-z0-9+/]{43}=$/, "base64 of 32 bytes")
        .optional(),
      // Multi-tenancy
      ENABLE_MULTI_TENANCY: bool(false),
      DISABLE_MULTI_TENANCY: bool(false),
      DEFAULT_TENANT_SLUG: z.string().default("demo"),
      NEXT_PUBLIC_BASE_DOMAIN: z.string().min(1).default("localhost"),
      ENABLE_CUSTOM_DOMAINS: bool(false),
      ALLOWED_CUSTOM_DOMAINS: csv,
      // Redis. Unset: in-process cache, limiter and pub/sub. One URL, or a cluster's seed nodes
      // comma-separated (see ./redis.ts for the format).
      REDIS_URL: z
        .string()
        .superRefine((v, ctx) => {
          try {
            parseRedisUrl(v);
          } catch (err) {
            ctx.addIssue({ code: "custom", message: (err as Error).message });
          }
        })
        .optional(),
      // Redis Cluster (ioredis Cluster, keys hash-tagged per tenant). Unset: true when REDIS_URL lists
      // several nodes.
      REDIS_CLUSTER: optionalBool,
      // Billing: "stripe" (needs STRIPE_SECRET_KEY) or "offline" (plan changes apply at once, no
      // payment: for development and self-hosting without Stripe). Required in production; elsewhere
      // unset means stripe with a key, offline without.
      BILLING_MODE: z.enum(["stripe", "offline"]).optional(),
      STRIPE_SECRET_KEY: z.string().optional(),
      STRIPE_WEBHOOK_SECRET: z.string().optional(),
      // Stripe price ids of the self-serve plans (see @nchat/billing/plans).
      STRIPE_PRICE_PRO_MONTHLY: z.string().optional(),
      STRIPE_PRICE_PRO_YEARLY: z.string().optional(),
      STRIPE_PRICE_ENTERPRISE_MONTHLY: z.string().optional(),
      STRIPE_PRICE_ENTERPRISE_YEARLY: z.string().optional(),
      // Event name of the Stripe billing meter for API calls above the plan's allowance. Unset: not reported.
      STRIPE_METER_API_CALLS: z.string().optional(),
      // Another Stripe API server (a local fake in tests): host, port, protocol.
      STRIPE_API_HOST: z.string().optional(),
      STRIPE_API_PORT: z.coerce.number().int().min(1).max(65535).optional(),
      STRIPE_API_PROTOCOL: z.enum(["http", "https"]).optional(),
      // Trials: length of the first subscription's trial (0 = none), and what happens to an unpaid one.
      TRIAL_DAYS: z.coerce.number().int().min(0).max(365).default(14),
      TRIAL_EXPIRY_ACTION: z.enum(["free", "suspend"]).default("free"),
      // Days a past-due workspace keeps working before billing suspends it.
      PAST_DUE_GRACE_DAYS: z.coerce.number().int().min(0).max(365).default(7),
      // Days a soft-deleted tenant is kept before a super admin (or a job) may purge it for good.
      RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
      // Graceful shutdown (SIGTERM/SIGINT): longest wait for requests in flight, and how long new
      // requests are still served (readiness 503) before the listener closes.
      SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
      // Which peers may tell the client's address in X-Forwarded-For: unset/"none" (the socket's
      // address counts), a hop count (that many proxies of ours in front), or their addresses/CIDRs.
      TRUST_PROXY: z
        .string()
        .optional()
        .refine((v) => v === undefined || /^(none|false|\d+|[0-9a-fA-F.:/,\s]+)$/.test(v.trim() || "none"), {
          message: 'a hop count, "none", or a comma-separated list of addresses / CIDR ranges',
        }),
      SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(0),
      // Logs: the lowest level written. Unset: info (warn under NODE_ENV=test).
      LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
      // /api/metrics (Prometheus): scrapers send `Authorization: Bearer <METRICS_TOKEN>`. Unset: 404
      // in production, open in development and test.
      METRICS_TOKEN: z.string().min(16, "at least 16 characters").optional(),
    },
    runtimeEnv: source,
    emptyStringAsUndefined: true,
  });
  if (e.REDIS_URL) {
    try {
      redisIsCluster(parseRedisUrl(e.REDIS_URL), e.REDIS_CLUSTER);
    } catch (err) {
      throw new Error(`Invalid environment variables: REDIS_URL / REDIS_CLUSTER: ${(err as Error).message}`);
    }
  }
  return e;
}

export type Env = ReturnType<typeof loadEnv>;

/** The app role's development password (the default of DATABASE_APP_PASSWORD); never in production. */
export const DEV_APP_PASSWORD = "nchat-app-dev-password";

export type BillingMode = "stripe" | "offline";

/**
 * What keeps this configuration from serving: production without real secrets (a missing
 * MASTER_ENCRYPTION_KEY, the development DATABASE_APP_PASSWORD) or without an explicit BILLING_MODE
 * (offline billing lets any owner pick any plan for free: never a silent default there), and a
 * BILLING_MODE that contradicts the Stripe key. Empty when it may start.
 */
export function configProblems(e: Env): string[] {
  const problems: string[] = [];
  if (e.BILLING_MODE === "stripe" && !e.STRIPE_SECRET_KEY)
    problems.push("BILLING_MODE=stripe needs STRIPE_SECRET_KEY.");
  if (e.BILLING_MODE === "offline" && e.STRIPE_SECRET_KEY)
    problems.push("BILLING_MODE=offline but STRIPE_SECRET_KEY is set: choose one.");
  if (e.NODE_ENV !== "production") return problems;
  if (!e.MASTER_ENCRYPTION_KEY)
    problems.push("MASTER_ENCRYPTION_KEY is not set (generate one: openssl rand -base64 32).");
  if (e.DATABASE_APP_PASSWORD === DEV_APP_PASSWORD)
    problems.push("DATABASE_APP_PASSWORD is the development default: set a real password.");
  if (!e.BILLING_MODE)
    problems.push(
      'BILLING_MODE is not set: "stripe" (with STRIPE_SECRET_KEY) or "offline" (plans change without payment).',
    );
  return problems;
}

/** Throws one error naming every problem (see configProblems); the server must not start. */
export function assertStartable(e: Env): void {
  const problems = configProblems(e);
  if (problems.length)
    throw new Error(`Refusing to start (NODE_ENV=${e.NODE_ENV}):\n  - ${problems.join("\n  - ")}`);
}

/** How billing works: BILLING_MODE, or (outside production only) stripe with a key, offline without. */
export function billingMode(e: Env): BillingMode {
  if (e.BILLING_MODE) return e.BILLING_MODE;
  if (e.NODE_ENV === "production") assertStartable(e);
  return e.STRIPE_SECRET_KEY ? "stripe" : "offline";
}

let cached: Env | undefined;

/** The process environment, validated on first use. */
export function env(): Env {
  cached ??= loadEnv();
  return cached;
}

/** Multi-tenancy needs ENABLE_MULTI_TENANCY=true and DISABLE_MULTI_TENANCY not true. */
export function isMultiTenant(e: Env = env()): boolean {
  return e.ENABLE_MULTI_TENANCY && !e.DISABLE_MULTI_TENANCY;
}
