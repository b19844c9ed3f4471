import { eq, sql } from "drizzle-orm";
import type { Database, Executor } from "./client";
import { type MasterKey, newDataKey } from "./crypto";
import { type Layout, layoutDifferences, probeLayouts, readLayout } from "./layout";
import { migrateTenantSchema, type TenantMigration, tenantMigrations } from "./migrate";
import { isUniqueViolation, type ProvisionInput } from "./provision";
import {
  type Tenant,
  tenantAuditLogs,
  tenantKeys,
  tenantMigrations as tenantMigrationsTable,
  tenantSettings,
  tenants,
} from "./public";
import { tenantRoleName } from "./roles";
import { createTenantRoleSql, tenantSchemaGrantsSql } from "./security";
import { schemaNameForSlug, slugProblem, TEMPLATE_SCHEMA } from "./slug";

export type AdoptInput = Pick<ProvisionInput, "plan" | "status" | "limits" | "features" | "audit"> & {
  /** The existing schema, built by this product's tenant migrations under any name. */
  schema: string;
  slug: string;
  /** An active user of that schema, by email: becomes the workspace's owner. */
  ownerEmail: string;
  /** The workspace's name (default: the slug). */
  name?: string;
};

export type AdoptRefusal = "invalid" | "no-schema" | "already-tenant" | "name-taken" | "layout" | "owner";

