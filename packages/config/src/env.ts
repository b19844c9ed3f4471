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

/** A cron expression (5 fields, or 6 with seconds first) or "off"; pg-boss checks it fully. */
const cron = (fallback: string) =>
  z
    .string()
    .trim()
    .regex(/^(off|\S+( \S+){4,5})$/, 'a cron expression ("5 * * * *") or "off"')
    .default(fallback);

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );

/** The app role's development password (the default of DATABASE_APP_PASSWORD); never in production. */
export const DEV_APP_PASSWORD = "nchat-app-dev-password";

/**
 * Every environment variable the server side reads: its schema and default. The comments are for
 * readers of this file; `.env.example` documents each variable for operators, and
 * docs/configuration.md is generated from both (`pnpm docs:config`; a test keeps the three in step).
 */
export const ENV_SHAPE = {
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
  // "disk" (FILES_DIR) or "s3" (an S3 or S3-compatible bucket; `pnpm files:to-s3` copies disk files).
  FILES_STORE: z.enum(["disk", "s3"]).default("disk"),
  S3_BUCKET: z.string().min(3).max(63).optional(),
  // Unset: the SDK's default chain (AWS_REGION, the shared config file).
  S3_REGION: z.string().min(1).optional(),
  // An S3-compatible server's URL (MinIO, Ceph, …). Unset: AWS.
  S3_ENDPOINT: z.string().url().optional(),
  S3_FORCE_PATH_STYLE: bool(false),
  // Both or neither. Unset: the SDK's default credential chain (environment, files, instance role).
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
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
  // Signing secret of the event destination for Stripe's v2 "thin" events (v1.billing.meter.*
  // errors), sent to the same /api/billing/webhook. Unset: STRIPE_WEBHOOK_SECRET.
  STRIPE_EVENT_DESTINATION_SECRET: z.string().optional(),
  // Stripe price ids of the self-serve plans (see @nchat/billing/plans).
  STRIPE_PRICE_PRO_MONTHLY: z.string().optional(),
  STRIPE_PRICE_PRO_YEARLY: z.string().optional(),
  STRIPE_PRICE_ENTERPRISE_MONTHLY: z.string().optional(),
  STRIPE_PRICE_ENTERPRISE_YEARLY: z.string().optional(),
  // Usage-based billing. Each billable meter needs its Stripe billing meter's event name and a
  // metered price on that meter per interval; paid subscriptions carry the metered prices that
  // are configured. API calls above the plan's monthly allowance (meter aggregation "sum"):
  STRIPE_METER_API_CALLS: z.string().optional(),
  STRIPE_PRICE_API_CALLS_MONTHLY: z.string().optional(),
  STRIPE_PRICE_API_CALLS_YEARLY: z.string().optional(),
  // Whole GB stored above the plan's allowance (meter aggregation "last"):
  STRIPE_METER_STORAGE: z.string().optional(),
  STRIPE_PRICE_STORAGE_MONTHLY: z.string().optional(),
  STRIPE_PRICE_STORAGE_YEARLY: z.string().optional(),
  // Minutes after a renewal during which usage of the closed period is still reported into it
  // (Stripe keeps a renewal invoice as a draft for about an hour before finalizing it).
  STRIPE_USAGE_GRACE_MINUTES: z.coerce.number().int().min(0).max(4320).default(55),
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
  // `pnpm start`: where the apps listen, how many processes each runs, and whether pending
  // migrations are applied before serving (otherwise `pnpm db:migrate` does it).
  HOST: z.string().min(1).default("0.0.0.0"),
  WEB_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  ADMIN_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
  WEB_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  ADMIN_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  START_MIGRATE: bool(false),
  // Logs: the lowest level written. Unset: info (warn under NODE_ENV=test).
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
  // /api/metrics (Prometheus): scrapers send `Authorization: Bearer <METRICS_TOKEN>`. Unset: 404
  // in production, open in development and test.
  METRICS_TOKEN: z.string().min(16, "at least 16 characters").optional(),
  // Outgoing mail. SMTP_URL: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465.
  // Unset: mail is captured in the process (the dev mailbox page and a console line with its
  // links), never sent and never silently dropped (in production each captured mail is logged as
  // an error, without its links, and the mailbox page is refused).
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, "smtp://[user:password@]host[:port] or smtps://…")
    .optional(),
  // The sender of every mail: an address, or `Name <address>`.
  MAIL_FROM: z.string().min(3).default("nchat <no-reply@localhost>"),
  // Background jobs (pg-boss, in PostgreSQL): how many jobs one process works on at once, how
  // often an idle worker looks for new ones, how often a failed send is tried in all, and the
  // first retry delay (doubled each time, with jitter).
  QUEUE_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  QUEUE_POLL_SECONDS: z.coerce.number().min(0.5).max(600).default(2),
  MAIL_RETRY_LIMIT: z.coerce.number().int().min(0).max(50).default(8),
  MAIL_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  // false: this process queues jobs but works on none (a deployment with separate workers).
  QUEUE_WORKER: bool(true),
  // Scheduled jobs: whether this process runs the scheduler (pg-boss's cron; each tick is sent once
  // whichever scheduling process is first). Unset: the same as QUEUE_WORKER.
  JOBS_SCHEDULE: optionalBool,
  // When each scheduled job runs: cron expressions in UTC (minute hour day-of-month month
  // day-of-week), or "off" to not schedule that job (it still runs from the admin app or its
  // command). Billing: trial expiry, grace-period suspension, ended cancellations, metered usage.
  JOB_BILLING_CRON: cron("5 * * * *"),
  JOB_RECONCILE_CRON: cron("30 3 * * *"),
  JOB_DOMAINS_CRON: cron("15 */6 * * *"),
  JOB_PURGE_CRON: cron("45 4 * * *"),
  JOB_MENTIONS_CRON: cron("*/5 * * * *"),
  JOB_BILLING_NOTICES_CRON: cron("20 * * * *"),
  // Minutes a person must have been away before their mentions and DMs are mailed (one digest).
  MENTION_EMAIL_DELAY_MINUTES: z.coerce.number().int().min(1).max(1440).default(10),
  // Outgoing webhooks: let endpoints on loopback (127.0.0.0/8, ::1) through the delivery-time address
  // check (tests and development only; refused in production). Private, link-local and metadata
  // addresses stay refused whatever this says.
  WEBHOOKS_ALLOW_LOOPBACK: bool(false),
  // Seconds one webhook request (connect, send, response) may take.
  WEBHOOKS_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(60).default(10),
};

