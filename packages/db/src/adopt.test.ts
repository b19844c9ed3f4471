import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdoptInput, AdoptionRefusedError, adoptSchema } from "./adopt";
import { buildLegacySchema } from "./adopt-testkit";
import { layoutDifferences, probeLayouts, readLayout } from "./layout";
import { tenantMigrations } from "./migrate";
import { provisionTenant } from "./provision";
import { provisionInput, sqlState, testDatabase, testMasterKey, uniqueSlug } from "./testing";
import { type TenantRef, withTenant } from "./with-tenant";

const db = testDatabase();
afterAll(() => db.close());

const migrations = tenantMigrations();

const input = (schema: string, slug: string, ownerEmail: string): AdoptInput => {
  const { plan, status, limits, features } = provisionInput(slug);
  return {
    schema,
    slug,
    ownerEmail,
    name: "Legacy Corp",
    plan,
    status,
    limits,
    features,
    audit: { actorType: "system" },
  };
};

async function refusal(p: Promise<unknown>): Promise<AdoptionRefusedError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AdoptionRefusedError);
  return err as AdoptionRefusedError;
}

/** What exists of a slug and a schema name: control-plane rows, schemas, roles. */
async function traces(slug: string, schema: string) {
  const target = `tenant_${slug.replaceAll("-", "_")}`;
  const [r] = await db.admin<Record<string, number>[]>`
    select (select count(*)::int from public.tenants where slug = ${slug} or schema_name in (${schema}, ${target})) as tenants,
           (select count(*)::int from pg_namespace where nspname = ${schema}) as schema,
           (select count(*)::int from pg_namespace where nspname = ${target}) as target,
           (select count(*)::int from pg_roles where rolname = ${`${db.roles.prefix}_${target}`}) as roles`;
  return r!;
}

describe("adopting a schema built the single-tenant way", () => {
  let legacy: Awaited<ReturnType<typeof buildLegacySchema>>;
  let adopted: TenantRef;
  let other: TenantRef;
  let result: Awaited<ReturnType<typeof adoptSchema>>;
  const slug = uniqueSlug("adopt");

  beforeAll(async () => {
    legacy = await buildLegacySchema(db);
    result = await adoptSchema(db, input(legacy.schema, slug, legacy.ownerEmail.toUpperCase()), {
      masterKey: testMasterKey,
    });
    adopted = result.tenant;
    ({ tenant: other } = await provisionTenant(db, provisionInput(uniqueSlug("other")), {
      masterKey: testMasterKey,
    }));
  });

  it("registers it as the tenant: row, renamed schema, role, migrations, owner, settings, key, usage, audit", async () => {
    expect(result).toMatchObject({
      renamedFrom: legacy.schema,
      recognized: migrations.at(-1)!.name,
      applied: [],
      demoted: [],
      revoked: [legacy.legacyRole],
    });
    expect(result.tenant).toMatchObject({
      slug,
      name: "Legacy Corp",
      schemaName: `tenant_${slug.replaceAll("-", "_")}`,
      dbRole: `${db.roles.prefix}_tenant_${slug.replaceAll("-", "_")}`,
      ownerEmail: legacy.ownerEmail,
      ownerName: "The Boss",
      ownerId: result.ownerId,
    });
    expect(await traces(slug, legacy.schema)).toEqual({ tenants: 1, schema: 0, target: 1, roles: 1 });
    const [rows] = await db.admin<Record<string, unknown>[]>`
      select (select count(*)::int from public.tenant_migrations where tenant_id = ${adopted.id}) as migrations,
             (select default_channels from public.tenant_settings where tenant_id = ${adopted.id}) as channels,
             (select count(*)::int from public.tenant_keys where tenant_id = ${adopted.id}) as keys,
             (select users_total from public.tenant_usage where tenant_id = ${adopted.id}) as users,
             (select after->>'schema' from public.tenant_audit_logs where tenant_id = ${adopted.id} and action = 'tenant.adopt') as audit`;
    expect(rows).toEqual({
      migrations: migrations.length,
      channels: ["general"],
      keys: 1,
      users: 2,
      audit: legacy.schema,
    });
  });

  it("the tenant's own role reads its data; the single-tenant login no longer reaches it", async () => {
    const bodies = await withTenant(db, adopted, async ({ db: tx, t }) =>
      (await tx.select({ body: t.messages.body }).from(t.messages)).map((m) => m.body).sort(),
    );
    expect(bodies).toEqual([...legacy.messages].sort());
    const [privileges] = await db.admin<{ old: boolean; schema: boolean; owner: string }[]>`
      select has_table_privilege(${legacy.legacyRole}, ${`${adopted.schemaName}.messages`}, 'SELECT') as old,
             has_schema_privilege(${legacy.legacyRole}, ${adopted.schemaName}, 'USAGE') as schema,
             (select tableowner from pg_tables where schemaname = ${adopted.schemaName} and tablename = 'messages') as owner`;
    expect(privileges).toEqual({
      old: false,
      schema: false,
      owner: expect.not.stringMatching(legacy.legacyRole),
    });
  });

  it("the tenant's role cannot read another tenant's schema, nor the other its", async () => {
    expect(
      await sqlState(
        withTenant(db, adopted, ({ db: tx }) =>
          tx.execute(sql.raw(`select * from "${other.schemaName}".users`)),
        ),
      ),
    ).toBe("42501");
    expect(
      await sqlState(
        withTenant(db, other, ({ db: tx }) =>
          tx.execute(sql.raw(`select body from "${adopted.schemaName}".messages`)),
        ),
      ),
    ).toBe("42501");
    expect(
      await sqlState(
        withTenant(db, adopted, ({ db: tx }) =>
          tx.execute(sql.raw(`drop table "${adopted.schemaName}".messages`)),
        ),
      ),
    ).toBe("42501");
  });

  it("a second adoption of the same schema or slug is refused and changes nothing", async () => {
    const again = await refusal(
      adoptSchema(db, input(adopted.schemaName, slug, legacy.ownerEmail), { masterKey: testMasterKey }),
    );
    expect(again.reason).toBe("already-tenant");
    const otherSlug = uniqueSlug("again");
    const bySchema = await refusal(
      adoptSchema(db, input(adopted.schemaName, otherSlug, legacy.ownerEmail), { masterKey: testMasterKey }),
    );
    expect(bySchema.message).toContain(`is already the tenant "${slug}"`);
    expect(await traces(otherSlug, adopted.schemaName)).toEqual({
      tenants: 1,
      schema: 1,
      target: 0,
      roles: 0,
    });
  });
});

