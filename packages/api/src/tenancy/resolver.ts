import { randomUUID } from "node:crypto";
import { type Database, withPlatformAdmin } from "@nchat/db";
import { sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import type { PubSub, Unsubscribe } from "../infra/pubsub";
import type { RedisClient } from "../infra/redis";
import { type HostTarget, parseHost } from "./host";
import { KnownNames } from "./known-names";

/** What routing and the request context know about a tenant. No owner, Stripe or limit data. */
export const resolvedTenantSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  status: z.enum(["trial", "active", "past_due", "suspended", "cancelled", "deleted"]),
  schemaName: z.string(),
  dbRole: z.string(),
  plan: z.enum(["free", "pro", "enterprise", "custom"]),
  branding: z.record(z.string(), z.string()),
  /** Feature flags of the plan (or Custom overrides). */
  features: z.record(z.string(), z.boolean()),
  /** Per-tenant request rate limits (Custom plans); the plan's apply where absent. */
  rateLimits: z.object({ perMinute: z.number().optional(), perHour: z.number().optional() }).optional(),
  trialEndsAt: z.string().nullable(),
});
/**
 * One schema for every place a resolved tenant crosses a process boundary — the shared cache (Redis)
 * and the signed context the proxy forwards (context.ts): what does not match is not trusted.
 */
export type ResolvedTenant = z.infer<typeof resolvedTenantSchema>;

export type TenancyConfig = {
  baseDomain: string;
  multiTenant: boolean;
  defaultTenantSlug: string;
  customDomains: boolean;
};

export type Resolution = { target: HostTarget; tenant: ResolvedTenant | null };

export type ResolverStats = {
  local: number;
  remote: number;
  database: number;
  negative: number;
  /** Lookups that found Redis failing and read PostgreSQL instead (0 while Redis answers). */
  redisFailures: number;
  /** Lookups answered "no such tenant" by the set of known names, without any query. */
  unknown: number;
  /** Queries that read known names: full loads (one per page) and refreshes. */
  knownQueries: number;
};

const NONE = "none" as const;
type Entry = ResolvedTenant | typeof NONE;

/** A cached entry as another process wrote it; undefined when it is not one (read the database). */
function parseEntry(raw: string): Entry | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    if (value === NONE) return NONE;
    const r = resolvedTenantSchema.safeParse(value);
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** TTLs in milliseconds. Negative entries live briefly: a new tenant must not stay unknown for long. */
export const DEFAULT_TTL = { local: 30_000, remote: 3_600_000, negativeLocal: 5_000, negativeRemote: 30_000 };

/** The set of known names (see TenantResolver). Times in milliseconds. */
export const DEFAULT_KNOWN = {
  /**
   * A name missing from the set reads the names of its kind (slugs, domains) created since the last
   * read: one query, rate-limited per kind to a burst of `refreshBurst`, then one per `refreshMs`.
   * A scan of random names costs at most that, whatever the number of names. A new tenant whose
   * invalidation never arrived is found by its first request — during a scan, within `refreshMs`.
   */
  refreshMs: 1_000,
  refreshBurst: 5,
  /** The whole set is read again this often (in the background): drops purged names. */
  reloadMs: 3_600_000,
  /** After a full read failed, the next one is tried no sooner than this. */
  retryMs: 30_000,
  /** Names per query while reading the whole set. */
  pageSize: 50_000,
  /**
   * A refresh reads the names created since this long before the previous one, again: a tenant
   * whose creating transaction began before that read and committed after it is still found.
   */
  overlapMs: 300_000,
};

type NameKind = "slug" | "domain";
type RefreshState = { asOf: string | null; tokens: number; at: number; running?: Promise<void> };
const NAME_KINDS: readonly NameKind[] = ["slug", "domain"];

/** The database the resolver uses: its own lookups, and the platform-admin read of the names. */
export type ResolverDb = Pick<Database, "app" | "availability"> & Parameters<typeof withPlatformAdmin>[0];

