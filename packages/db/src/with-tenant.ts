import { sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import type { Database, PublicTx } from "./client";
import { type TenantTables, tenantTables } from "./tenant/tables";

/** What a unit of tenant work needs to know about its tenant. */
export type TenantRef = { id: string; schemaName: string; dbRole: string };

/** Per-request identity placed in transaction-local settings, for RLS and for audit triggers. */
export type TenantActor = { userId?: string; userRole?: string };

export type TenantTx = {
  /** Drizzle transaction (public schema for relational queries; raw SQL with `db.execute`). */
  db: PublicTx;
  /** The tenant's own tables (schema-qualified). */
  t: TenantTables;
  tenant: TenantRef;
};

const tablesCache = new LRUCache<string, TenantTables>({ max: 5000 });

/** The tenant tables of a schema, built once per schema (LRU-bounded). */
export function tablesFor(schemaName: string): TenantTables {
  let t = tablesCache.get(schemaName);
  if (!t) {
    t = tenantTables(schemaName);
    tablesCache.set(schemaName, t);
  }
  return t;
}

/**
 * Runs `fn` in a transaction on the tenant's app pool (`appDbFor`) that has switched to the
 * tenant's role, with `app.tenant_id` (and the actor) set — all in one round trip. Whatever SQL `fn`
 * runs, PostgreSQL lets it reach only that tenant's schema and that tenant's rows of the shared tables.
 */
export async function withTenant<T>(
  database: Pick<Database, "appDbFor">,
  tenant: TenantRef,
  fn: (tx: TenantTx) => Promise<T>,
  actor: TenantActor = {},
): Promise<T> {
  return retryOnDeadConnection((started) =>
    database.appDbFor(tenant.id).transaction(async (db) => {
      // The switch is pipelined with the first statements of `fn` (same connection, one write) and
      // runs before them: its query starts here, synchronously, before `fn` is even called, and every
      // drizzle statement needs at least as many steps to reach the driver. If it fails, the
      // transaction is aborted, so nothing of `fn` runs as the login role; its error is reported.
      const switched = db
        .execute(sql`select set_config('role', ${tenant.dbRole}, true), set_config('app.tenant_id', ${tenant.id}, true),
        set_config('app.user_id', ${actor.userId ?? ""}, true), set_config('app.user_role', ${actor.userRole ?? ""}, true)`)
        .then(() => started());
      const work = fn({ db, t: tablesFor(tenant.schemaName), tenant });
      const [sw, w] = await Promise.allSettled([switched, work]);
      if (sw.status === "rejected") throw sw.reason;
      if (w.status === "rejected") throw w.reason;
      return w.value;
    }),
  );
}

const CONNECTION_LOST = new Set([
  "57P01",
  "57P02",
  "57P03",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "ECONNRESET",
  "EPIPE",
]);

function connectionLost(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code && CONNECTION_LOST.has(e.code)) return true;
  }
  return false;
}

/**
 * A pooled connection the server already closed (restart, failover, pg_terminate_backend) fails on
 * its first statement. Nothing of the unit of work has run then, so it is retried once on another
 * connection. A failure after the work started is never retried (it may have committed).
 */
async function retryOnDeadConnection<T>(run: (started: () => void) => Promise<T>): Promise<T> {
  let began = false;
  try {
    return await run(() => {
      began = true;
    });
  } catch (err) {
    if (began || !connectionLost(err)) throw err;
    return run(() => {});
  }
}

/** Super-admin work on the shared tables (every row), under the platform-admin role, on `appDb`. */
export async function withPlatformAdmin<T>(
  database: Pick<Database, "appDb" | "roles">,
  fn: (db: PublicTx) => Promise<T>,
): Promise<T> {
  return retryOnDeadConnection((started) =>
    database.appDb.transaction(async (db) => {
      await db.execute(sql`select set_config('role', ${database.roles.platformAdmin}, true)`);
      started();
      return fn(db);
    }),
  );
}