describe("an older layout", () => {
  it("is recognized, brought to the current migrations, and the data kept", async () => {
    const upTo = migrations.length - 3;
    const legacy = await buildLegacySchema(db, { upTo });
    const slug = uniqueSlug("older");
    const result = await adoptSchema(db, input(legacy.schema, slug, legacy.ownerEmail), {
      masterKey: testMasterKey,
    });
    expect(result.recognized).toBe(migrations[upTo - 1]!.name);
    expect(result.applied).toEqual(migrations.slice(upTo).map((m) => m.name));
    const layouts = await probeLayouts(db, migrations);
    const now = await db.adminDb.transaction((d) => readLayout(d, result.tenant.schemaName));
    expect(layoutDifferences(now, layouts.at(-1)!)).toEqual([]);
    const n = await withTenant(
      db,
      result.tenant,
      async ({ db: tx, t }) => (await tx.select().from(t.messages)).length,
    );
    expect(n).toBe(legacy.messages.length);
  });

  it("a schema already named tenant_<slug> keeps its name", async () => {
    const slug = uniqueSlug("named");
    const legacy = await buildLegacySchema(db, { schema: `tenant_${slug.replaceAll("-", "_")}` });
    const result = await adoptSchema(db, input(legacy.schema, slug, legacy.ownerEmail), {
      masterKey: testMasterKey,
    });
    expect(result.renamedFrom).toBeNull();
    expect(result.tenant.schemaName).toBe(legacy.schema);
  });
});

describe("a dry run", () => {
  it("reports what adoption would do and leaves the schema as it was", async () => {
    const legacy = await buildLegacySchema(db, { upTo: migrations.length - 1 });
    const slug = uniqueSlug("rehearse");
    const result = await adoptSchema(db, input(legacy.schema, slug, legacy.ownerEmail), {
      masterKey: testMasterKey,
      dryRun: true,
    });
    expect(result).toMatchObject({
      dryRun: true,
      renamedFrom: legacy.schema,
      recognized: migrations.at(-2)!.name,
      applied: [migrations.at(-1)!.name],
    });
    expect(await traces(slug, legacy.schema)).toEqual({ tenants: 0, schema: 1, target: 0, roles: 0 });
    const real = await adoptSchema(db, input(legacy.schema, slug, legacy.ownerEmail), {
      masterKey: testMasterKey,
    });
    expect(real).toMatchObject({ dryRun: false, applied: [migrations.at(-1)!.name] });
  });
});

