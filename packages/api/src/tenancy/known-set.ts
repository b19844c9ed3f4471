import { withPlatformAdmin } from "@nchat/db";
import { sql } from "drizzle-orm";
import { KnownNames } from "./known-names";

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
export type KnownConfig = typeof DEFAULT_KNOWN;

type NameKind = "slug" | "domain";
type RefreshState = { asOf: string | null; tokens: number; at: number; running?: Promise<void> };
const NAME_KINDS: readonly NameKind[] = ["slug", "domain"];

/**
 * The names that exist, as the resolver keeps them current in one process (the policy is described
 * on TenantResolver): read in full at start and every `reloadMs`, refreshed per kind on a miss
 * (rate-limited), extended by every invalidation. `KnownNames` is the compact set itself.
 */
export class KnownSet {
  /** The names that exist; null until the first full read succeeded. */
  private known: KnownNames | null = null;
  /** `clock()` when the set was last read in full / a full read was last attempted. */
  private loadedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
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
  lastLoad: { names: number; queries: number; ms: number; bytes: number } | null = null;

  constructor(
    private readonly deps: {
      db: Parameters<typeof withPlatformAdmin>[0];
      config: KnownConfig;
      clock: () => number;
      /** Counts each query that reads names. */
      stats: { knownQueries: number };
      log?: (msg: string, err?: unknown) => void;
    },
  ) {}

  /** Names in the set (null: not read yet). */
  get size(): number | null {
    return this.known?.size ?? null;
  }

  /** Whether a full read succeeded: until then every name may exist. */
  get loaded(): boolean {
    return this.known !== null;
  }

  /** Whether `key` may name a tenant: in the set (after a refresh if due), or no set yet. */
  async mayExist(key: string): Promise<boolean> {
    const cfg = this.deps.config;
    const now = this.deps.clock();
    const retry = !this.reloading && now - this.attemptedAt >= cfg.retryMs;
    if (!this.known) {
      // The first read failed: every name is looked up until a read in the background succeeds.
      if (retry) void this.reload();
      return true;
    }
    if (retry && now - this.loadedAt >= cfg.reloadMs) void this.reload();
    if (this.known.has(key)) return true;
    await this.refreshKind(key.startsWith("slug:") ? "slug" : "domain");
    return this.known.has(key);
  }

  add(keys: string[]) {
    // Names invalidated during a full read (the first one too) are added to the set it builds.
    this.addedDuringReload?.push(...keys);
    if (this.known) for (const k of keys) this.known.add(k);
  }

  /** Invalidations may have been lost: refresh freely again, and read everything anew. */
  resumed() {
    for (const r of Object.values(this.refresh)) r.at = Number.NEGATIVE_INFINITY;
    if (this.known) void this.reload();
  }

  /** What is in flight (a full read, refreshes): awaited before the database closes. */
  async settle(): Promise<void> {
    await Promise.all([this.reloading, this.refresh.slug.running, this.refresh.domain.running]);
  }

  /**
   * Reads every name again, in pages; the current set serves until the new one is complete. Runs by
   * itself (start, every `reloadMs`, after the invalidation channel was down); callers share a read
   * in flight.
   */
  reload(): Promise<void> {
    const cfg = this.deps.config;
    this.reloading ??= (async () => {
      const started = performance.now();
      this.attemptedAt = this.deps.clock();
      this.addedDuringReload = [];
      const builder = KnownNames.builder();
      const asOf: Record<NameKind, string | null> = { slug: null, domain: null };
      let queries = 0;
      try {
        for (const kind of NAME_KINDS) {
          let after = "";
          for (;;) {
            const page = await this.page(kind, after, cfg.pageSize);
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
        this.loadedAt = this.deps.clock();
        for (const kind of NAME_KINDS) this.refresh[kind].asOf = asOf[kind];
        this.lastLoad = {
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
  private refreshKind(kind: NameKind): Promise<void> {
    const cfg = this.deps.config;
    const state = this.refresh[kind];
    if (state.running) return state.running;
    const since = state.asOf;
    if (!since) return Promise.resolve();
    const now = this.deps.clock();
    state.tokens = Math.min(cfg.refreshBurst, state.tokens + (now - state.at) / cfg.refreshMs);
    state.at = now;
    if (state.tokens < 1) return Promise.resolve();
    state.tokens -= 1;
    state.running = (async () => {
      try {
        const fresh = await this.since(kind, since, cfg.overlapMs);
        this.add(fresh.names.map((n) => `${kind}:${n}`));
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
  private async page(kind: NameKind, after: string, limit: number) {
    this.deps.stats.knownQueries++;
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
  private async since(kind: NameKind, since: string, overlapMs: number) {
    this.deps.stats.knownQueries++;
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
}
