import { randomUUID } from "node:crypto";
import type { Database } from "@nchat/db";
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import type { PubSub, Unsubscribe } from "../infra/pubsub";
import { type HostTarget, parseHost } from "./host";

/** What routing and the request context know about a tenant. No owner, Stripe or limit data. */
export type ResolvedTenant = {
  id: string;
  slug: string;
  name: string;
  status: "trial" | "active" | "past_due" | "suspended" | "cancelled" | "deleted";
  schemaName: string;
  dbRole: string;
  plan: "free" | "pro" | "enterprise" | "custom";
  branding: Record<string, string>;
  /** Feature flags of the plan (or Custom overrides). */
  features: Record<string, boolean>;
  /** Per-tenant request rate limits (Custom plans); the plan's apply where absent. */
  rateLimits?: { perMinute?: number; perHour?: number };
  trialEndsAt: string | null;
};

export type TenancyConfig = {
  baseDomain: string;
  multiTenant: boolean;
  defaultTenantSlug: string;
  customDomains: boolean;
};

export type Resolution = { target: HostTarget; tenant: ResolvedTenant | null };

export type ResolverStats = { local: number; remote: number; database: number; negative: number };

const NONE = "none" as const;
type Entry = ResolvedTenant | typeof NONE;

/** TTLs in milliseconds. Negative entries live briefly: a new tenant must not stay unknown for long. */
export const DEFAULT_TTL = { local: 30_000, remote: 3_600_000, negativeLocal: 5_000, negativeRemote: 30_000 };

/**
 * Tenant lookup by slug or verified domain through three layers: an in-process LRU (short TTL),
 * Redis (1 h) and PostgreSQL (a security-definer function; the app role cannot list tenants).
 * Unknown keys are cached negatively for a few seconds, so scanning random subdomains costs the
 * database at most one query per name per few seconds. Any change is invalidated in every layer
 * and, through pub/sub, in every process.
 */
export class TenantResolver {
  private readonly local: LRUCache<string, Entry>;
  private unsubscribe?: Unsubscribe;
  readonly stats: ResolverStats = { local: 0, remote: 0, database: 0, negative: 0 };
  /** Identifies this resolver's own messages on the invalidation channel. */
  private readonly origin = randomUUID();

  constructor(
    private readonly deps: {
      db: Pick<Database, "app">;
      /** Keeps keys and channels of deployments (and test runs) sharing a Redis apart. */
      namespace: string;
      redis?: Redis | null;
      pubsub: PubSub;
      ttl?: Partial<typeof DEFAULT_TTL>;
      log?: (msg: string, err?: unknown) => void;
    },
  ) {
    this.local = new LRUCache<string, Entry>({ max: 20_000, ttl: this.ttl.local, ttlAutopurge: false });
  }

  private get ttl() {
    return { ...DEFAULT_TTL, ...this.deps.ttl };
  }

