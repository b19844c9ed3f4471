import { randomUUID } from "node:crypto";
import type { Database, withPlatformAdmin } from "@nchat/db";
import { LRUCache } from "lru-cache";
import type { PubSub, Unsubscribe } from "../infra/pubsub";
import type { RedisClient } from "../infra/redis";
import { type HostTarget, parseHost } from "./host";
import { DEFAULT_KNOWN, KnownSet } from "./known-set";
import {
  type Entry,
  NONE,
  parseEntry,
  type ResolvedTenant,
  type ResolvedTenantRow,
  toResolvedTenant,
} from "./resolved-tenant";

export type { ResolvedTenant } from "./resolved-tenant";

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

/** TTLs in milliseconds. Negative entries live briefly: a new tenant must not stay unknown for long. */
export const DEFAULT_TTL = { local: 30_000, remote: 3_600_000, negativeLocal: 5_000, negativeRemote: 30_000 };

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
  /** The names that exist (null: disabled), kept current as described above. */
  private readonly known: KnownSet | null;
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
    this.known =
      deps.known === false
        ? null
        : new KnownSet({
            db: deps.db,
            config: { ...DEFAULT_KNOWN, ...deps.known },
            clock: () => deps.clock?.() ?? performance.now(),
            stats: this.stats,
            log: deps.log,
          });
  }

  private get ttl() {
    return { ...DEFAULT_TTL, ...this.deps.ttl };
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
            this.known?.add(m.k);
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
          this.known?.resumed();
        },
      },
    );
    if (this.known && !this.known.loaded) await this.known.reload();
    return this;
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    // A read in flight finishes before the caller closes the database under it.
    await this.known?.settle();
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
    this.known?.add(list);
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

  /** The last full read of the known names: names, queries, milliseconds, bytes. */
  get knownLoad() {
    return this.known?.lastLoad ?? null;
  }

  /** Reads every known name again (it runs by itself: at start, every `reloadMs`, after a resume). */
  reloadKnown(): Promise<void> {
    return this.known?.reload() ?? Promise.resolve();
  }

  /** Whether `key` may name a tenant: in the set of known names, or no set (yet). */
  private mayExist(key: string): Promise<boolean> | boolean {
    if (!this.known || !this.unsubscribe) return true;
    return this.known.mayExist(key);
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
        ? sql<ResolvedTenantRow[]>`select * from public.resolve_tenant_by_slug(${value})`.execute()
        : sql<ResolvedTenantRow[]>`select * from public.resolve_tenant_by_domain(${value})`.execute(),
    );
    const r = rows[0];
    return r ? toResolvedTenant(r) : null;
  }
}