/**
 * Tenant lookup by slug or verified domain through three layers: an in-process LRU (short TTL),
 * Redis (1 h) and PostgreSQL (a security-definer function; the app role cannot list tenants).
 * Any change is invalidated in every layer and, through pub/sub, in every process.
 *
 * Unknown names. A negative cache per name does not bound a scan of random names (each new name
 * costs a query). So, once started, each process holds the set of names that exist — every
 * tenant's slug and every verified domain, as 8-byte hashes (see KnownNames: 1,000,000 tenants ≈
 * 8 MB) — read at start through the platform-admin role, in pages of `pageSize` (measured: 11,000
 * names in 2 queries, ~50 ms; 1,050,000 in 23 queries, ~2.3 s). A name outside the set is answered
 * "no such tenant" without a query and without an LRU entry (a scan of random names neither reaches
 * PostgreSQL nor evicts real tenants from the LRU). The set is kept current by
 * - the invalidation channel: every key invalidated anywhere (creation, deletion, domain changes)
 *   is added to every process's set;
 * - a refresh on a miss: a name outside the set reads the names of its kind created since the
 *   previous read, rate-limited per kind (a burst of `refreshBurst`, then one per `refreshMs`) — a
 *   tenant created by a process whose invalidation was lost (or that has none, e.g. a script)
 *   resolves at its first request, or within `refreshMs` while a scan spends the refreshes; a
 *   scan costs at most `refreshBurst` + one per `refreshMs` queries per kind;
 * - a full read every `reloadMs`, and after the invalidation channel was down.
 * Names are only added between full reads: an extra name costs an ordinary lookup (cached
 * negatively, as before); a missing one would hide a tenant, so none is ever removed before the
 * next full read. Until the first read succeeds (or with `known: false`), every name is looked up
 * and unknown ones are cached negatively for a few seconds, as before the set existed.
 */
export class TenantResolver {
  private readonly local: LRUCache<string, Entry>;
  private unsubscribe?: Unsubscribe;
  readonly stats: ResolverStats = {
    local: 0,
    remote: 0,
    database: 0,
    negative: 0,
    redisFailures: 0,
    unknown: 0,
    knownQueries: 0,
  };
  /** Identifies this resolver's own messages on the invalidation channel. */
  private readonly origin = randomUUID();
  /** The names that exist; null until the first full read succeeded (or when disabled). */
  private known: KnownNames | null = null;
  /** `clock()` when the set was last read in full / a full read was last attempted. */
  private knownLoadedAt = Number.NEGATIVE_INFINITY;
  private knownAttemptedAt = Number.NEGATIVE_INFINITY;
  private reloading?: Promise<void>;
  /**
   * Refreshes, per kind of name (a scan of subdomains does not read domains): the database's clock
   * at the last read (text, as PostgreSQL wrote it), the token bucket (tokens, `clock()` when last
   * filled), the refresh in flight.
   */
  private readonly refresh: Record<NameKind, RefreshState> = {
    slug: { asOf: null, tokens: 0, at: Number.NEGATIVE_INFINITY },
    domain: { asOf: null, tokens: 0, at: Number.NEGATIVE_INFINITY },
  };
  /** Names added while a full read runs: they go into the new set too. */
  private addedDuringReload: string[] | null = null;
  /** The last full read: names, queries, milliseconds. */
  knownLoad: { names: number; queries: number; ms: number; bytes: number } | null = null;

  constructor(
    private readonly deps: {
      db: ResolverDb;
      /** Keeps keys and channels of deployments (and test runs) sharing a Redis apart. */
      namespace: string;
      redis?: RedisClient | null;
      pubsub: PubSub;
      ttl?: Partial<typeof DEFAULT_TTL>;
      /** The set of known names (on by default once started); `false`: per-name lookups only. */
      known?: Partial<typeof DEFAULT_KNOWN> | false;
      /** Milliseconds, for the set's intervals (tests). */
      clock?: () => number;
      log?: (msg: string, err?: unknown) => void;
    },
  ) {
    this.local = new LRUCache<string, Entry>({ max: 20_000, ttl: this.ttl.local, ttlAutopurge: false });
  }

  private get ttl() {
    return { ...DEFAULT_TTL, ...this.deps.ttl };
  }

  private get knownConfig() {
    return this.deps.known === false ? null : { ...DEFAULT_KNOWN, ...this.deps.known };
  }