/**
 * The environment, validated once: ENV_SHAPE, then the rules across variables (crossFieldProblems).
 */
export function loadEnv(source: Record<string, string | undefined> = process.env) {
  const e = createEnv({
    server: ENV_SHAPE,
    runtimeEnv: source,
    emptyStringAsUndefined: true,
    // Rules across variables, in the schema: what production requires, what contradicts itself.
    // `next build` runs with NODE_ENV=production but serves nothing, so it is not held to them.
    createFinalSchema: (shape) =>
      z.object(shape).superRefine((values, ctx) => {
        const building = source.NEXT_PHASE === "phase-production-build";
        for (const { path, message } of crossFieldProblems(values as CrossFields, building))
          ctx.addIssue({ code: "custom", path: [path], message });
      }),
    onValidationError: (issues) => {
      const lines = issues.map((i) => {
        const key = i.path?.map((p) => (typeof p === "object" ? p.key : p)).join(".");
        return key ? `${key}: ${i.message}` : i.message;
      });
      throw new Error(
        `Invalid environment (NODE_ENV=${source.NODE_ENV ?? "development"}):\n  - ${lines.join("\n  - ")}`,
      );
    },
  });
  return e;
}

export type Env = ReturnType<typeof loadEnv>;
/** The variables the rules across fields read. */
type CrossFields = {
  NODE_ENV: string;
  DATABASE_URL?: string;
  DATABASE_APP_PASSWORD: string;
  MASTER_ENCRYPTION_KEY?: string;
  BILLING_MODE?: BillingMode;
  STRIPE_SECRET_KEY?: string;
  REDIS_URL?: string;
  REDIS_CLUSTER?: boolean;
  FILES_STORE: "disk" | "s3";
  S3_BUCKET?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  WEBHOOKS_ALLOW_LOOPBACK?: boolean;
};
type Problem = { path: keyof CrossFields; message: string };