/** Adoption refused before anything was changed (the transaction is rolled back). */
export class AdoptionRefusedError extends Error {
  constructor(
    readonly reason: AdoptRefusal,
    message: string,
    /** For "layout": each difference from the tenant layout, e.g. `missing table "messages"`. */
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}\n  - ${problems.join("\n  - ")}` : message);
  }
}

export type AdoptResult = {
  tenant: Tenant;
  ownerId: string;
  /** The schema's former name when it was renamed to `tenant_<slug>`. */
  renamedFrom: string | null;
  /** The last tenant migration the schema's layout matched (null: none had run, which is refused). */
  recognized: string;
  /** The tenant migrations applied by the adoption (those after `recognized`). */
  applied: string[];
  /** Other users whose role was "owner", now admins (a workspace has one owner). */
  demoted: string[];
  /** Roles that had privileges on the schema or its tables and lost them. */
  revoked: string[];
  /** A rehearsal (`dryRun`): all of the above was done and rolled back. */
  dryRun: boolean;
};

/** Carries a rehearsal's result out of the transaction it rolls back. */
class Rehearsal extends Error {
  constructor(readonly result: AdoptResult) {
    super("dry run");
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const SYSTEM_SCHEMAS = new Set(["public", "information_schema", "pgboss", TEMPLATE_SCHEMA]);
const q = (id: string) => `"${id.replaceAll('"', '""')}"`;

/**
 * Registers a schema built the single-tenant way (this product's tenant tables under some name, no
 * control-plane rows) as the tenant `slug`, in ONE transaction: verify the layout (tables, columns,
 * indexes and constraints equal to the tenant migrations' after one of them, else refuse listing each
 * difference), the control-plane row, rename to `tenant_<slug>`, take ownership (the privileged login
 * owns it, like a provisioned schema; other roles' privileges are revoked), the tenant role and grants
 * (provisioning's own functions), the migrations recognized recorded and the later ones applied, the
 * owner, settings, wrapped data key, this month's usage levels and an audit entry. A refusal or any
 * failure leaves nothing behind. A schema or slug that already is a tenant is refused.
 */
export async function adoptSchema(
  db: Database,
  input: AdoptInput,
  opts: {
    masterKey: MasterKey;
    migrations?: TenantMigration[];
    /** Do everything, report it, then roll it all back (a rehearsal: nothing stays changed). */
    dryRun?: boolean;
  },
): Promise<AdoptResult> {
  const from = input.schema;
  if (!SCHEMA_NAME.test(from) || SYSTEM_SCHEMAS.has(from) || from.startsWith("pg_"))
    throw new AdoptionRefusedError("invalid", `"${from}" is not a schema that can be adopted.`);
  const problem = slugProblem(input.slug);
  if (problem)
    throw new AdoptionRefusedError("invalid", `invalid slug ${JSON.stringify(input.slug)} (${problem})`);
  const schemaName = schemaNameForSlug(input.slug);
  const dbRole = tenantRoleName(db.roles.prefix, schemaName);
  const migrations = opts.migrations ?? tenantMigrations();
  const expected = await probeLayouts(db, migrations);

  try {
    return await db.adminDb.transaction(async (d) => {
      await d.execute(sql`select pg_advisory_xact_lock(hashtext('nchat:tenant-adopt'))`);
      await refuseTaken(d, input.slug, from, schemaName);
      if (!(await schemaExists(d, from)))
        throw new AdoptionRefusedError("no-schema", `There is no schema "${from}".`);
      if (from !== schemaName && (await schemaExists(d, schemaName)))
        throw new AdoptionRefusedError(
          "name-taken",
          `Schema "${schemaName}" (the name of slug "${input.slug}") exists already: choose another slug.`,
        );
      const recognizedIndex = recognize(from, await readLayout(d, from), expected, migrations);
      const owner = await findOwner(d, from, input.ownerEmail);

      const [created] = await d
        .insert(tenants)
        .values({
          name: input.name ?? input.slug,
          slug: input.slug,
          status: input.status,
          ownerEmail: owner.email,
          ownerName: owner.name,
          schemaName,
          dbRole,
          billingPlan: input.plan,
          limits: input.limits,
          features: input.features,
        })
        .returning({ id: tenants.id });
      const tenantId = created!.id;

      if (from !== schemaName) await d.execute(sql.raw(`alter schema ${q(from)} rename to ${q(schemaName)}`));
      const revoked = await takeOwnership(d, schemaName);

      for (const statement of createTenantRoleSql(db.roles, dbRole, db.config.appPassword))
        await d.execute(sql.raw(statement));
      const had = migrations.slice(0, recognizedIndex + 1);
      await d
        .insert(tenantMigrationsTable)
        .values(had.map((m) => ({ tenantId, migrationHash: m.hash, name: m.name })));
      const ref = { id: tenantId, schemaName, dbRole };
      const count = await migrateTenantSchema(d, db, ref, migrations);
      // migrateTenantSchema grants only after it applied something; an up-to-date schema needs them too.
      if (count === 0)
        for (const statement of tenantSchemaGrantsSql(db.roles, schemaName, dbRole))
          await d.execute(sql.raw(statement));

      const users = sql`${sql.identifier(schemaName)}.users`;
      await d.execute(sql`update ${users} set role = 'owner' where id = ${owner.id}`);
      const demoted = await d.execute<{ email: string }>(
        sql`update ${users} set role = 'admin' where role = 'owner' and id <> ${owner.id} returning email`,
      );
      const [defaults] = await d.execute<{ names: string[] | null }>(
        sql`select array_agg(name order by created_at) as names
            from ${sql.identifier(schemaName)}.channels where is_default`,
      );
      await d.insert(tenantSettings).values({ tenantId, defaultChannels: defaults?.names ?? [] });
      const { wrapped } = newDataKey(opts.masterKey, tenantId);
      await d.insert(tenantKeys).values({ tenantId, wrappedKey: wrapped, masterKeyId: opts.masterKey.id });
      await recordUsage(d, tenantId, schemaName);

      const [tenant] = await d
        .update(tenants)
        .set({ ownerId: owner.id })
        .where(eq(tenants.id, tenantId))
        .returning();
      const applied = migrations.slice(recognizedIndex + 1).map((m) => m.name);
      await d.insert(tenantAuditLogs).values({
        ...input.audit,
        tenantId,
        action: "tenant.adopt",
        resourceType: "tenant",
        resourceId: tenantId,
        after: {
          name: tenant!.name,
          slug: input.slug,
          plan: input.plan,
          status: input.status,
          schema: from,
          recognized: migrations[recognizedIndex]!.name,
          applied,
          owner: owner.email,
        },
      });
      const result: AdoptResult = {
        tenant: tenant!,
        ownerId: owner.id,
        renamedFrom: from === schemaName ? null : from,
        recognized: migrations[recognizedIndex]!.name,
        applied,
        demoted: demoted.map((r) => r.email),
        revoked,
        dryRun: !!opts.dryRun,
      };
      if (opts.dryRun) throw new Rehearsal(result);
      return result;
    });
  } catch (err) {
    if (err instanceof Rehearsal) return err.result;
    if (isUniqueViolation(err, "tenants_slug_unique") || isUniqueViolation(err, "tenants_schema_name_unique"))
      throw new AdoptionRefusedError("already-tenant", `The slug "${input.slug}" is already a tenant.`);
    throw err;
  }
}

async function refuseTaken(d: Executor, slug: string, from: string, schemaName: string): Promise<void> {
  const rows = await d
    .select({ slug: tenants.slug, schemaName: tenants.schemaName })
    .from(tenants)
    .where(sql`${tenants.slug} = ${slug} or ${tenants.schemaName} in (${from}, ${schemaName})`);
  const bySlug = rows.find((r) => r.slug === slug);
  if (bySlug)
    throw new AdoptionRefusedError(
      "already-tenant",
      `The slug "${slug}" is already a tenant (schema "${bySlug.schemaName}"): nothing to adopt.`,
    );
  if (rows[0])
    throw new AdoptionRefusedError(
      "already-tenant",
      `Schema "${rows[0].schemaName}" is already the tenant "${rows[0].slug}": nothing to adopt.`,
    );
}

async function schemaExists(d: Executor, name: string): Promise<boolean> {
  const rows = await d.execute(sql`select 1 from pg_namespace where nspname = ${name}`);
  return rows.length > 0;
}

/**
 * The index of the last migration whose layout the schema has exactly. Refused when none matches,
 * with the differences from the closest one (fewest differences; the later on a tie).
 */
function recognize(
  schema: string,
  actual: Layout,
  expected: Layout[],
  migrations: TenantMigration[],
): number {
  let closest = { index: 0, problems: layoutDifferences(actual, expected[0]!) };
  for (let i = expected.length - 1; i >= 0; i--) {
    const problems = layoutDifferences(actual, expected[i]!);
    if (problems.length === 0) return i;
    if (
      problems.length < closest.problems.length ||
      (problems.length === closest.problems.length && i > closest.index)
    )
      closest = { index: i, problems };
  }
  throw new AdoptionRefusedError(
    "layout",
    `Schema "${schema}" does not have this product's tenant layout (compared with the layout after migration ${migrations[closest.index]!.name}, the closest); nothing was changed:`,
    closest.problems,
  );
}

async function findOwner(d: Executor, schema: string, email: string) {
  const [user] = await d.execute<{ id: string; email: string; name: string; usable: boolean }>(
    sql`select id, email, name, (deactivated_at is null and not is_service) as usable
        from ${sql.identifier(schema)}.users where lower(email) = lower(${email}) limit 1`,
  );
  if (!user)
    throw new AdoptionRefusedError(
      "owner",
      `No user of schema "${schema}" has the email ${email}: nothing was changed.`,
    );
  if (!user.usable)
    throw new AdoptionRefusedError(
      "owner",
      `The user ${user.email} is deactivated or a service user: nothing was changed.`,
    );
  return user;
}

/**
 * Makes the privileged login the owner of the schema and its tables (as for a provisioned schema)
 * and revokes what any other role had on them: only the tenant role, granted next, reaches the data.
 */
async function takeOwnership(d: Executor, schema: string): Promise<string[]> {
  const s = q(schema);
  const grantees = await d.execute<{ role: string }>(sql`
    select distinct r.rolname as role
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    cross join lateral aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
    join pg_roles r on r.oid = a.grantee
    where n.nspname = ${schema} and r.rolname <> current_user
    union
    select r.rolname from pg_namespace n
    cross join lateral aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
    join pg_roles r on r.oid = a.grantee
    where n.nspname = ${schema} and r.rolname <> current_user
    order by 1`);
  const relations = await d.execute<{ name: string; sequence: boolean }>(sql`
    select c.relname as name, c.relkind = 'S' as sequence
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema}
      and (c.relkind in ('r', 'p')
        -- sequences of no column (a column's follows its table)
        or (c.relkind = 'S' and not exists (
          select 1 from pg_depend p where p.objid = c.oid and p.deptype in ('a', 'i'))))`);
  const types = await d.execute<{ name: string }>(sql`
    select t.typname as name from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = ${schema} and t.typtype in ('e', 'd')`);
  await d.execute(sql.raw(`alter schema ${s} owner to current_user`));
  for (const t of types) await d.execute(sql.raw(`alter type ${s}.${q(t.name)} owner to current_user`));
  for (const r of relations)
    await d.execute(
      sql.raw(`alter ${r.sequence ? "sequence" : "table"} ${s}.${q(r.name)} owner to current_user`),
    );
  for (const { role } of grantees) {
    await d.execute(sql.raw(`revoke all on all tables in schema ${s} from ${q(role)}`));
    await d.execute(sql.raw(`revoke all on all sequences in schema ${s} from ${q(role)}`));
    await d.execute(sql.raw(`revoke all on schema ${s} from ${q(role)}`));
  }
  await d.execute(sql.raw(`revoke all on all tables in schema ${s} from public`));
  return grantees.map((g) => g.role);
}

/** This month's levels (users, monthly-active users, storage, files), as the usage recorder counts them. */
async function recordUsage(d: Executor, tenantId: string, schema: string): Promise<void> {
  const s = (table: string) => sql`${sql.identifier(schema)}.${sql.identifier(table)}`;
  const period = sql`to_char(now() at time zone 'utc', 'YYYY-MM')`;
  await d.execute(sql`
    insert into public.tenant_usage (tenant_id, period, users_total, users_active, storage_bytes, files_count)
    select ${tenantId}, ${period},
      (select count(*) from ${s("users")} where deactivated_at is null and not is_service),
      (select count(*) from ${s("monthly_active_users")} where period = ${period}),
      (select coalesce(sum(size_bytes), 0) from ${s("attachments")}),
      (select count(*) from ${s("attachments")})`);
}