  private clock(): number {
    return this.deps.clock?.() ?? performance.now();
  }

  /**
   * Listen for invalidations from other processes, then read the set of known names (subscribed
   * first: a name created during the read arrives as an invalidation). A failed read is logged and
   * tried again later; meanwhile every name is looked up.
   */
  async start(): Promise<this> {
    this.unsubscribe ??= await this.deps.pubsub.subscribe(
      this.channel,
      (message) => {
        try {
          const m = JSON.parse(message) as { o: string; k: string[] };
          // Our own invalidations were applied locally already; their echo must not drop entries
          // cached since.
          if (m.o !== this.origin) {
            this.dropLocal(m.k);
            this.addKnown(m.k);
          }
        } catch {
          // a malformed message changes nothing
        }
      },
      // Invalidations sent while the subscription was down are lost: empty this process's layer,
      // and read the names again (until then, missing names may trigger a burst of refreshes).
      {
        onResume: () => {
          this.clearLocal();
          for (const r of Object.values(this.refresh)) r.at = Number.NEGATIVE_INFINITY;
          if (this.known) void this.reloadKnown();
        },
      },
    );
    if (this.knownConfig && !this.known) await this.reloadKnown();
    return this;
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    // A read in flight finishes before the caller closes the database under it.
    await Promise.all([this.reloading, this.refresh.slug.running, this.refresh.domain.running]);
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
    this.addKnown(list);
    const redis = this.deps.redis;
    if (redis) {
      // One DEL per key: a tenant's slug and domain keys hash to different Redis Cluster slots, and
      // a multi-key DEL across slots fails (CROSSSLOT). Auto-pipelining sends them in one write.
      await Promise.all(list.map((k) => redis.del(this.redisKey(k)))).catch((err) =>
        this.deps.log?.("tenant cache: redis del failed", err),
      );
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

  /** Names in the set of known names (null: no set — not started, disabled, or not read yet). */
  get knownSize(): number | null {
    return this.known?.size ?? null;
  }

  /** Whether `key` may name a tenant: in the set (after a refresh if due), or no set yet. */
  private async mayExist(key: string): Promise<boolean> {
    const cfg = this.knownConfig;
    if (!cfg || !this.unsubscribe) return true;
    const now = this.clock();
    const retry = !this.reloading && now - this.knownAttemptedAt >= cfg.retryMs;
    if (!this.known) {
      // The first read failed: every name is looked up until a read in the background succeeds.
      if (retry) void this.reloadKnown();
      return true;
    }
    if (retry && now - this.knownLoadedAt >= cfg.reloadMs) void this.reloadKnown();
    if (this.known.has(key)) return true;
    await this.refreshKnown(key.startsWith("slug:") ? "slug" : "domain", cfg);
    return this.known.has(key);
  }

  private addKnown(keys: string[]) {
    // Names invalidated during a full read (the first one too) are added to the set it builds.
    this.addedDuringReload?.push(...keys);
    if (this.known) for (const k of keys) this.known.add(k);
  }

  /**
   * Reads every name again, in pages; the current set serves until the new one is complete. Runs by
   * itself (start, every `reloadMs`, after the invalidation channel was down); callers share a read
   * in flight.
   */
  reloadKnown(): Promise<void> {
    const cfg = this.knownConfig;
    if (!cfg) return Promise.resolve();
    this.reloading ??= (async () => {
      const started = performance.now();
      this.knownAttemptedAt = this.clock();
      this.addedDuringReload = [];
      const builder = KnownNames.builder();
      const asOf: Record<NameKind, string | null> = { slug: null, domain: null };
      let queries = 0;
      try {
        for (const kind of NAME_KINDS) {
          let after = "";
          for (;;) {
            const page = await this.knownPage(kind, after, cfg.pageSize);
            queries++;
            asOf[kind] ??= page.at;
            for (const name of page.names) builder.add(`${kind}:${name}`);
            if (page.names.length < cfg.pageSize) break;
            after = page.names[page.names.length - 1]!;
          }
        }
        const known = builder.build();
        for (const k of this.addedDuringReload) known.add(k);
        this.known = known;
        this.knownLoadedAt = this.clock();
        for (const kind of NAME_KINDS) this.refresh[kind].asOf = asOf[kind];
        this.knownLoad = {
          names: known.size,
          queries,
          ms: Math.round((performance.now() - started) * 10) / 10,
          bytes: known.bytes,
        };
      } catch (err) {
        this.deps.log?.("tenant cache: reading the known names failed", err);
      } finally {
        this.addedDuringReload = null;
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  /**
   * Adds the names of one kind created (slugs) or verified (domains) since the last read, if the
   * kind's token bucket allows (see DEFAULT_KNOWN.refreshMs); callers meanwhile share the read.
   */
  private refreshKnown(kind: NameKind, cfg: typeof DEFAULT_KNOWN): Promise<void> {
    const state = this.refresh[kind];
    if (state.running) return state.running;
    const since = state.asOf;
    if (!since) return Promise.resolve();
    const now = this.clock();
    state.tokens = Math.min(cfg.refreshBurst, state.tokens + (now - state.at) / cfg.refreshMs);
    state.at = now;
    if (state.tokens < 1) return Promise.resolve();
    state.tokens -= 1;
    state.running = (async () => {
      try {
        const fresh = await this.knownSince(kind, since, cfg.overlapMs);
        this.addKnown(fresh.names.map((n) => `${kind}:${n}`));
        state.asOf = fresh.at;
      } catch (err) {
        this.deps.log?.("tenant cache: refreshing the known names failed", err);
      } finally {
        state.running = undefined;
      }
    })();
    return state.running;
  }

  /**
   * One page of names in order (keyset on the unique indexes of slug and of verified domains), with
   * the database's clock. Platform-admin: the app role cannot list tenants.
   */
  private async knownPage(kind: NameKind, after: string, limit: number) {
    this.stats.knownQueries++;
    const rows = await withPlatformAdmin(this.deps.db, (tx) =>
      tx.execute<{ at: string; names: string[] | null }>(
        kind === "slug"
          ? sql`select now()::text as at, array(
              select slug from public.tenants where slug > ${after} order by slug limit ${limit}) as names`
          : sql`select now()::text as at, array(
              select domain from public.tenant_domains where status = 'verified' and domain > ${after}
              order by domain limit ${limit}) as names`,
      ),
    );
    const row = rows[0]!;
    return { at: row.at, names: row.names ?? [] };
  }

  /**
   * Slugs created, or domains verified, since `since` less the overlap. Slugs: a range of the
   * created_at index. Domains: tenant_domains has no index on verified_at — a scan of that table
   * (50,000 rows: 6–20 ms here), done only when a missing *domain* asks for it.
   */
  private async knownSince(kind: NameKind, since: string, overlapMs: number) {
    this.stats.knownQueries++;
    const from = sql`${since}::timestamptz - make_interval(secs => ${overlapMs / 1000})`;
    const rows = await withPlatformAdmin(this.deps.db, (tx) =>
      tx.execute<{ at: string; names: string[] | null }>(
        kind === "slug"
          ? sql`select now()::text as at, array(
              select slug from public.tenants where created_at > ${from}) as names`
          : sql`select now()::text as at, array(
              select domain from public.tenant_domains
              where status = 'verified' and (verified_at is null or verified_at > ${from})) as names`,
      ),
    );
    const row = rows[0]!;
    return { at: row.at, names: row.names ?? [] };
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
    if (!(await this.mayExist(key))) {
      // Not remembered in the LRU: a scan of random names must not evict real tenants.
      this.stats.unknown++;
      return null;
    }
    const redis = this.deps.redis;
    if (redis) {
      try {
        const raw = await redis.get(this.redisKey(key));
        if (raw !== null) {
          this.stats.remote++;
          const entry = parseEntry(raw);
          if (entry !== undefined) {
            this.remember(key, entry, false);
            return entry === NONE ? null : entry;
          }
        }
      } catch (err) {
        this.stats.redisFailures++;
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
    const rows = await this.deps.db.availability.run(() =>
      fn === "resolve_tenant_by_slug"
        ? sql<Row[]>`select * from public.resolve_tenant_by_slug(${value})`.execute()
        : sql<Row[]>`select * from public.resolve_tenant_by_domain(${value})`.execute(),
    );
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
