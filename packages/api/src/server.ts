import { type Env, isMultiTenant, loadEnv } from "@nchat/config";
import {
  createDatabase,
  type Database,
  type DatabaseConfig,
  type MasterKey,
  parseMasterKey,
} from "@nchat/db";
import { ApiKeyService } from "./api-keys/service";
import { AttachmentService } from "./attachments/attachment-service";
import type { BlobStore } from "./attachments/blob-store";
import { blobStoreFromEnv } from "./attachments/blob-store-s3";
import { TenantKeyring } from "./attachments/keys";
import type { AccountService } from "./auth/account-service";
import { AuthService, type Session } from "./auth/auth-service";
import { SessionCache } from "./auth/session-cache";
import { BillingService } from "./billing/billing-service";
import { billingConfig } from "./billing/config";
import { ChatService } from "./chat/chat-service";
import { DomainService, dnsTxtResolver } from "./domains/domain-service";
import { AppError } from "./errors";
import { componentLog, type Logger, processLogger, throttle } from "./infra/log";
import { registerServicesMetrics } from "./infra/metrics";
import { LocalPubSub, PgPubSub, type PubSub, RedisPubSub } from "./infra/pubsub";
import { createRedis, type RedisClient } from "./infra/redis";
import { ScheduledJobs } from "./jobs/service";
import { processLifecycle } from "./lifecycle";
import { UsageRecorder } from "./limits/usage";
import type { MailService } from "./mail/mail-service";
import { type MailServices, startMail, stopMail } from "./mail/wiring";
import { InvitationService } from "./members/invitation-service";
import { MemberService } from "./members/member-service";
import { SuperAdminService } from "./platform/super-admin-service";
import { MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from "./ratelimit/limiter";
import { RealtimeBus } from "./realtime/bus";
import { PgPresenceStore, RedisPresenceStore } from "./realtime/presence";
import { SearchService } from "./search/service";
import { contextKey } from "./tenancy/context";
import { type TenancyConfig, TenantResolver } from "./tenancy/resolver";
import { TenantService } from "./tenants/tenant-service";
import type { WebhookDrainJob, WebhookService } from "./webhooks/service";
import { createWebhooks, drainJob } from "./webhooks/wiring";

export type Services = {
  env: Env;
  /** Structured logs (pino); components log through child loggers. */
  log: Logger;
  db: Database;
  masterKey: MasterKey;
  /** Signs the tenant context the proxy forwards. */
  contextKey: Buffer;
  /** One Redis or a Redis Cluster (REDIS_CLUSTER). */
  redis: RedisClient | null;
  pubsub: PubSub;
  rateLimiter: RateLimiter;
  usage: UsageRecorder;
  tenancy: TenancyConfig;
  resolver: TenantResolver;
  tenants: TenantService;
  auth: AuthService;
  members: MemberService;
  invitations: InvitationService;
  apiKeys: ApiKeyService;
  domains: DomainService;
  superAdmins: SuperAdminService;
  /** Stripe billing, or offline billing without STRIPE_SECRET_KEY. */
  billing: BillingService;
  chat: ChatService;
  /** Message search and the quick switcher (chat's visibility rule). */
  search: SearchService;
  /** Live chat events to every process, and users' event streams. */
  realtime: RealtimeBus;
  /** Encrypted file bodies. */
  blobs: BlobStore;
  attachments: AttachmentService;
  /** Outgoing mail: queued (pg-boss), sent by the workers of every app process, logged per tenant. */
  mail: MailService;
  /** Outgoing webhooks: endpoints, the outbox, signed delivery through the "webhooks" queue. */
  webhooks: WebhookService;
  /** Password reset and email verification (tokens sent by mail). */
  accounts: AccountService;
  /** The background job queue and its mailer (started with the services, stopped on close). */
  jobs: MailServices;
  /** The scheduled jobs (billing, reconcile, domain re-verification, purge): schedules, runs, "Run now". */
  scheduledJobs: ScheduledJobs;
  close(): Promise<void>;
};

/** The database connections an environment describes. */
export function databaseConfig(env: Env): DatabaseConfig {
  if (!env.DATABASE_URL)
    throw new Error("DATABASE_URL is not set (pnpm dev starts an embedded PostgreSQL and sets it)");
  if (
    env.DATABASE_APP_POOL_MODE === "transaction" &&
    env.DATABASE_LISTEN_URL &&
    env.DATABASE_APP_URL &&
    sameServer(env.DATABASE_LISTEN_URL, env.DATABASE_APP_URL)
  )
    throw new Error(
      "DATABASE_LISTEN_URL must not be the transaction pool of DATABASE_APP_URL: LISTEN needs a session " +
        "of its own (point it at PostgreSQL itself, or a session-mode pool)",
    );
  return {
    adminUrl: env.DATABASE_URL,
    appUrl: env.DATABASE_APP_URL,
    appPoolMode: env.DATABASE_APP_POOL_MODE,
    listenUrl: env.DATABASE_LISTEN_URL,
    connectTimeoutSeconds: env.DATABASE_CONNECT_TIMEOUT,
    maxInFlight: env.DATABASE_MAX_IN_FLIGHT,
    rolePrefix: env.DB_ROLE_PREFIX,
    appPassword: env.DATABASE_APP_PASSWORD,
    poolMax: env.DATABASE_POOL_MAX,
    tenantPoolMax: env.DATABASE_TENANT_POOL_MAX,
  };
}

/** Whether two connection URLs reach the same host and port (credentials and database aside). */
function sameServer(a: string, b: string): boolean {
  const at = (u: string) => {
    const url = new URL(u);
    const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
    const local = host === "localhost" || host === "127.0.0.1" || host === "::1";
    return `${local ? "loopback" : host}:${url.port || "5432"}`;
  };
  return at(a) === at(b);
}

/**
 * Builds the server-side services from a validated environment. With REDIS_URL, Redis is the shared
 * cache and pub/sub; without it, PostgreSQL LISTEN/NOTIFY carries invalidations between processes
 * (`crossProcess: false` keeps everything in-process, for scripts).
 */
export async function createServices(
  env: Env,
  opts: {
    crossProcess?: boolean;
    /** Where attachments are stored (default: the store FILES_STORE names, see blobStoreFromEnv). */
    blobs?: BlobStore;
    /** Where logs go (default: the process's logger, LOG_LEVEL). */
    logger?: Logger;
    /** Seconds between the job scheduler's checks (tests; pg-boss's default 30 otherwise). */
    cronCheckSeconds?: number;
  } = {},
): Promise<Services> {
  // Production without real secrets or an explicit billing mode never gets here: loadEnv refuses it.
  if (!env.DATABASE_URL)
    throw new Error("DATABASE_URL is not set (pnpm dev starts an embedded PostgreSQL and sets it)");
  if (!env.MASTER_ENCRYPTION_KEY)
    throw new Error("MASTER_ENCRYPTION_KEY is not set (pnpm dev generates one under .data/)");
  const logger = opts.logger ?? processLogger(env);
  // A warning per request while Redis is down would drown everything else: each message at most
  // once per 10 s, with how often it happened (the rate limiter counts its own, see FallbackReporter).
  const log = (component: string) => throttle(componentLog(logger, component));
  const db = createDatabase({ ...databaseConfig(env), log: componentLog(logger, "database") });
  const masterKey = parseMasterKey(env.MASTER_ENCRYPTION_KEY);
  const redis = env.REDIS_URL ? createRedis(env.REDIS_URL, { cluster: env.REDIS_CLUSTER }) : null;
  const pubsub: PubSub = redis
    ? new RedisPubSub(redis)
    : opts.crossProcess === false
      ? new LocalPubSub()
      : new PgPubSub(db);
  const resolver = await new TenantResolver({
    db,
    redis,
    pubsub,
    namespace: env.DB_ROLE_PREFIX,
    log: log("tenant-cache"),
  }).start();
  const sessions = await new SessionCache<Session>({
    pubsub,
    namespace: env.DB_ROLE_PREFIX,
    log: log("session-cache"),
  }).start();
  const auth = new AuthService({ db, cache: sessions });
  const usage = new UsageRecorder({ db, log: log("usage") }).start();
  // Presence: marked every 20 s by open streams, online while the mark is under a minute old.
  const lastSeen = new PgPresenceStore(db, { ttlMs: 60_000, minWriteMs: 15_000 });
  const realtime = new RealtimeBus({
    db,
    pubsub,
    namespace: env.DB_ROLE_PREFIX,
    presence: redis
      ? new RedisPresenceStore(redis, env.DB_ROLE_PREFIX, { ttlMs: 60_000 }, lastSeen)
      : lastSeen,
    presenceHeartbeatMs: 20_000,
    log: log("realtime"),
  });
  /** A tenant changed (plan, limits, features, status, name, branding, domains): caches, then open pages. */
  const tenantChanged = async (t: { id: string; slug: string; domains: string[] }) => {
    await resolver.invalidate(t);
    await realtime.tenantChanged(t);
  };
  const blobs = opts.blobs ?? blobStoreFromEnv(env);
  let scheduledJobs: ScheduledJobs | undefined;
  const webhooks = createWebhooks({
    env,
    db,
    masterKey,
    queue: () => jobs.queue,
    mail: () => jobs.mail,
    log: logger.child({ component: "webhooks" }),
  });
  const jobs = await startMail({
    env,
    db,
    masterKey,
    auth,
    logger,
    cronCheckSeconds: opts.cronCheckSeconds,
    register: (queue) => {
      queue.handle<WebhookDrainJob>("webhooks", (job) => drainJob(webhooks, job));
      scheduledJobs = new ScheduledJobs({
        db,
        queue,
        logger,
        config: {
          schedule: env.JOBS_SCHEDULE ?? env.QUEUE_WORKER,
          crons: {
            JOB_BILLING_CRON: env.JOB_BILLING_CRON,
            JOB_RECONCILE_CRON: env.JOB_RECONCILE_CRON,
            JOB_DOMAINS_CRON: env.JOB_DOMAINS_CRON,
            JOB_PURGE_CRON: env.JOB_PURGE_CRON,
            JOB_MENTIONS_CRON: env.JOB_MENTIONS_CRON,
            JOB_BILLING_NOTICES_CRON: env.JOB_BILLING_NOTICES_CRON,
          },
        },
        services: () => ({ ...services, retentionDays: env.RETENTION_DAYS }),
      }).register();
    },
  });
  const tenancy: TenancyConfig = {
    baseDomain: env.NEXT_PUBLIC_BASE_DOMAIN,
    multiTenant: isMultiTenant(env),
    defaultTenantSlug: env.DEFAULT_TENANT_SLUG,
    customDomains: env.ENABLE_CUSTOM_DOMAINS,
  };
  const services: Services = {
    env,
    log: logger,
    db,
    masterKey,
    contextKey: contextKey(masterKey),
    redis,
    pubsub,
    rateLimiter: redis
      ? new RedisRateLimiter(redis, {
          namespace: env.DB_ROLE_PREFIX,
          log: componentLog(logger, "ratelimit"),
        })
      : new MemoryRateLimiter(),
    usage,
    tenancy,
    resolver,
    tenants: new TenantService({
      db,
      masterKey,
      onTenantChanged: tenantChanged,
      onSessionRulesChanged: (tenantId) => auth.refreshTenantSessions(tenantId),
    }),
    auth,
    members: new MemberService({ db, auth, usage, sessions, webhooks }),
    invitations: new InvitationService({ db, auth, usage, webhooks }),
    apiKeys: new ApiKeyService({ db }),
    domains: new DomainService({
      db,
      config: {
        enabled: env.ENABLE_CUSTOM_DOMAINS,
        allowlist: env.ALLOWED_CUSTOM_DOMAINS,
        baseDomain: env.NEXT_PUBLIC_BASE_DOMAIN,
      },
      resolveTxt: dnsTxtResolver(),
      onTenantChanged: tenantChanged,
    }),
    superAdmins: new SuperAdminService({ db }),
    billing: new BillingService({
      db,
      config: billingConfig(env),
      onTenantChanged: tenantChanged,
      log: log("billing"),
    }),
    chat: new ChatService({
      db,
      events: realtime,
      usage,
      log: log("chat"),
      webhooks,
    }),
    search: new SearchService({ db, events: realtime, usage, log: log("search") }),
    realtime,
    blobs,
    attachments: new AttachmentService({
      db,
      blobs,
      keyring: new TenantKeyring(masterKey),
      usage,
      log: log("attachments"),
    }),
    mail: jobs.mail,
    webhooks,
    accounts: jobs.accounts,
    jobs,
    scheduledJobs: scheduledJobs!,
    async close() {
      unregisterClose();
      unregisterMetrics();
      // Running jobs finish (or go back to the queue) while the pools are still open.
      await stopMail(jobs, env.SHUTDOWN_GRACE_MS).catch((err) =>
        logger.child({ component: "queue" }).error({ err }, "queue: stop failed"),
      );
      await scheduledJobs?.close();
      await realtime.close();
      await usage
        .close()
        .catch((err) => logger.child({ component: "usage" }).error({ err }, "usage: final flush failed"));
      await resolver.stop();
      await sessions.stop();
      await pubsub.close();
      redis?.disconnect();
      await db.close();
    },
  };
  // A graceful shutdown (installShutdown) closes every set of services of the process.
  const unregisterClose = processLifecycle().onClose(() => services.close());
  const unregisterMetrics = registerServicesMetrics(services);
  // The crons on pg-boss's scheduler (a process with JOBS_SCHEDULE off leaves them as they are). A
  // failure (e.g. the queues of a newer build before `pnpm db:migrate`) does not stop the process.
  await services.scheduledJobs
    .schedule()
    .catch((err) => logger.child({ component: "jobs" }).error({ err }, "jobs: schedules not registered"));
  return services;
}

const scope = globalThis as { nchatServicesByGraph?: Map<unknown, Promise<Services>> };

/**
 * The services of this process, created once from the process environment — once per module graph.
 * Next.js compiles the proxy, the route handlers and the pages into separate module graphs, each with
 * its own copy of this package and of @trpc/server. A service built from one copy serving another
 * breaks what copies cannot share: tRPC recognises `tracked()` events by a module-private symbol (SSE
 * ids, and with them Last-Event-ID resumption, would disappear). So the registry (on globalThis) is
 * keyed by this copy's AppError class: every graph gets its own set, a development reload of this file
 * reuses it, a reload of the package (new classes) makes a new one. Outside Next.js (one graph) it is
 * one set per process. Both apps get their services here.
 */
export function appServices(): Promise<Services> {
  scope.nchatServicesByGraph ??= new Map();
  let services = scope.nchatServicesByGraph.get(AppError);
  if (!services) {
    services = createServices(loadEnv(process.env));
    scope.nchatServicesByGraph.set(AppError, services);
  }
  return services;
}
