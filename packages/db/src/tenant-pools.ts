import type { Sql } from "postgres";

/** A pool of one tenant role's connections and what runs on it. */
export type TenantPool<D> = { sql: Sql; db: D };

export type TenantPoolsOptions<D> = {
  /** Opens the pool of one tenant role (connections are made lazily by postgres.js). */
  open(role: string): TenantPool<D>;
  /**
   * Most tenant pools open at once. With each pool at most DATABASE_TENANT_POOL_MAX connections, this
   * bounds the process's tenant connections to `maxPools ×` that.
   */
  maxPools: number;
};

export type TenantPoolStats = {
  pools: number;
  busyPools: number;
  waiting: number;
  opened: number;
  evicted: number;
};

type Entry<D> = TenantPool<D> & { busy: number };

/**
 * The connections of tenant work, one small pool per tenant role, since each tenant's work logs in
 * as that tenant (see roles.ts). At most `maxPools` pools are open: a tenant without one takes the
 * pool of the least recently used tenant that has nothing running (its connections are closed), or
 * waits until one has nothing running. Connections of an open pool close themselves when idle
 * (postgres.js `idle_timeout`), so a pool kept open costs no backend once its tenant is quiet.
 */
export class TenantPools<D> {
  /** In least- to most-recently-used order (an entry is moved to the end when used). */
  private readonly entries = new Map<string, Entry<D>>();
  private readonly waiters: (() => void)[] = [];
  private opened = 0;
  private evicted = 0;
  private closed = false;

  constructor(private readonly opts: TenantPoolsOptions<D>) {
    if (!Number.isInteger(opts.maxPools) || opts.maxPools < 1)
      throw new Error(`maxPools must be an integer ≥ 1: ${opts.maxPools}`);
  }

  /** Runs `fn` on the pool of `role`, which stays open (not evictable) until `fn` settles. */
  async run<T>(role: string, fn: (db: D) => Promise<T>): Promise<T> {
    const entry = await this.acquire(role);
    try {
      return await fn(entry.db);
    } finally {
      entry.busy--;
      if (entry.busy === 0) this.waiters.shift()?.();
    }
  }

  stats(): TenantPoolStats {
    let busyPools = 0;
    for (const e of this.entries.values()) if (e.busy > 0) busyPools++;
    return {
      pools: this.entries.size,
      busyPools,
      waiting: this.waiters.length,
      opened: this.opened,
      evicted: this.evicted,
    };
  }

  /** Every open pool, e.g. for metrics. */
  pools(): Sql[] {
    return [...this.entries.values()].map((e) => e.sql);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.sql.end({ timeout: 5 })));
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async acquire(role: string): Promise<Entry<D>> {
    for (;;) {
      if (this.closed) throw new Error("the database connections are closed");
      const existing = this.entries.get(role);
      if (existing) {
        this.entries.delete(role);
        this.entries.set(role, existing);
        existing.busy++;
        return existing;
      }
      if (this.entries.size < this.opts.maxPools || this.evictOneIdle()) {
        const entry: Entry<D> = { ...this.opts.open(role), busy: 1 };
        this.entries.set(role, entry);
        this.opened++;
        return entry;
      }
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  private evictOneIdle(): boolean {
    for (const [role, entry] of this.entries) {
      if (entry.busy > 0) continue;
      this.entries.delete(role);
      this.evicted++;
      void entry.sql.end({ timeout: 5 }).catch(() => {});
      return true;
    }
    return false;
  }
}
