import { afterAll, describe, expect, it } from "vitest";
import { tenantMigrations } from "./migrate";
import { provisionTenant, purgeTenant, SlugTakenError } from "./provision";
import { provisionInput as input, testDatabase, testMasterKey, uniqueSlug } from "./testing";

const db = testDatabase();
afterAll(() => db.close());

async function leftovers(slug: string) {
  const schema = `tenant_${slug.replaceAll("-", "_")}`;
  const [r] = await db.admin<{ tenants: number; schemas: number; roles: number }[]>`
    select (select count(*)::int from public.tenants where slug = ${slug}) as tenants,
           (select count(*)::int from pg_namespace where nspname = ${schema}) as schemas,
           (select count(*)::int from pg_roles where rolname = ${`${db.roles.prefix}_${schema}`}) as roles`;
  return r!;
}

describe("provisionTenant", () => {
  it("creates row, schema, tables, role, owner, default channel, settings, key and audit entry", async () => {
    const slug = uniqueSlug("prov");
    const { tenant, ownerId } = await provisionTenant(db, input(slug), { masterKey: testMasterKey });
    expect(tenant.slug).toBe(slug);
    expect(tenant.schemaName).toBe(`tenant_${slug.replaceAll("-", "_")}`);
    expect(tenant.ownerId).toBe(ownerId);
    expect(await leftovers(slug)).toEqual({ tenants: 1, schemas: 1, roles: 1 });
    const tables = await db.admin<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = ${tenant.schemaName} order by 1`;
    expect(tables.map((t) => t.table_name)).toEqual([
      "account_tokens",
      "api_keys",
      "attachments",
      "channel_members",
      "channels",
      "events",
      "login_tokens",
      "mentions",
      "messages",
      "monthly_active_users",
      "pins",
      "reactions",
      "read_state",
      "sessions",
      "two_factor_challenges",
      "two_factor_recovery_codes",
      "users",
      "webhook_deliveries",
      "webhook_endpoints",
    ]);
    const [counts] = await db.admin<Record<string, number>[]>`
      select (select count(*)::int from public.tenant_settings where tenant_id = ${tenant.id}) as settings,
             (select count(*)::int from public.tenant_keys where tenant_id = ${tenant.id}) as keys,
             (select count(*)::int from public.tenant_migrations where tenant_id = ${tenant.id}) as migrations,
             (select count(*)::int from public.tenant_audit_logs where tenant_id = ${tenant.id} and action = 'tenant.create') as audit,
             (select count(*)::int from ${db.admin(tenant.schemaName)}.channels where is_default) as channels`;
    expect(counts).toEqual({
      settings: 1,
      keys: 1,
      migrations: tenantMigrations().length,
      audit: 1,
      channels: 1,
    });
  });

  it.each(["tenant-row", "schema", "role", "tables", "owner", "settings", "key", "audit"] as const)(
    "leaves nothing behind when the %s step fails",
    async (failing) => {
      const slug = uniqueSlug("fail");
      await expect(
        provisionTenant(db, input(slug), {
          masterKey: testMasterKey,
          afterStep: (s) => {
            if (s === failing) throw new Error(`injected failure at ${s}`);
          },
        }),
      ).rejects.toThrow(`injected failure at ${failing}`);
      expect(await leftovers(slug)).toEqual({ tenants: 0, schemas: 0, roles: 0 });
    },
  );

  it("grants its role every table of its schema (and the platform admin read access), nothing else", async () => {
    const { tenant } = await provisionTenant(db, input(uniqueSlug("grants")), { masterKey: testMasterKey });
    const rows = await db.admin<
      { table: string; tenant_rw: boolean; admin_read: boolean; admin_write: boolean }[]
    >`
      select tablename as table,
             has_table_privilege(${tenant.dbRole}, format('%I.%I', schemaname, tablename), 'SELECT,INSERT,UPDATE,DELETE') as tenant_rw,
             has_table_privilege(${db.roles.platformAdmin}, format('%I.%I', schemaname, tablename), 'SELECT') as admin_read,
             has_table_privilege(${db.roles.platformAdmin}, format('%I.%I', schemaname, tablename), 'INSERT') as admin_write
      from pg_tables where schemaname = ${tenant.schemaName}`;
    expect(rows.length).toBeGreaterThanOrEqual(12);
    for (const r of rows)
      expect(r).toEqual({ table: r.table, tenant_rw: true, admin_read: true, admin_write: false });
  });

  it("two concurrent creates with one slug make exactly one tenant and one clean conflict", async () => {
    const slug = uniqueSlug("race");
    const results = await Promise.allSettled([
      provisionTenant(db, input(slug), { masterKey: testMasterKey }),
      provisionTenant(db, input(slug), { masterKey: testMasterKey }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(SlugTakenError);
    expect(await leftovers(slug)).toEqual({ tenants: 1, schemas: 1, roles: 1 });
  });

  it("refuses an invalid slug before touching the database", async () => {
    await expect(provisionTenant(db, input("Bad_Slug"), { masterKey: testMasterKey })).rejects.toThrow(
      /invalid slug/,
    );
  });
});

describe("purgeTenant", () => {
  it("drops schema, role and every control-plane row", async () => {
    const slug = uniqueSlug("purge");
    const { tenant } = await provisionTenant(db, input(slug), { masterKey: testMasterKey });
    expect(await purgeTenant(db, tenant.id)).toBe(true);
    expect(await leftovers(slug)).toEqual({ tenants: 0, schemas: 0, roles: 0 });
    const [rows] = await db.admin<{ n: number }[]>`
      select ((select count(*) from public.tenant_settings where tenant_id = ${tenant.id}) +
              (select count(*) from public.tenant_keys where tenant_id = ${tenant.id}) +
              (select count(*) from public.tenant_audit_logs where tenant_id = ${tenant.id}))::int as n`;
    expect(rows!.n).toBe(0);
    expect(await purgeTenant(db, tenant.id)).toBe(false);
  });
});