describe("refusals leave nothing behind", () => {
  it("a missing table is named, and nothing is created or renamed", async () => {
    const legacy = await buildLegacySchema(db);
    await db.admin.unsafe(`drop table "${legacy.schema}".reactions`);
    await db.admin.unsafe(`alter table "${legacy.schema}".users add column nickname text`);
    await db.admin.unsafe(`alter table "${legacy.schema}".channels alter column topic type varchar(80)`);
    const slug = uniqueSlug("broken");
    const err = await refusal(
      adoptSchema(db, input(legacy.schema, slug, legacy.ownerEmail), { masterKey: testMasterKey }),
    );
    expect(err.reason).toBe("layout");
    expect(err.problems).toEqual([
      'column "channels"."topic" is character varying(80), expected text',
      'missing table "reactions"',
      'unexpected column "users"."nickname"',
    ]);
    expect(err.message).toContain('missing table "reactions"');
    expect(await traces(slug, legacy.schema)).toEqual({ tenants: 0, schema: 1, target: 0, roles: 0 });
    const [owner] =
      await db.admin`select nspowner::regrole::text as owner from pg_namespace where nspname = ${legacy.schema}`;
    expect(owner!.owner).toBe(legacy.legacyRole);
  });

  it("a failure late in the transaction (a migration the old data breaks) rolls everything back", async () => {
    const legacy = await buildLegacySchema(db, { upTo: migrations.length });
    const failing = [
      ...migrations,
      {
        name: "9999_only_nowhere_addresses",
        hash: "test-9999",
        // Passes on the empty probe schema, fails on rows: after the row, rename, role and grants ran.
        sql: `ALTER TABLE "tenant_template"."users" ADD CONSTRAINT "users_nowhere_check" CHECK (email like '%@nowhere');`,
      },
    ];
    const slug = uniqueSlug("rollback");
    const err = await adoptSchema(db, input(legacy.schema, slug, legacy.ownerEmail), {
      masterKey: testMasterKey,
      migrations: failing,
    }).catch((e: unknown) => e);
    expect(await sqlState(Promise.reject(err))).toBe("23514"); // check_violation
    expect(await traces(slug, legacy.schema)).toEqual({ tenants: 0, schema: 1, target: 0, roles: 0 });
    const [state] = await db.admin`
      select nspowner::regrole::text as owner,
             (select count(*)::int from ${db.admin(legacy.schema)}.users where role = 'owner') as owners
      from pg_namespace where nspname = ${legacy.schema}`;
    expect(state).toEqual({ owner: legacy.legacyRole, owners: 1 });
  });

  it("an owner email that is no user of the schema is refused", async () => {
    const legacy = await buildLegacySchema(db);
    const slug = uniqueSlug("noowner");
    const err = await refusal(
      adoptSchema(db, input(legacy.schema, slug, "nobody@legacy.test"), { masterKey: testMasterKey }),
    );
    expect(err.reason).toBe("owner");
    expect(err.message).toContain("nobody@legacy.test");
    expect(await traces(slug, legacy.schema)).toEqual({ tenants: 0, schema: 1, target: 0, roles: 0 });
  });

  it("a member named as owner becomes it, and the former owner an admin", async () => {
    const legacy = await buildLegacySchema(db);
    const result = await adoptSchema(db, input(legacy.schema, uniqueSlug("swap"), legacy.memberEmail), {
      masterKey: testMasterKey,
    });
    expect(result.demoted).toEqual([legacy.ownerEmail]);
    const roles = await db.admin<{ email: string; role: string }[]>`
      select email, role::text from ${db.admin(result.tenant.schemaName)}.users order by email`;
    expect(roles).toEqual([
      { email: legacy.ownerEmail, role: "admin" },
      { email: legacy.memberEmail, role: "owner" },
    ]);
  });

  it("no such schema, a system schema, a taken slug", async () => {
    expect(
      (
        await refusal(
          adoptSchema(db, input("no_such_schema", uniqueSlug("x"), "a@b.c"), { masterKey: testMasterKey }),
        )
      ).reason,
    ).toBe("no-schema");
    for (const schema of ["public", "tenant_template", "pg_catalog", "Bad-Name"]) {
      const err = await refusal(
        adoptSchema(db, input(schema, uniqueSlug("x"), "a@b.c"), { masterKey: testMasterKey }),
      );
      expect(err.reason, schema).toBe("invalid");
    }
    const { tenant } = await provisionTenant(db, provisionInput(uniqueSlug("taken")), {
      masterKey: testMasterKey,
    });
    const legacy = await buildLegacySchema(db);
    const err = await refusal(
      adoptSchema(db, input(legacy.schema, tenant.slug, legacy.ownerEmail), { masterKey: testMasterKey }),
    );
    expect(err.reason).toBe("already-tenant");
    expect(await traces(tenant.slug, legacy.schema)).toMatchObject({ tenants: 1, schema: 1 });
  });
});
