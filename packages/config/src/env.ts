import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";

const bool = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", ""])
    .optional()
    .transform((v) => (v === undefined || v === "" ? fallback : v === "true" || v === "1"));

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
  return createEnv({
    server: {
      NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
      // Database. Unset: the embedded PostgreSQL started by `pnpm dev` / the test setup.
      DATABASE_URL: z.string().url().optional(),
      DATABASE_APP_URL: z.string().url().optional(),
      DATABASE_APP_PASSWORD: z.string().min(1).default("nchat-app-dev-password"),
      DB_ROLE_PREFIX: z
        .string()
        .regex(/^[a-z][a-z0-9]{1,11}$/, "lowercase letters and digits, 2-12 characters")
        .default("nchat"),
      DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
      // Tenant-affine routing: the app pool split into this many pools, each tenant always on one.
      DATABASE_POOL_SHARDS: z.coerce.number().int().min(1).max(500).default(1),
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
      // Redis. Unset: in-process cache, limiter and pub/sub.
      REDIS_URL: z.string().url().optional(),
      // Stripe. Unset secret key: offline billing.
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
    },
    runtimeEnv: source,
    emptyStringAsUndefined: true,
  });
}

export type Env = ReturnType<typeof loadEnv>;

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
