import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Database, Executor } from "./client";
import type { TenantMigration } from "./migrate";
import { TEMPLATE_SCHEMA } from "./slug";

/**
 * The layout of a schema as far as adoption compares it: its tables (views too) with their columns
 * and column types, its enum types with their labels, and the names of its indexes and constraints
 * (some migrations change only those; drizzle-kit names them after what they cover).
 */
export type Layout = {
  /** table → column → type (a type of the schema itself by its bare name, so layouts of two schemas compare). */
  tables: Map<string, Map<string, string>>;
  /** enum → its labels in order, e.g. `user_role(owner,admin,member,guest)`. */
  enums: Set<string>;
  indexes: Set<string>;
  constraints: Set<string>;
};

/** The statements of a tenant migration for a schema of any name (the runner's forSchema wants `tenant_*`). */
export function migrationStatements(migrationSql: string, schema: string): string[] {
  return migrationSql
    .replaceAll(`"${TEMPLATE_SCHEMA}"`, `"${schema.replaceAll('"', '""')}"`)
    .split("--> statement-breakpoint")
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function readLayout(d: Executor, schema: string): Promise<Layout> {
  const columns = await d.execute<{ table: string; column: string | null; type: string | null }>(sql`
    select c.relname as "table", a.attname as "column",
           case when t.typnamespace = c.relnamespace then t.typname
                else format_type(a.atttypid, a.atttypmod) end as "type"
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    left join pg_type t on t.oid = a.atttypid
    where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm', 'f')
    order by c.relname, a.attnum`);
  const enums = await d.execute<{ name: string }>(sql`
    select t.typname || '(' || string_agg(e.enumlabel, ',' order by e.enumsortorder) || ')' as name
    from pg_type t join pg_namespace n on n.oid = t.typnamespace join pg_enum e on e.enumtypid = t.oid
    where n.nspname = ${schema} group by t.typname order by 1`);
  const indexes = await d.execute<{ name: string }>(sql`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relkind in ('i', 'I') order by 1`);
  const constraints = await d.execute<{ name: string }>(sql`
    select conname as name from pg_constraint k join pg_namespace n on n.oid = k.connamespace
    where n.nspname = ${schema} and k.contype <> 'n' order by 1`);
  const tables = new Map<string, Map<string, string>>();
  for (const r of columns) {
    const map = tables.get(r.table) ?? new Map<string, string>();
    if (r.column) map.set(r.column, r.type ?? "");
    tables.set(r.table, map);
  }
  return {
    tables,
    enums: new Set(enums.map((r) => r.name)),
    indexes: new Set(indexes.map((r) => r.name)),
    constraints: new Set(constraints.map((r) => r.name)),
  };
}

/**
 * The layout after each tenant migration (index i: after migrations 0..i), built in a scratch schema
 * inside a transaction that is always rolled back.
 */
export async function probeLayouts(db: Database, migrations: TenantMigration[]): Promise<Layout[]> {
  const probe = `nchat_layout_probe_${randomBytes(6).toString("hex")}`;
  const layouts: Layout[] = [];
  const rollback = new Error("rollback");
  try {
    await db.adminDb.transaction(async (d) => {
      await d.execute(sql.raw(`create schema "${probe}"`));
      for (const m of migrations) {
        for (const statement of migrationStatements(m.sql, probe)) await d.execute(sql.raw(statement));
        layouts.push(await readLayout(d, probe));
      }
      throw rollback;
    });
  } catch (err) {
    if (err !== rollback) throw err;
  }
  return layouts;
}

/** What differs between a schema's layout and an expected one, one line each; empty when equal. */
export function layoutDifferences(actual: Layout, expected: Layout): string[] {
  const out: string[] = [];
  for (const [table, columns] of expected.tables) {
    const have = actual.tables.get(table);
    if (!have) {
      out.push(`missing table "${table}"`);
      continue;
    }
    for (const [c, type] of columns) {
      const got = have.get(c);
      if (got === undefined) out.push(`missing column "${table}"."${c}"`);
      else if (got !== type) out.push(`column "${table}"."${c}" is ${got}, expected ${type}`);
    }
    for (const c of have.keys()) if (!columns.has(c)) out.push(`unexpected column "${table}"."${c}"`);
  }
  for (const table of actual.tables.keys())
    if (!expected.tables.has(table)) out.push(`unexpected table "${table}"`);
  for (const e of expected.enums) if (!actual.enums.has(e)) out.push(`missing or different enum ${e}`);
  for (const e of actual.enums) if (!expected.enums.has(e)) out.push(`unexpected enum ${e}`);
  // Indexes and constraints of a missing table are already said.
  const missingTable = (name: string) =>
    [...expected.tables.keys()].some((t) => !actual.tables.has(t) && name.startsWith(`${t}_`));
  for (const i of expected.indexes)
    if (!actual.indexes.has(i) && !missingTable(i)) out.push(`missing index "${i}"`);
  for (const i of actual.indexes) if (!expected.indexes.has(i)) out.push(`unexpected index "${i}"`);
  for (const k of expected.constraints)
    if (!actual.constraints.has(k) && !missingTable(k)) out.push(`missing constraint "${k}"`);
  for (const k of actual.constraints)
    if (!expected.constraints.has(k)) out.push(`unexpected constraint "${k}"`);
  return out;
}
