import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTenant } from "./provision";
import { tenantAuditLogs, tenantSettings, tenants } from "./public";
import { provisionInput, sqlState, testDatabase, testMasterKey, uniqueSlug } from "./testing";
import { type TenantRef, withPlatformAdmin, withTenant } from "./with-tenant";

/** Every table of the public schema the application defines. */
const SHARED_TABLES = [
  "tenants",
  "tenant_domains",
  "tenant_usage",
  "tenant_settings",
  "tenant_invitations",
  "tenant_audit_logs",
  "tenant_keys",
  "tenant_migrations",
  "stripe_webhooks",
  "mail_deliveries",
  "billing_meter_reports",
  "billing_meter_events",
  "super_admins",
  "super_admin_sessions",
  "job_runs",
];

// Everything below holds whether A and B have pools open at once or take turns with one.
describe.each([10, 1])("tenant connections at most %i", (poolMax) => {
  const db = testDatabase({ poolMax, tenantPoolMax: 1 });
  let a: TenantRef & { slug: string };
  let b: TenantRef & { slug: string };

  beforeAll(async () => {
    const make = async () => {
      const { tenant } = await provisionTenant(db, provisionInput(uniqueSlug("iso")), {
        masterKey: testMasterKey,
      });
      return { id: tenant.id, schemaName: tenant.schemaName, dbRole: tenant.dbRole, slug: tenant.slug };
    };
    a = await make();
    b = await make();
    // Give B rows in every tenant-scoped shared table.
    await db.admin`insert into public.tenant_usage (tenant_id, period, messages_sent) values (${b.id}, '2026-01', 5)`;
    await db.admin`insert into public.tenant_invitations (tenant_id, email, role, token_hash, expires_at)
                 values (${b.id}, 'x@b.test', 'member', ${`h-${b.id}`}, now() + interval '1 day')`;
    await db.admin`insert into public.tenant_domains (tenant_id, domain, verification_token)
                 values (${b.id}, ${`${b.slug}.example.com`}, 'tok')`;
    await db.admin`insert into public.stripe_webhooks (id, type, tenant_id, status, payload)
                 values (${`evt_${b.id}`}, 'invoice.paid', ${b.id}, 'processed', '{}')`;
    await db.admin`insert into public.mail_deliveries (tenant_id, kind, recipient, subject)
                 values (${b.id}, 'invitation', 'x@b.test', 'Invited')`;
    await db.admin`insert into public.billing_meter_reports (tenant_id, period, event_name, identifier, stripe_customer_id, quantity)
                 values (${b.id}, '2026-01', 'api_calls', ${`mr-${b.id}`}, 'cus_b', 1)`;
    await db.admin`insert into public.billing_meter_events (identifier, tenant_id, meter, event_name, usage_period, stripe_customer_id, quantity, cumulative, event_at)
                 values (${`me-${b.id}`}, ${b.id}, 'api_calls', 'api_calls', '2026-01', 'cus_b', 1, 1, now())`;
    await db.admin`insert into public.job_runs (job, trigger, summary) values ('billing-jobs', 'schedule', ${JSON.stringify({ tenantId: b.id })}::jsonb)`;
  });
  afterAll(() => db.close());

  describe("tenant schemas are reachable only by their own role", () => {
    it("a tenant reads its own schema", async () => {
      const n = await withTenant(db, a, async ({ db: tx, t }) => (await tx.select().from(t.users)).length);
      expect(n).toBe(1);
    });

    it.each([
      ["select", (s: string) => `select * from "${s}".users`],
      ["insert", (s: string) => `insert into "${s}".channels (name) values ('evil')`],
      ["update", (s: string) => `update "${s}".users set name = 'pwned'`],
      ["delete", (s: string) => `delete from "${s}".messages`],
      ["ddl", (s: string) => `drop table "${s}".messages`],
      ["create in schema", (s: string) => `create table "${s}".evil (id int)`],
    ])("raw SQL %s on another tenant's schema is refused by PostgreSQL", async (_name, statement) => {
      const code = await sqlState(
        withTenant(db, a, ({ db: tx }) => tx.execute(sql.raw(statement(b.schemaName)))),
      );
      expect(code).toBe("42501"); // insufficient_privilege
      const [users] =
        await db.admin`select count(*)::int as n, min(name) as name from ${db.admin(b.schemaName)}.users`;
      expect(users).toEqual({ n: 1, name: "Owner" });
    });

    it("a tenant cannot drop or alter its own tables either (it owns nothing)", async () => {
      expect(
        await sqlState(
          withTenant(db, a, ({ db: tx }) => tx.execute(sql.raw(`drop table "${a.schemaName}".messages`))),
        ),
      ).toBe("42501");
    });

    it("every table of another tenant's schema is refused, whatever the table (pins, search column included)", async () => {
      const tables = await db.admin<{ name: string }[]>`
        select tablename as name from pg_tables where schemaname = ${b.schemaName} order by 1`;
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["messages", "pins", "api_keys"]));
      for (const { name } of tables) {
        const code = await sqlState(
          withTenant(db, a, ({ db: tx }) => tx.execute(sql.raw(`select * from "${b.schemaName}"."${name}"`))),
        );
        expect(code, name).toBe("42501");
      }
    });

    it("the app role reaches no tenant schema and no shared table", async () => {
      expect(await sqlState(db.app.unsafe(`select * from "${a.schemaName}".users`))).toBe("42501");
      for (const table of SHARED_TABLES) {
        expect(await sqlState(db.app.unsafe(`select * from public.${table}`)), table).toBe("42501");
      }
    });
  });

  describe("row-level security on shared tables", () => {
    it("the list above is every table of the public schema (a new shared table must be added to it)", async () => {
      const rows = await db.admin<{ name: string }[]>`
        select tablename as name from pg_tables where schemaname = 'public' order by 1`;
      expect(rows.map((r) => r.name)).toEqual([...SHARED_TABLES].sort());
    });

    it("every shared table has RLS enabled and forced", async () => {
      const rows = await db.admin<{ relname: string; rls: boolean; force: boolean }[]>`
      select c.relname, c.relrowsecurity as rls, c.relforcerowsecurity as force
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and c.relname = any(${SHARED_TABLES})`;
      expect(rows).toHaveLength(SHARED_TABLES.length);
      for (const r of rows) expect(r, r.relname).toMatchObject({ rls: true, force: true });
    });

    it("a tenant sees only its own rows of every shared table", async () => {
      const counts: Record<string, number> = {};
      for (const table of SHARED_TABLES) {
        const platformOnly = table.startsWith("super_") || table === "job_runs";
        const column = table === "tenants" ? "id" : platformOnly ? "null" : "tenant_id";
        try {
          const rows = await withTenant(db, a, ({ db: tx }) =>
            tx.execute<{ tenant: string | null }>(
              sql.raw(`select ${column}::text as tenant from public.${table}`),
            ),
          );
          counts[table] = rows.filter((r) => r.tenant !== a.id).length;
        } catch (err) {
          expect(String((err as Error).cause ?? err)).toMatch(/permission denied/);
          counts[table] = -1; // no privilege at all: no rows either
        }
      }
      for (const [table, n] of Object.entries(counts))
        expect(n <= 0, `${table} shows ${n} rows of other tenants`).toBe(true);
      // and its own rows are there
      const own = await withTenant(db, a, async ({ db: tx }) => ({
        tenants: (await tx.select().from(tenants)).map((t) => t.id),
        settings: (await tx.select().from(tenantSettings)).map((s) => s.tenantId),
      }));
      expect(own).toEqual({ tenants: [a.id], settings: [a.id] });
    });

    it("setting app.tenant_id to another tenant does not widen the view", async () => {
      const seen = await withTenant(db, a, async ({ db: tx }) => {
        await tx.execute(sql`select set_config('app.tenant_id', ${b.id}, true)`);
        return {
          tenants: (await tx.select().from(tenants)).length,
          settings: (await tx.select().from(tenantSettings)).length,
        };
      });
      expect(seen).toEqual({ tenants: 0, settings: 0 });
    });

    it("an empty app.tenant_id yields no rows instead of an error", async () => {
      const seen = await withTenant(db, a, async ({ db: tx }) => {
        await tx.execute(sql`select set_config('app.tenant_id', '', true)`);
        return (await tx.select().from(tenantSettings)).length;
      });
      expect(seen).toBe(0);
    });

    it("a tenant cannot write rows for another tenant", async () => {
      const code = await sqlState(
        withTenant(db, a, ({ db: tx }) =>
          tx
            .insert(tenantAuditLogs)
            .values({ tenantId: b.id, actorType: "user", action: "x", resourceType: "y" }),
        ),
      );
      expect(code).toBe("42501"); // new row violates row-level security policy
      const updated = await withTenant(db, a, ({ db: tx }) =>
        tx
          .update(tenantSettings)
          .set({ allowGuestAccess: true })
          .where(eq(tenantSettings.tenantId, b.id))
          .returning(),
      );
      expect(updated).toHaveLength(0);
    });

    it("a tenant cannot change its own plan, limits, status or Stripe fields", async () => {
      for (const column of [
        "billing_plan = 'enterprise'",
        "limits = '{}'",
        "status = 'active'",
        "stripe_customer_id = 'cus_x'",
      ]) {
        const code = await sqlState(
          withTenant(db, a, ({ db: tx }) => tx.execute(sql.raw(`update public.tenants set ${column}`)), {
            userRole: "owner",
          }),
        );
        expect(code, column).toBe("42501");
      }
    });

    it("only the owner may rename the tenant; audit rows are append-only", async () => {
      const asMember = await withTenant(
        db,
        a,
        ({ db: tx }) => tx.update(tenants).set({ name: "x" }).returning(),
        { userRole: "member" },
      );
      expect(asMember).toHaveLength(0);
      const asOwner = await withTenant(
        db,
        a,
        ({ db: tx }) => tx.update(tenants).set({ name: "Renamed" }).returning(),
        { userRole: "owner" },
      );
      expect(asOwner.map((t) => t.name)).toEqual(["Renamed"]);
      expect(await sqlState(withTenant(db, a, ({ db: tx }) => tx.delete(tenantAuditLogs)))).toBe("42501");
    });

    it("RLS applies to a non-superuser table owner too (FORCE)", async () => {
      const probe = `${db.roles.prefix}_owner_probe`;
      const leaked = await db.admin
        .begin(async (tx) => {
          await tx.unsafe(`create role "${probe}"`);
          await tx.unsafe(`grant usage on schema public to "${probe}"`);
          const out: Record<string, number> = {};
          for (const table of SHARED_TABLES) {
            await tx.unsafe(`alter table public.${table} owner to "${probe}"`);
          }
          await tx.unsafe(`set local role "${probe}"`);
          for (const table of SHARED_TABLES) {
            const [r] = await tx.unsafe(`select count(*)::int as n from public.${table}`);
            out[table] = r!.n as number;
          }
          throw Object.assign(new Error("rollback"), { out });
        })
        .catch((e: { out?: Record<string, number> }) => {
          if (!e.out) throw e;
          return e.out;
        });
      for (const table of SHARED_TABLES) expect(leaked[table], table).toBe(0);
    });

    it("the platform-admin role sees every tenant", async () => {
      const ids = await withPlatformAdmin(db, async (tx) =>
        (await tx.select({ id: tenants.id }).from(tenants)).map((t) => t.id),
      );
      expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
    });
  });
});
