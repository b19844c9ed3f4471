import { inArray } from "drizzle-orm";
import type { Database } from "./client";
import { migrateTenantSchema, type TenantMigration, tenantMigrations } from "./migrate";
import { tenants } from "./public";

export type MigrateAllProgress = { done: number; total: number; failed: number; applied: number };
export type MigrateAllResult = MigrateAllProgress & {
  failures: { tenantId: string; slug: string; error: string }[];
  ms: number;
};

/**
 * Brings every tenant schema up to date: each tenant in its own transaction (so a failure rolls
 * back only that tenant), `concurrency` tenants at a time. Resumable by construction: applied
 * migrations are recorded per tenant, a rerun applies only what is missing.
 */
export async function migrateAllTenants(
  db: Database,
  opts: {
    concurrency?: number;
    migrations?: TenantMigration[];
    onProgress?: (p: MigrateAllProgress) => void;
    /** Restrict the run to these tenants (default: all). */
    tenantIds?: string[];
  } = {},
): Promise<MigrateAllResult> {
  const started = performance.now();
  const migrations = opts.migrations ?? tenantMigrations();
  const list = await db.adminDb
    .select({ id: tenants.id, slug: tenants.slug, schemaName: tenants.schemaName, dbRole: tenants.dbRole })
    .from(tenants)
    .where(opts.tenantIds ? inArray(tenants.id, opts.tenantIds) : undefined)
    .orderBy(tenants.createdAt);
  const progress: MigrateAllProgress = { done: 0, total: list.length, failed: 0, applied: 0 };
  const failures: MigrateAllResult["failures"] = [];
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const tenant = list[next++]!;
      try {
        // Read the count first: `x += await …` would add to a stale x under concurrency.
        const applied = await db.adminDb.transaction((tx) => migrateTenantSchema(tx, db, tenant, migrations));
        progress.applied += applied;
      } catch (err) {
        progress.failed++;
        const e = err as Error & { cause?: Error };
        failures.push({ tenantId: tenant.id, slug: tenant.slug, error: e.cause?.message ?? e.message });
      }
      progress.done++;
      opts.onProgress?.({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  return { ...progress, failures, ms: performance.now() - started };
}
