import { type Database, type TenantRef, withTenant } from "@nchat/db";
import { and, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { RedisClient } from "../infra/redis";

/**
 * Who is online in a tenant, shared by every process: each process that holds a user's event
 * stream marks the user as seen now and again every heartbeat; a user counts as online while their
 * mark is younger than the time to live. A page reads it when it loads (events then keep it
 * current), so presence is right after a reload and whichever process holds whose stream.
 */
export interface PresenceStore {
  /** The users were seen now (a stream opened, or a heartbeat of open streams). */
  touch(tenant: TenantRef, userIds: string[]): Promise<void>;
  /** The user's last stream in this process closed (other processes re-mark theirs). */
  leave(tenant: TenantRef, userId: string): Promise<void>;
  /** Users of the tenant seen within the time to live. */
  online(tenant: TenantRef): Promise<string[]>;
}

export type PresenceOptions = {
  /** How long a mark counts (several heartbeats). */
  ttlMs: number;
};

/**
 * In Redis: one sorted set per tenant (`<ns>:presence:{tenant id}`, one Cluster slot per tenant),
 * user id → time of the last mark. Marks older than the time to live are dropped on each touch and
 * the key expires with its last user.
 */
export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly namespace: string,
    private readonly opts: PresenceOptions,
    /** Where "last seen" is kept for the member list (written when a user leaves). */
    private readonly lastSeen?: Pick<PresenceStore, "leave">,
  ) {}

  private key(tenantId: string) {
    return `${this.namespace}:presence:{${tenantId}}`;
  }

  async touch(tenant: TenantRef, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const key = this.key(tenant.id);
    const now = Date.now();
    const args = userIds.flatMap((id) => [now, id]);
    // One slot (the key's hash tag): the three go out together (auto-pipelining).
    await Promise.all([
      this.redis.zadd(key, ...args),
      this.redis.zremrangebyscore(key, "-inf", now - this.opts.ttlMs),
      this.redis.pexpire(key, this.opts.ttlMs * 2),
    ]);
  }

  async leave(tenant: TenantRef, userId: string): Promise<void> {
    await this.redis.zrem(this.key(tenant.id), userId);
    await this.lastSeen?.leave(tenant, userId);
  }

  async online(tenant: TenantRef): Promise<string[]> {
    return this.redis.zrangebyscore(this.key(tenant.id), Date.now() - this.opts.ttlMs, "+inf");
  }
}

/**
 * Without Redis: `users.last_seen_at` in the tenant's schema. A mark is written only when the stored
 * one is older than `minWriteMs` (several processes heartbeating one user write once per interval).
 * A user whose last stream closed stays online for other pages' first read until the time to live
 * runs out (the `offline` event reaches the pages already open at once).
 */
export class PgPresenceStore implements PresenceStore {
  constructor(
    private readonly db: Pick<Database, "tenantPools" | "availability">,
    private readonly opts: PresenceOptions & { minWriteMs: number },
  ) {}

  async touch(tenant: TenantRef, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const due = sql`now() - make_interval(secs => ${this.opts.minWriteMs / 1000}::double precision)`;
    await withTenant(this.db, tenant, ({ db, t }) =>
      db
        .update(t.users)
        .set({ lastSeenAt: sql`now()` })
        .where(
          and(inArray(t.users.id, userIds), or(isNull(t.users.lastSeenAt), lt(t.users.lastSeenAt, due))),
        ),
    );
  }

  async leave(tenant: TenantRef, userId: string): Promise<void> {
    // The time they were last seen, exactly.
    await withTenant(this.db, tenant, ({ db, t }) =>
      db.update(t.users).set({ lastSeenAt: sql`now()` }).where(eq(t.users.id, userId)),
    );
  }

  async online(tenant: TenantRef): Promise<string[]> {
    const since = sql`now() - make_interval(secs => ${this.opts.ttlMs / 1000}::double precision)`;
    const rows = await withTenant(this.db, tenant, ({ db, t }) =>
      db
        .select({ id: t.users.id })
        .from(t.users)
        .where(and(gt(t.users.lastSeenAt, since), isNull(t.users.deactivatedAt))),
    );
    return rows.map((r) => r.id);
  }
}
