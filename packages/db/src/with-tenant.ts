import { sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import { DatabaseUnavailableError } from "./availability";
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
 * Runs `fn` in a transaction on the tenant's own pool — connections logged in as the tenant's role,
 * which can become no other role — with `app.tenant_id` (and the actor) set in the same round trip.
 * Whatever SQL `fn` runs, PostgreSQL lets it reach only that tenant's schema and that tenant's rows
 * of the shared tables.
 */
export async function withTenant<T>(
  database: Pick<Database, "tenantPools" | "availability">,
  tenant: TenantRef,
  fn: (tx: TenantTx) => Promise<T>,
  actor: TenantActor = {},
): Promise<T> {
  return database.availability.run((ticket) =>
    database.tenantPools.run(tenant.dbRole, (pool) =>
      retryBeforeWorkBegan((started) => {
        let workDone = false;
        return pool
          .transaction(async (db) => {
            if (!ticket.claim()) throw new DatabaseUnavailableError("down", 1); // the caller gave up on it
            // Pipelined with the first statements of `fn` (same connection, one write) and sent before
            // them: its query starts here, synchronously, before `fn` is even called.
            const context = db
              .execute(sql`select set_config('app.tenant_id', ${tenant.id}, true),
        set_config('app.user_id', ${actor.userId ?? ""}, true), set_config('app.user_role', ${actor.userRole ?? ""}, true)`)
              .then(() => started());
            const work = fn({ db, t: tablesFor(tenant.schemaName), tenant });
            const [c, w] = await Promise.allSettled([context, work]);
            if (c.status === "rejected") throw c.reason;
            if (w.status === "rejected") throw w.reason;
            workDone = true; // from here on COMMIT is sent: a lost connection leaves the outcome unknown
            return w.value;
          })
          .catch((err: unknown) => {
            // The connection broke before COMMIT was sent: PostgreSQL rolled it back, nothing was
            // saved — a retryable 503, not an unknown outcome. Before the work began it is also tried
            // once more on another connection (the cause keeps the connection's error for that).
            if (!workDone && connectionLost(err))
              throw new DatabaseUnavailableError("lost", 1, { cause: err });
            throw err;
          });
      }),
    ),
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
async function retryBeforeWorkBegan<T>(run: (started: () => void) => Promise<T>): Promise<T> {
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

/** Super-admin work on the shared tables (every row), on the platform-admin role's own pool. */
export async function withPlatformAdmin<T>(
  database: Pick<Database, "platformDb" | "availability">,
  fn: (db: PublicTx) => Promise<T>,
): Promise<T> {
  return database.availability.run((ticket) =>
    retryBeforeWorkBegan((started) =>
      database.platformDb.transaction(async (db) => {
        if (!ticket.claim()) throw new DatabaseUnavailableError("down", 1); // the caller gave up on it
        // A first statement, so that a connection the server closed fails here, before any work.
        await db.execute(sql`select 1`);
        started();
        return fn(db);
      }),
    ),
  );
}
