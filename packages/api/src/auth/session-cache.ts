import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { PubSub, Unsubscribe } from "../infra/pubsub";

/** What the cache keeps of a live session: enough to answer without the database. */
export type CachedSession<S> = {
  session: S;
  tenantId: string;
  userId: string;
  expiresAt: Date;
  lastUsedAt: Date;
};

type Invalidation = { o: string; t: string; u?: string; h?: string };

/**
 * Sessions recently looked up, per process, so a signed-in request does not need its own database
 * transaction. Safety:
 * - every revocation (sign-out, sessions of a user ended by a role change or removal, a tenant's
 *   session rules changed) drops the entries here at once and in every other process through pub/sub;
 * - a lookup that raced with a revocation is not cached (the generation moved while it ran);
 * - entries live at most `ttlMs`, which bounds staleness if a pub/sub message is lost (e.g. while
 *   Redis is down).
 * Writes never trust the cache for authorisation alone: they re-read the user in their transaction.
 */
export class SessionCache<S> {
  private readonly entries: LRUCache<string, CachedSession<S>>;
  private readonly origin = randomUUID();
  private readonly channel: string;
  private generation = 0;
  private unsubscribe?: Unsubscribe;

  constructor(
    private readonly deps: {
      pubsub: PubSub;
      namespace: string;
      ttlMs?: number;
      max?: number;
      log?: (msg: string, err?: unknown) => void;
    },
  ) {
    this.entries = new LRUCache({ max: deps.max ?? 50_000, ttl: deps.ttlMs ?? 30_000 });
    this.channel = `${deps.namespace}:sessions`;
  }

  async start(): Promise<this> {
    this.unsubscribe ??= await this.deps.pubsub.subscribe(
      this.channel,
      (message) => {
        try {
          const m = JSON.parse(message) as Invalidation;
          if (m.o !== this.origin) this.drop(m);
        } catch {
          // a malformed message changes nothing
        }
      },
      // Revocations sent while the subscription was down are lost: forget everything cached.
      {
        onResume: () => {
          this.generation++;
          this.entries.clear();
        },
      },
    );
    return this;
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Marks the start of a database lookup; pass the mark to `set`. */
  mark(): number {
    return this.generation;
  }

  get(tenantId: string, tokenHash: string): CachedSession<S> | undefined {
    return this.entries.get(`${tenantId}:${tokenHash}`);
  }

  /** Caches a lookup unless a revocation happened since `mark` (it may predate the revocation). */
  set(tokenHash: string, entry: CachedSession<S>, mark: number): void {
    if (mark === this.generation) this.entries.set(`${entry.tenantId}:${tokenHash}`, entry);
  }

  /**
   * Drops one session (by token hash), every session of a user, or every session of the tenant (its
   * session rules changed), here and in every process.
   */
  async revoke(target: { tenantId: string; userId?: string; tokenHash?: string }): Promise<void> {
    const m: Invalidation = { o: this.origin, t: target.tenantId, u: target.userId, h: target.tokenHash };
    this.drop(m);
    // The revocation itself is committed; other processes then stop trusting the entry within ttlMs.
    await this.deps.pubsub
      .publish(this.channel, JSON.stringify(m))
      .catch((err) => this.deps.log?.("session cache: publishing a revocation failed", err));
  }

  private drop(m: Invalidation) {
    this.generation++;
    if (m.h) this.entries.delete(`${m.t}:${m.h}`);
    if (m.u) {
      for (const [key, e] of this.entries.entries()) {
        if (e.tenantId === m.t && e.userId === m.u) this.entries.delete(key);
      }
    }
    if (!m.h && !m.u) {
      for (const [key, e] of this.entries.entries()) if (e.tenantId === m.t) this.entries.delete(key);
    }
  }
}