  /** Listen for invalidations from other processes. */
  async start(): Promise<this> {
    this.unsubscribe ??= await this.deps.pubsub.subscribe(
      this.channel,
      (message) => {
        try {
          const m = JSON.parse(message) as { o: string; k: string[] };
          // Our own invalidations were applied locally already; their echo must not drop entries
          // cached since.
          if (m.o !== this.origin) this.dropLocal(m.k);
        } catch {
          // a malformed message changes nothing
        }
      },
      // Invalidations sent while the subscription was down are lost: empty this process's layer.
      { onResume: () => this.clearLocal() },
    );
    return this;
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The tenant a request's Host names, following the tenancy mode. */
  async resolveHost(host: string | null | undefined, config: TenancyConfig): Promise<Resolution> {
    if (!config.multiTenant) {
      return {
        target: { kind: "subdomain", slug: config.defaultTenantSlug },
        tenant: await this.bySlug(config.defaultTenantSlug),
      };
    }
    const target = parseHost(host, config.baseDomain);
    if (target.kind === "subdomain") return { target, tenant: await this.bySlug(target.slug) };
    if (target.kind === "custom" && config.customDomains)
      return { target, tenant: await this.byDomain(target.domain) };
    return { target, tenant: null };
  }

  bySlug(slug: string): Promise<ResolvedTenant | null> {
    return this.lookup(`slug:${slug}`, () => this.query("resolve_tenant_by_slug", slug));
  }

  byDomain(domain: string): Promise<ResolvedTenant | null> {
    return this.lookup(`domain:${domain}`, () => this.query("resolve_tenant_by_domain", domain));
  }

  /** Drops a tenant's entries (by slug and domains) from every layer in every process. */
  async invalidate(keys: { slug?: string; domains?: string[] }): Promise<void> {
    const list = [
      ...(keys.slug ? [`slug:${keys.slug}`] : []),
      ...(keys.domains ?? []).map((d) => `domain:${d}`),
    ];
    if (list.length === 0) return;
    this.dropLocal(list);
    if (this.deps.redis) {
      await this.deps.redis
        .del(...list.map((k) => this.redisKey(k)))
        .catch((err) => this.deps.log?.("tenant cache: redis del failed", err));
    }
    await this.deps.pubsub.publish(this.channel, JSON.stringify({ o: this.origin, k: list }));
  }

  /** Empties this process's layer (others keep theirs). */
  clearLocal(): void {
    this.local.clear();
  }

  private get channel() {
    return `${this.deps.namespace}_tenant_invalidate`;
  }

  private redisKey(key: string) {
    return `${this.deps.namespace}:tenant:${key}`;
  }

  private dropLocal(keys: string[]) {
    for (const k of keys) this.local.delete(k);
  }

  private async lookup(
    key: string,
    load: () => Promise<ResolvedTenant | null>,
  ): Promise<ResolvedTenant | null> {
    const cached = this.local.get(key);
    if (cached !== undefined) {
      this.stats.local++;
      return cached === NONE ? null : cached;
    }
    const redis = this.deps.redis;
    if (redis) {
      try {
        const raw = await redis.get(this.redisKey(key));
        if (raw !== null) {
          this.stats.remote++;
          const entry = JSON.parse(raw) as Entry;
          this.remember(key, entry, false);
          return entry === NONE ? null : entry;
        }
      } catch (err) {
        this.deps.log?.("tenant cache: redis unavailable, reading the database", err);
      }
    }
    this.stats.database++;
    const tenant = await load();
    const entry: Entry = tenant ?? NONE;
    if (!tenant) this.stats.negative++;
    this.remember(key, entry, true);
    return tenant;
  }

  private remember(key: string, entry: Entry, writeRemote: boolean) {
    const ttl = this.ttl;
    this.local.set(key, entry, { ttl: entry === NONE ? ttl.negativeLocal : ttl.local });
    if (writeRemote && this.deps.redis) {
      this.deps.redis
        .set(
          this.redisKey(key),
          JSON.stringify(entry),
          "PX",
          entry === NONE ? ttl.negativeRemote : ttl.remote,
        )
        .catch((err) => this.deps.log?.("tenant cache: redis set failed", err));
    }
  }

  private async query(fn: "resolve_tenant_by_slug" | "resolve_tenant_by_domain", value: string) {
    const sql = this.deps.db.app;
    const rows =
      fn === "resolve_tenant_by_slug"
        ? await sql<Row[]>`select * from public.resolve_tenant_by_slug(${value})`
        : await sql<Row[]>`select * from public.resolve_tenant_by_domain(${value})`;
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      slug: r.slug,
      name: r.name,
      status: r.status,
      schemaName: r.schema_name,
      dbRole: r.db_role,
      plan: r.billing_plan,
      branding: r.branding ?? {},
      features: r.features ?? {},
      rateLimits: r.rate_limits ?? {},
      trialEndsAt: r.trial_ends_at ? new Date(r.trial_ends_at).toISOString() : null,
    } satisfies ResolvedTenant;
  }
}

type Row = {
  id: string;
  slug: string;
  name: string;
  status: ResolvedTenant["status"];
  schema_name: string;
  db_role: string;
  billing_plan: ResolvedTenant["plan"];
  branding: Record<string, string> | null;
  features: Record<string, boolean> | null;
  rate_limits: { perMinute?: number; perHour?: number } | null;
  trial_ends_at: Date | null;
};
