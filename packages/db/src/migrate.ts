import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { eq, sql } from "drizzle-orm";
import { migrate as drizzleMigrate } from "drizzle-orm/postgres-js/migrator";
import type { Database, Executor } from "./client";
import { tenantMigrations as tenantMigrationsTable } from "./public";
import { installQueue } from "./queue";
import { applySecurity, tenantSchemaGrantsSql } from "./security";
import { TEMPLATE_SCHEMA } from "./slug";

const here = dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = resolve(here, "../../../drizzle");

export type TenantMigration = { name: string; hash: string; sql: string };

let cachedTenantMigrations: TenantMigration[] | undefined;

/** The tenant-schema migrations in journal order, written against the template schema. */
export function tenantMigrations(dir = join(MIGRATIONS_DIR, "tenant")): TenantMigration[] {
  if (cachedTenantMigrations && dir === join(MIGRATIONS_DIR, "tenant")) return cachedTenantMigrations;
  const journal = JSON.parse(readFileSync(join(dir, "meta/_journal.json"), "utf8")) as {
    entries: { tag: string }[];
  };
  const list = journal.entries.map(({ tag }) => {
    const text = readFileSync(join(dir, `${tag}.sql`), "utf8");
    return { name: tag, hash: createHash("sha256").update(text).digest("hex"), sql: text };
  });
  if (dir === join(MIGRATIONS_DIR, "tenant")) cachedTenantMigrations = list;
  return list;
}

/** The statements of a template migration, rewritten for one schema. */
export function forSchema(migrationSql: string, schemaName: string): string[] {
  if (!/^tenant_[a-z][a-z0-9_]*$/.test(schemaName)) throw new Error(`invalid schema name ${schemaName}`);
  return migrationSql
    .replaceAll(`"${TEMPLATE_SCHEMA}"`, `"${schemaName}"`)
    .split("--> statement-breakpoint")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Applies the pending tenant migrations to one schema inside the caller's transaction, under a
 * per-tenant advisory lock, recording each in public.tenant_migrations. Returns how many ran.
 */
export async function migrateTenantSchema(
  tx: Executor,
  db: Pick<Database, "roles">,
  tenant: { id: string; schemaName: string; dbRole: string },
  migrations = tenantMigrations(),
): Promise<number> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`nchat:tenant-migrate:${tenant.id}`}))`);
  const rows = await tx
    .select({ hash: tenantMigrationsTable.migrationHash })
    .from(tenantMigrationsTable)
    .where(eq(tenantMigrationsTable.tenantId, tenant.id));
  const applied = new Set(rows.map((r) => r.hash));
  let count = 0;
  for (const m of migrations) {
    if (applied.has(m.hash)) continue;
    for (const statement of forSchema(m.sql, tenant.schemaName)) await tx.execute(sql.raw(statement));
    await tx
      .insert(tenantMigrationsTable)
      .values({ tenantId: tenant.id, migrationHash: m.hash, name: m.name });
    count++;
  }
  if (count > 0) {
    for (const statement of tenantSchemaGrantsSql(db.roles, tenant.schemaName, tenant.dbRole)) {
      await tx.execute(sql.raw(statement));
    }
  }
  return count;
}

/** Control-plane migrations (drizzle/public) followed by roles, grants and RLS, then the job queue's schema. */
export async function migratePublic(db: Database): Promise<void> {
  // The lock lives on one reserved connection; the work runs on the pool while it is held.
  const lock = await db.admin.reserve();
  try {
    await lock`select pg_advisory_lock(hashtext('nchat:migrate-public'))`;
    await drizzleMigrate(db.adminDb, { migrationsFolder: join(MIGRATIONS_DIR, "public") });
    await applySecurity(db.admin, db.roles, db.config.appPassword);
    await installQueue(db.config.adminUrl, db.admin, db.roles);
  } finally {
    await lock`select pg_advisory_unlock(hashtext('nchat:migrate-public'))`.catch(() => {});
    lock.release();
  }
}
