import { createHmac } from "node:crypto";
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import type { Sql } from "postgres";
import { type RoleNames, rolePassword } from "./roles";
import { tenantTables } from "./tenant/tables";

/**
 * Roles, grants and row-level security of the shared (public) tables. Idempotent; applied after
 * the public migrations on every migrate. The tenant policy binds rows to the tenant of the
 * *current role* and requires `app.tenant_id` to agree: a tenant role cannot widen its view by
 * setting a GUC, and an empty GUC yields no rows instead of an error.
 */

/** Shared tables with a tenant_id column, and what a tenant role may do on them. */
const TENANT_SCOPED: Record<string, string> = {
  tenant_settings: "select, update",
  tenant_usage: "select, insert, update",
  tenant_invitations: "select, insert, update, delete",
  tenant_audit_logs: "select, insert",
  tenant_domains: "select, insert, update, delete",
  tenant_keys: "select",
  tenant_migrations: "select",
  stripe_webhooks: "",
  billing_meter_reports: "",
  // The usage outbox of Stripe billing meters: platform work only.
  billing_meter_events: "",
  // The mail delivery log: requests queue rows, the worker (on the tenant's role too) updates them.
  mail_deliveries: "select, insert, update",
};

/** Columns of `tenants` a tenant role may change (never plan, limits, features, status or Stripe). */
const TENANT_UPDATABLE_COLUMNS = ["name", "branding", "updated_at"];

const PLATFORM_ONLY = ["super_admins", "super_admin_sessions", "job_runs"];

const q = (id: string) => `"${id.replaceAll('"', '""')}"`;

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

export function securitySql(r: RoleNames, appPassword: string): string {
  const tenantPredicate =
    "tenant_id = (select public.current_tenant_id()) and tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid";
  const out: string[] = [];

  out.push(`
do $$ begin
  if not exists (select 1 from pg_roles where rolname = ${lit(r.app)}) then
    create role ${q(r.app)} login noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = ${lit(r.tenantGroup)}) then
    create role ${q(r.tenantGroup)} nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = ${lit(r.platformAdmin)}) then
    create role ${q(r.platformAdmin)} login;
  end if;
end $$;
alter role ${q(r.app)} with login noinherit nosuperuser nocreatedb nocreaterole nobypassrls password ${lit(appPassword)};
alter role ${q(r.platformAdmin)} with login noinherit nosuperuser nocreatedb nocreaterole nobypassrls password ${lit(rolePassword(appPassword, r.platformAdmin))};
revoke ${q(r.platformAdmin)} from ${q(r.app)};
grant usage on schema public to ${q(r.app)}, ${q(r.tenantGroup)}, ${q(r.platformAdmin)};
revoke all on all tables in schema public from public;
grant execute on function public.resolve_tenant_by_slug(text), public.resolve_tenant_by_domain(text) to ${q(r.app)};
grant all on all tables in schema public to ${q(r.platformAdmin)};
grant usage, select on all sequences in schema public to ${q(r.platformAdmin)}, ${q(r.tenantGroup)};
revoke update, delete, truncate on public.tenant_audit_logs from ${q(r.platformAdmin)};
`);

  // tenants: a tenant role sees and renames only its own row.
  out.push(`
alter table public.tenants enable row level security;
alter table public.tenants force row level security;
grant select on public.tenants to ${q(r.tenantGroup)};
grant update (${TENANT_UPDATABLE_COLUMNS.join(", ")}) on public.tenants to ${q(r.tenantGroup)};
drop policy if exists tenants_tenant_self on public.tenants;
create policy tenants_tenant_self on public.tenants to ${q(r.tenantGroup)}
  using (db_role = current_user and id = nullif(current_setting('app.tenant_id', true), '')::uuid);
drop policy if exists tenants_owner on public.tenants;
create policy tenants_owner on public.tenants as restrictive for update to ${q(r.tenantGroup)}
  using (current_setting('app.user_role', true) = 'owner');
drop policy if exists tenants_super_admin_all on public.tenants;
create policy tenants_super_admin_all on public.tenants to ${q(r.platformAdmin)} using (true) with check (true);
`);

  for (const [table, privileges] of Object.entries(TENANT_SCOPED)) {
    out.push(`
alter table public.${table} enable row level security;
alter table public.${table} force row level security;
drop policy if exists ${table}_tenant on public.${table};
drop policy if exists ${table}_super_admin_all on public.${table};
create policy ${table}_super_admin_all on public.${table} to ${q(r.platformAdmin)} using (true) with check (true);`);
    if (privileges) {
      out.push(`grant ${privileges} on public.${table} to ${q(r.tenantGroup)};
create policy ${table}_tenant on public.${table} to ${q(r.tenantGroup)}
  using (${tenantPredicate}) with check (${tenantPredicate});`);
    }
  }

  for (const table of PLATFORM_ONLY) {
    out.push(`
alter table public.${table} enable row level security;
alter table public.${table} force row level security;
drop policy if exists ${table}_super_admin_all on public.${table};
create policy ${table}_super_admin_all on public.${table} to ${q(r.platformAdmin)} using (true) with check (true);`);
  }
  return out.join("\n");
}

