import { type Database, type TenantRef, withPlatformAdmin, withTenant } from "@nchat/db";
import { inArray, sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";

/** Flows: added up per month. (Levels — users, storage, files — are recounted at flush.) */
export type UsageCounters = {
  messagesSent: number;
  apiCallsTotal: number;
  callsTotalMinutes: number;
  callsTotalCount: number;
};

type Entry = { tenantId: string; period: string; counters: UsageCounters; endpoints: Map<string, number> };

/** The UTC month of a moment, "YYYY-MM". */
export const usagePeriod = (at = new Date()) => at.toISOString().slice(0, 7);

const zero = (): UsageCounters => ({
  messagesSent: 0,
  apiCallsTotal: 0,
  callsTotalMinutes: 0,
  callsTotalCount: 0,
});

/**
 * Usage per tenant per UTC month into public.tenant_usage, without a database write per request:
 * counts collect in memory and are flushed in one batch every few seconds and on shutdown.
 * Flows add up (safe with many processes); levels (total and monthly-active users, storage bytes,
 * files) are recounted from the tenant's own tables for the tenants touched since the last flush.
 * What a crash can lose: the counts of the last flush interval of that process (default 5 s).
 */
export class UsageRecorder {
  private buffer = new Map<string, Entry>();
  private touched = new Map<string, { tenant: TenantRef; periods: Set<string> }>();
  private readonly seen = new LRUCache<string, true>({ max: 200_000 });
  private timer?: NodeJS.Timeout;
  /** The last flush in line (never rejects: each caller gets its own flush's outcome). */
  private flushing: Promise<void> = Promise.resolve();
  /** Flushes queued or running. */
  private inFlight = 0;
  private readonly counters = { flushes: 0, flushFailures: 0 };

  constructor(
    private readonly deps: {
      db: Database;
      flushIntervalMs?: number;
      log?: (msg: string, err?: unknown) => void;
    },
  ) {}

  start(): this {
    // A failed flush keeps its counts and the next tick tries again; a tick while a flush is still
    // running (a slow or unreachable database) is skipped instead of queueing behind it.
    this.timer ??= setInterval(() => {
      if (this.inFlight > 0) return;
      this.flush().catch((e) => this.deps.log?.("usage flush failed", e));
    }, this.deps.flushIntervalMs ?? 5_000);
    this.timer.unref();
    return this;
  }

  /** Adds to a tenant's flows for the current month. `endpoint` counts one call of that endpoint. */
  record(tenant: TenantRef, counters: Partial<UsageCounters>, endpoint?: string, at = new Date()): void {
    const period = usagePeriod(at);
    const key = `${tenant.id}|${period}`;
    let e = this.buffer.get(key);
    if (!e) {
      e = { tenantId: tenant.id, period, counters: zero(), endpoints: new Map() };
      this.buffer.set(key, e);
    }
    for (const [k, v] of Object.entries(counters) as [keyof UsageCounters, number][]) e.counters[k] += v;
    if (endpoint) e.endpoints.set(endpoint, (e.endpoints.get(endpoint) ?? 0) + 1);
    // Levels are counted once per tenant and month here (the month's row then has them); after
    // that only the changes that move them (members, files, a new active user) ask for a recount.
    const levels = `${key}|levels`;
    if (!this.seen.has(levels)) {
      this.seen.set(levels, true);
      this.touch(tenant, period);
    }
  }

  /** Marks a tenant's levels (users, storage, files) for recounting at the next flush. */
  touch(tenant: TenantRef, period = usagePeriod()): void {
    let t = this.touched.get(tenant.id);
    if (!t) {
      t = { tenant, periods: new Set() };
      this.touched.set(tenant.id, t);
    }
    t.periods.add(period);
  }

  /** Records a user as active this month: one insert per user per month per process. */
  async activeUser(tenant: TenantRef, userId: string, at = new Date()): Promise<void> {
    const period = usagePeriod(at);
    const key = `${tenant.id}|${period}|${userId}`;
    if (this.seen.has(key)) return;
    this.seen.set(key, true);
    this.touch(tenant, period);
    await withTenant(this.deps.db, tenant, ({ db, t }) =>
      db.insert(t.monthlyActiveUsers).values({ period, userId }).onConflictDoNothing(),
    ).catch((err) => {
      this.seen.delete(key);
      this.deps.log?.("usage: recording an active user failed", err);
    });
  }

  private merge(e: Entry) {
    const key = `${e.tenantId}|${e.period}`;
    const into = this.buffer.get(key);
    if (!into) {
      this.buffer.set(key, e);
      return;
    }
    for (const [k, v] of Object.entries(e.counters) as [keyof UsageCounters, number][]) into.counters[k] += v;
    for (const [k, v] of e.endpoints) into.endpoints.set(k, (into.endpoints.get(k) ?? 0) + v);
  }

  /** Counts recorded here and not yet flushed (for limit checks between flushes). */
  pending(tenantId: string, period = usagePeriod()): UsageCounters {
    return { ...(this.buffer.get(`${tenantId}|${period}`)?.counters ?? zero()) };
  }

  /**
   * For metrics: flushes done and failed (counters), and what waits for the next flush now
   * (tenant-months with counts, tenants whose levels are to be recounted).
   */
  stats(): { flushes: number; flushFailures: number; pendingTenantMonths: number; pendingRecounts: number } {
    return { ...this.counters, pendingTenantMonths: this.buffer.size, pendingRecounts: this.touched.size };
  }

  /**
   * Writes everything buffered so far. Concurrent calls run one after another; each reports its own
   * outcome. A failed flush puts its counts back, so the next one writes them.
   */
  flush(): Promise<void> {
    this.inFlight++;
    const run = this.flushing
      .then(() => this.flushNow())
      .then(
        () => {
          this.counters.flushes++;
        },
        (err) => {
          this.counters.flushFailures++;
          throw err;
        },
      )
      .finally(() => this.inFlight--);
    // The chain itself never rejects: one failure must not fail every later flush.
    this.flushing = run.catch(() => {});
    return run;
  }

  /** Stops the timer and writes what is left (the last chance: a failure is retried briefly). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.flush();
      } catch (err) {
        if (attempt >= 3) throw err;
        this.deps.log?.("usage: final flush failed, trying again", err);
        await new Promise((resolve) => setTimeout(resolve, attempt * 500));
      }
    }
  }

  private async flushNow(): Promise<void> {
    const entries = [...this.buffer.values()];
    const touched = [...this.touched.values()];
    this.buffer = new Map();
    this.touched = new Map();
    if (entries.length === 0 && touched.length === 0) return;
    // Levels are counted by each tenant's own role on its own connections (its shard): the
    // platform-admin connection then never reads tenant schemas, so its catalog cache stays small.
    // A tenant whose count fails (e.g. purged meanwhile) is skipped: the next change recounts it.
    const levels: Levels[] = [];
    for (const touch of touched) {
      try {
        levels.push(...(await countLevels(this.deps.db, touch.tenant, [...touch.periods])));
      } catch (err) {
        this.deps.log?.(`usage: counting the levels of ${touch.tenant.schemaName} failed`, err);
      }
    }
    try {
      await withPlatformAdmin(this.deps.db, async (tx) => {
        // Flushes of all server processes take turns: each upserts many rows in its own order, so
        // two at once could deadlock (and a flush that fails at shutdown would lose its counts).
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('nchat:usage-flush'))`);
        for (const e of entries) {
          const c = e.counters;
          await tx.execute(sql`
            insert into public.tenant_usage as u
              (tenant_id, period, messages_sent, api_calls_total, calls_total_minutes, calls_total_count, api_calls_by_endpoint)
            values (${e.tenantId}, ${e.period}, ${c.messagesSent}, ${c.apiCallsTotal}, ${c.callsTotalMinutes}, ${c.callsTotalCount},
                    ${JSON.stringify(Object.fromEntries(e.endpoints))}::jsonb)
            on conflict (tenant_id, period) do update set
              messages_sent = u.messages_sent + excluded.messages_sent,
              api_calls_total = u.api_calls_total + excluded.api_calls_total,
              calls_total_minutes = u.calls_total_minutes + excluded.calls_total_minutes,
              calls_total_count = u.calls_total_count + excluded.calls_total_count,
              api_calls_by_endpoint = (
                select coalesce(jsonb_object_agg(k, n), '{}'::jsonb) from (
                  select k, sum(v)::bigint as n from (
                    select key as k, value::bigint as v from jsonb_each_text(u.api_calls_by_endpoint)
                    union all
                    select key, value::bigint from jsonb_each_text(excluded.api_calls_by_endpoint)
                  ) parts group by k
                ) sums),
              updated_at = now()`);
        }
        for (const l of levels) {
          await tx.execute(sql`
            insert into public.tenant_usage as u (tenant_id, period, users_total, users_active, storage_bytes, files_count)
            values (${l.tenantId}, ${l.period}, ${l.usersTotal}, ${l.usersActive}, ${l.storageBytes}, ${l.files})
            on conflict (tenant_id, period) do update set
              users_total = excluded.users_total, users_active = excluded.users_active,
              storage_bytes = excluded.storage_bytes, files_count = excluded.files_count, updated_at = now()`);
        }
      });
    } catch (err) {
      // Put everything back so the next flush retries it.
      for (const e of entries) this.merge(e);
      // Levels too, including those whose count failed (most likely the same outage).
      for (const t of touched) for (const period of t.periods) this.touch(t.tenant, period);
      throw err;
    }
  }
}

type Levels = {
  tenant: TenantRef;
  tenantId: string;
  period: string;
  usersTotal: number;
  usersActive: number;
  storageBytes: number;
  files: number;
};

/** A tenant's levels (users, monthly-active users per period, storage, files) from its own tables. */
async function countLevels(db: Database, tenant: TenantRef, periods: string[]): Promise<Levels[]> {
  return withTenant(db, tenant, async ({ db: tx, t }) => {
    const [[totals], active] = await Promise.all([
      tx.execute<{ users: string; bytes: string; files: string }>(sql`
        select (select count(*) from ${t.users} where deactivated_at is null and not is_service) as users,
               (select coalesce(sum(size_bytes), 0) from ${t.attachments}) as bytes,
               (select count(*) from ${t.attachments}) as files`),
      Promise.resolve(
        tx
          .select({ period: t.monthlyActiveUsers.period, n: sql<number>`count(*)::int` })
          .from(t.monthlyActiveUsers)
          .where(inArray(t.monthlyActiveUsers.period, periods))
          .groupBy(t.monthlyActiveUsers.period),
      ),
    ]);
    const byPeriod = new Map(active.map((a) => [a.period, a.n]));
    return periods.map((period) => ({
      tenant,
      tenantId: tenant.id,
      period,
      usersTotal: Number(totals!.users),
      usersActive: byPeriod.get(period) ?? 0,
      storageBytes: Number(totals!.bytes),
      files: Number(totals!.files),
    }));
  });
}
