import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TenantMigration } from "./migrate";
import { tenantMigrations } from "./migrate";
import { migrateAllTenants } from "./migrate-all";
import { provisionTenant } from "./provision";
import { provisionInput, testDatabase, testMasterKey, uniqueSlug } from "./testing";
import { withTenant } from "./with-tenant";

const db = testDatabase();
afterAll(() => db.close());

const extra = (name: string, text: string): TenantMigration => ({
  name,
  sql: text,
  hash: createHash("sha256").update(text).digest("hex"),
});

describe("migrateAllTenants", () => {
  const created: { id: string; schemaName: string; dbRole: string }[] = [];
  const ids = () => created.map((t) => t.id);
  beforeAll(async () => {
    for (let i = 0; i < 5; i++) {
      const { tenant } = await provisionTenant(db, provisionInput(uniqueSlug("mig")), {
        masterKey: testMasterKey,
      });
      created.push(tenant);
    }
  });

  it("is a no-op when every tenant is current, however often it runs", async () => {
    const first = await migrateAllTenants(db, { tenantIds: ids() });
    const second = await migrateAllTenants(db, { tenantIds: ids() });
    expect(first.failed).toBe(0);
    expect(first.applied).toBe(0);
    expect(first.total).toBe(5);
    expect(second).toMatchObject({ applied: 0, failed: 0, total: 5 });
  });

  it("applies a new migration to every tenant, reports a failing tenant without stopping the rest, resumes", async () => {
    const broken = created[2]!;
    // Make one tenant fail: the column the migration adds already exists there.
    await db.admin.unsafe(`alter table "${broken.schemaName}".users add column nickname text`);
    const migrations = [
      ...tenantMigrations(),
      extra("9999_nickname", `ALTER TABLE "tenant_template"."users" ADD COLUMN "nickname" text;`),
    ];
    const progress: number[] = [];
    const run1 = await migrateAllTenants(db, {
      tenantIds: ids(),
      migrations,
      concurrency: 3,
      onProgress: (p) => progress.push(p.done),
    });
    expect(run1.failed).toBe(1);
    expect(run1.failures[0]).toMatchObject({
      tenantId: broken.id,
      error: expect.stringMatching(/already exists/),
    });
    expect(run1.applied).toBe(run1.total - 1);
    expect(progress.at(-1)).toBe(run1.total);

    // The new column is usable by each tenant's own role (grants re-applied after migrating).
    const ok = created[0]!;
    await withTenant(db, ok, ({ db: tx, t }) => tx.select().from(t.users));

    // Fix the broken tenant and rerun: only it gets the migration.
    await db.admin.unsafe(`alter table "${broken.schemaName}".users drop column nickname`);
    const run2 = await migrateAllTenants(db, { tenantIds: ids(), migrations });
    expect(run2).toMatchObject({ failed: 0, applied: 1 });
    const run3 = await migrateAllTenants(db, { tenantIds: ids(), migrations });
    expect(run3).toMatchObject({ failed: 0, applied: 0 });
  });
});