/**
 * Roles, grants and RLS of the shared tables, then every tenant role made (again) what
 * `createTenantRoleSql` makes: a login with the derived password that no other role is a member of
 * (installations from before tenant roles logged in themselves had the app role as a member).
 */
export async function applySecurity(admin: Sql, roles: RoleNames, appPassword: string): Promise<void> {
  await admin.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('nchat:security'))`;
    await tx.unsafe(securitySql(roles, appPassword)).simple();
    // Only roles not yet set up under this app password (or still members of the app role, as
    // installations from before tenant logins were): ALTER ROLE … PASSWORD hashes on the server, about
    // 7 ms per role — a minute for 10,000 tenants at every migrate otherwise.
    const tenantRoles = await tx<{ db_role: string }[]>`
      select t.db_role from public.tenants t
      join pg_roles r on r.rolname = t.db_role
      left join pg_shdescription d on d.objoid = r.oid and d.classoid = 'pg_authid'::regclass
      where d.description is distinct from ${loginMarker(appPassword)}
         or not r.rolcanlogin
         or pg_has_role(${roles.app}, r.oid, 'member')
      order by 1`;
    for (let i = 0; i < tenantRoles.length; i += 500) {
      const batch = tenantRoles.slice(i, i + 500);
      const statements = batch.flatMap((t) => [
        ...tenantLoginSql(roles, t.db_role, appPassword),
        `revoke ${q(t.db_role)} from ${q(roles.app)}, ${q(roles.platformAdmin)}`,
      ]);
      await tx.unsafe(statements.join(";\n")).simple();
    }
  });
}

/** The role of a new tenant: the login of its work, member of the tenant group and of nothing else. */
export function createTenantRoleSql(r: RoleNames, tenantRole: string, appPassword: string): string[] {
  return [`create role ${q(tenantRole)} login inherit`, ...tenantLoginSql(r, tenantRole, appPassword)];
}

function tenantLoginSql(r: RoleNames, tenantRole: string, appPassword: string): string[] {
  const t = q(tenantRole);
  return [
    `alter role ${t} with login inherit nosuperuser nocreatedb nocreaterole nobypassrls password ${lit(rolePassword(appPassword, tenantRole))}`,
    `grant ${q(r.tenantGroup)} to ${t}`,
    `comment on role ${t} is ${lit(loginMarker(appPassword))}`,
  ];
}

/**
 * Written as the comment of each tenant role whose password was set under this app password (not
 * the password, nor anything it can be derived from): lets `applySecurity` skip roles already set up.
 */
function loginMarker(appPassword: string): string {
  return `nchat login ${createHmac("sha256", appPassword).update("nchat-login-marker").digest("base64url").slice(0, 16)}`;
}

/** The tables of a tenant schema (the tenant migrations create exactly these). */
const TENANT_TABLE_NAMES = Object.values(tenantTables("tenant_template"))
  .filter((x) => is(x, PgTable))
  .map((x) => getTableName(x as PgTable));

/**
 * Grants that make a tenant schema usable by exactly its own role; re-applied after tenant migrations.
 * Tables are named, not `all tables in schema`: that form scans the whole pg_class, which with
 * thousands of tenant schemas made every provisioning and migration hundreds of ms slower. (Identity
 * columns need no grant on their sequences.)
 */
export function tenantSchemaGrantsSql(r: RoleNames, schemaName: string, tenantRole: string): string[] {
  const s = q(schemaName);
  const t = q(tenantRole);
  const admin = q(r.platformAdmin);
  const tables = TENANT_TABLE_NAMES.map((name) => `${s}.${q(name)}`).join(", ");
  return [
    `revoke all on schema ${s} from public`,
    `grant usage on schema ${s} to ${t}, ${admin}`,
    `grant select, insert, update, delete on table ${tables} to ${t}`,
    `grant select on table ${tables} to ${admin}`,
  ];
}