/**
 * What keeps a configuration from serving: in production, missing secrets (DATABASE_URL,
 * MASTER_ENCRYPTION_KEY), the development DATABASE_APP_PASSWORD, or no explicit BILLING_MODE (offline
 * billing lets any owner pick any plan for free: never a silent default there); anywhere, a
 * BILLING_MODE that contradicts the Stripe key, a REDIS_URL / REDIS_CLUSTER that disagree,
 * FILES_STORE=s3 without S3_BUCKET, and half of an S3 key pair.
 */
function crossFieldProblems(e: CrossFields, building: boolean): Problem[] {
  const problems: Problem[] = [];
  if (e.BILLING_MODE === "stripe" && !e.STRIPE_SECRET_KEY)
    problems.push({ path: "BILLING_MODE", message: "BILLING_MODE=stripe needs STRIPE_SECRET_KEY." });
  if (e.BILLING_MODE === "offline" && e.STRIPE_SECRET_KEY)
    problems.push({
      path: "BILLING_MODE",
      message: "BILLING_MODE=offline but STRIPE_SECRET_KEY is set: choose one.",
    });
  if (e.REDIS_URL) {
    try {
      redisIsCluster(parseRedisUrl(e.REDIS_URL), e.REDIS_CLUSTER);
    } catch (err) {
      problems.push({ path: "REDIS_CLUSTER", message: (err as Error).message });
    }
  }
  if (!e.S3_ACCESS_KEY_ID !== !e.S3_SECRET_ACCESS_KEY)
    problems.push({
      path: e.S3_ACCESS_KEY_ID ? "S3_SECRET_ACCESS_KEY" : "S3_ACCESS_KEY_ID",
      message:
        "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither (the SDK's chain).",
    });
  // A store without a bucket serves nowhere (production included).
  if (e.FILES_STORE === "s3" && !e.S3_BUCKET)
    problems.push({ path: "S3_BUCKET", message: "FILES_STORE=s3 needs S3_BUCKET." });
  if (e.NODE_ENV !== "production" || building) return problems;
  if (!e.DATABASE_URL) problems.push({ path: "DATABASE_URL", message: "DATABASE_URL is not set." });
  if (!e.MASTER_ENCRYPTION_KEY)
    problems.push({
      path: "MASTER_ENCRYPTION_KEY",
      message: "MASTER_ENCRYPTION_KEY is not set (generate one: openssl rand -base64 32).",
    });
  if (e.WEBHOOKS_ALLOW_LOOPBACK)
    problems.push({
      path: "WEBHOOKS_ALLOW_LOOPBACK",
      message:
        "WEBHOOKS_ALLOW_LOOPBACK is for tests and development: webhooks must not reach this host in production.",
    });
  if (e.DATABASE_APP_PASSWORD === DEV_APP_PASSWORD)
    problems.push({
      path: "DATABASE_APP_PASSWORD",
      message: "DATABASE_APP_PASSWORD is the development default: set a real password.",
    });
  if (!e.BILLING_MODE)
    problems.push({
      path: "BILLING_MODE",
      message:
        'BILLING_MODE is not set: "stripe" (with STRIPE_SECRET_KEY) or "offline" (plans change without payment).',
    });
  return problems;
}

export type BillingMode = "stripe" | "offline";

/** How billing works: BILLING_MODE, or (outside production only) stripe with a key, offline without. */
export function billingMode(e: Env): BillingMode {
  if (e.BILLING_MODE) return e.BILLING_MODE;
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
