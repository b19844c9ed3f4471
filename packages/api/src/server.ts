import { type Env, isMultiTenant, loadEnv } from "@nchat/config";
import {
  createDatabase,
  type Database,
  type DatabaseConfig,
  type MasterKey,
  parseMasterKey,
} from "@nchat/db";
import type { Redis } from "ioredis";
import { AttachmentService } from "./attachments/attachment-service";
import { type BlobStore, LocalDiskBlobStore } from "./attachments/blob-store";
import { TenantKeyring } from "./attachments/keys";
import { SessionCache } from "./auth/session-cache";
import { BillingService } from "./billing/billing-service";
import { billingConfig } from "./billing/config";
import { ChatService } from "./chat/chat-service";
import { LocalPubSub, PgPubSub, type PubSub, RedisPubSub } from "./infra/pubsub";
import { createRedis } from "./infra/redis";
import { UsageRecorder } from "./limits/usage";
import { MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from "./ratelimit/limiter";
import { RealtimeBus } from "./realtime/bus";
import { ApiKeyService } from "./services/api-key-service";
import { AuthService, type Session } from "./services/auth-service";
import { DomainService, dnsTxtResolver } from "./services/domain-service";
import { MemberService } from "./services/member-service";
import { SuperAdminService } from "./services/super-admin-service";
import { TenantService } from "./services/tenant-service";
import { contextKey } from "./tenancy/context";
import { type TenancyConfig, TenantResolver } from "./tenancy/resolver";

export type Services = {
  env: Env;
  db: Database;
  masterKey: MasterKey;
  /** Signs the tenant context the proxy forwards. */
  contextKey: Buffer;
  redis: Redis | null;
  pubsub: PubSub;
  rateLimiter: RateLimiter;
  usage: UsageRecorder;
  tenancy: TenancyConfig;
  resolver: TenantResolver;
  tenants: TenantService;
  auth: AuthService;
  members: MemberService;
  apiKeys: ApiKeyService;
  domains: DomainService;
  superAdmins: SuperAdminService;
  /** Stripe billing, or offline billing without STRIPE_SECRET_KEY. */
  billing: BillingService;
  chat: ChatService;
  /** Live chat events to every process, and users' event streams. */
  realtime: RealtimeBus;
  /** Encrypted file bodies. */
  blobs: BlobStore;
  attachments: AttachmentService;
  close(): Promise<void>;
};

/** The database connections an environment describes. */
export function databaseConfig(env: Env): DatabaseConfig {
  if (!env.DATABASE_URL)
    throw new Error("DATABASE_URL is not set (pnpm dev starts an embedded PostgreSQL and sets it)");
  return {
    adminUrl: env.DATABASE_URL,
    appUrl: env.DATABASE_APP_URL,
    rolePrefix: env.DB_ROLE_PREFIX,
    appPassword: env.DATABASE_APP_PASSWORD,
    poolMax: env.DATABASE_POOL_MAX,
    poolShards: env.DATABASE_POOL_SHARDS,
  };
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
    /** Where attachments are stored (default: a LocalDiskBlobStore under `.data/files`). */
    blobs?: BlobStore;
  } = {},
): Promise<Services> {
  if (!env.DATABASE_URL)
    throw new Error("DATABASE_URL is not set (pnpm dev starts an embedded PostgreSQL and sets it)");
  if (!env.MASTER_ENCRYPTION_KEY)
    throw new Error("MASTER_ENCRYPTION_KEY is not set (pnpm dev generates one under .data/)");
  const db = createDatabase(databaseConfig(env));
  const masterKey = parseMasterKey(env.MASTER_ENCRYPTION_KEY);
  const redis = env.REDIS_URL ? createRedis(env.REDIS_URL) : null;
  const pubsub: PubSub = redis
    ? new RedisPubSub(redis)
    : opts.crossProcess === false
      ? new LocalPubSub()
      : new PgPubSub(db.app);
  const resolver = await new TenantResolver({
    db,
    redis,
    pubsub,
    namespace: env.DB_ROLE_PREFIX,
    log: (msg, err) => console.warn(msg, errMessage(err)),
  }).start();
  const sessions = await new SessionCache<Session>({
    pubsub,
    namespace: env.DB_ROLE_PREFIX,
    log: (msg, err) => console.warn(msg, errMessage(err)),
  }).start();
  const auth = new AuthService({ db, cache: sessions });
  const usage = new UsageRecorder({ db, log: (msg, err) => console.warn(msg, errMessage(err)) }).start();
  const realtime = new RealtimeBus({
    db,
    pubsub,
    namespace: env.DB_ROLE_PREFIX,
    log: (msg, err) => console.warn(msg, errMessage(err)),
  });
  const blobs = opts.blobs ?? new LocalDiskBlobStore(env.FILES_DIR);
  const tenancy: TenancyConfig = {
    baseDomain: env.NEXT_PUBLIC_BASE_DOMAIN,
    multiTenant: isMultiTenant(env),
    defaultTenantSlug: env.DEFAULT_TENANT_SLUG,
    customDomains: env.ENABLE_CUSTOM_DOMAINS,
  };
  return {
    env,
    db,
    masterKey,
    contextKey: contextKey(masterKey),
    redis,
    pubsub,
    rateLimiter: redis
      ? new RedisRateLimiter(redis, {
          namespace: env.DB_ROLE_PREFIX,
          log: (msg, err) => console.warn(msg, errMessage(err)),
        })
      : new MemoryRateLimiter(),
    usage,
    tenancy,
    resolver,
    tenants: new TenantService({ db, masterKey, onTenantChanged: (t) => resolver.invalidate(t) }),
    auth,
    members: new MemberService({ db, auth, usage }),
    apiKeys: new ApiKeyService({ db }),
    domains: new DomainService({
      db,
      config: {
        enabled: env.ENABLE_CUSTOM_DOMAINS,
        allowlist: env.ALLOWED_CUSTOM_DOMAINS,
        baseDomain: env.NEXT_PUBLIC_BASE_DOMAIN,
      },
      resolveTxt: dnsTxtResolver(),
      onTenantChanged: (t) => resolver.invalidate(t),
    }),
    superAdmins: new SuperAdminService({ db }),
    billing: new BillingService({
      db,
      config: billingConfig(env),
      onTenantChanged: (t) => resolver.invalidate(t),
      log: (msg, err) => console.warn(msg, errMessage(err)),
    }),
    chat: new ChatService({
      db,
      events: realtime,
      usage,
      log: (msg, err) => console.warn(msg, errMessage(err)),
    }),
    realtime,
    blobs,
    attachments: new AttachmentService({
      db,
      blobs,
      keyring: new TenantKeyring(masterKey),
      usage,
      log: (msg, err) => console.warn(msg, errMessage(err)),
    }),
    async close() {
      await realtime.close();
      await usage.close().catch((err) => console.warn("usage: final flush failed", errMessage(err)));
      await resolver.stop();
      await sessions.stop();
      await pubsub.close();
      redis?.disconnect();
      await db.close();
    },
  };
}

const processServices = globalThis as unknown as { nchatServices?: Promise<Services> };

/** The services of this server process, created once from the process environment. */
export function sharedServices(): Promise<Services> {
  processServices.nchatServices ??= createServices(loadEnv(process.env));
  return processServices.nchatServices;
}

/** The message of an error and of its causes (drizzle wraps the driver's error as `cause`). */
function errMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e = err; e instanceof Error && parts.length < 4; e = e.cause) {
    // drizzle's "Failed query" messages carry the whole SQL text: keep the first line.
    parts.push((e.message.split("\n")[0] ?? "").slice(0, 300));
  }
  return parts.join(": ");
}
