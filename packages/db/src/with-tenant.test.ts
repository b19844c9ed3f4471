import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTenant } from "./provision";
import { provisionInput, testDatabase, testMasterKey, uniqueSlug } from "./testing";
import { type TenantRef, withTenant } from "./with-tenant";

const db = testDatabase({ poolMax: 2 });
let tenant: TenantRef;
beforeAll(async () => {
  ({ tenant } = await provisionTenant(db, provisionInput(uniqueSlug("wt")), { masterKey: testMasterKey }));
});
afterAll(() => db.close());

const whoAmI = sql`select current_user as role, current_setting('app.tenant_id', true) as tenant_id`;

describe("withTenant runs on the tenant's own login, its context pipelined with the work", () => {
  it("runs the first statement of the work as the tenant with its context set, however eagerly it is started", async () => {
    // The eagerest a statement can start: its query begun synchronously as the work is called.
    const eager = await withTenant(db, tenant, ({ db: tx }) =>
      tx.execute<{ role: string; tenant_id: string }>(whoAmI).then((rows) => rows[0]),
    );
    expect(eager).toEqual({ role: tenant.dbRole, tenant_id: tenant.id });
    // Several statements at once, first thing.
    const many = await withTenant(db, tenant, ({ db: tx }) =>
      Promise.all(Array.from({ length: 5 }, () => tx.execute<{ role: string }>(whoAmI))),
    );
    for (const rows of many) expect(rows[0]!.role).toBe(tenant.dbRole);
  });

  it("reports the login's own error and runs nothing of the work when the tenant's role is gone", async () => {
    const ghost: TenantRef = { ...tenant, dbRole: `${tenant.dbRole}_missing` };
    let ran = false;
    const err = await withTenant(db, ghost, async ({ db: tx }) => {
      await tx.execute(sql`select 1`);
      ran = true;
    }).catch((e: { code?: string }) => e);
    // PostgreSQL: invalid_authorization_specification (trust) or invalid_password (password
    // authentication, as the embedded server); PgBouncer: protocol_violation "no such user".
    expect(["28000", "28P01", "08P01"]).toContain((err as { code?: string }).code);
    expect(ran).toBe(false);
  });
});

describe("a connection lost in the middle of the work", () => {
  it("before COMMIT: nothing is saved, and the caller gets a retryable 'lost', not an unknown outcome", async () => {
    const marker = `lost-${uniqueSlug("m")}`;
    const err = await withTenant(db, tenant, async ({ db: tx, t }) => {
      await tx.insert(t.channels).values({ name: marker, kind: "public" });
      // The backend ends under the work (a restart, a failover, pg_terminate_backend).
      await tx.execute(sql`select pg_terminate_backend(pg_backend_pid())`);
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "DatabaseUnavailableError", reason: "lost", retryAfterSeconds: 1 });
    const stored = await withTenant(db, tenant, ({ db: tx, t }) =>
      tx.select().from(t.channels).where(sql`${t.channels.name} = ${marker}`),
    );
    expect(stored).toEqual([]);
    // One lost connection says nothing about the server: the next unit of work runs.
    expect(db.availability.up).toBe(true);
  });
});
