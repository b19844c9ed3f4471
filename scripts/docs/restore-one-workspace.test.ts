/**
 * docs/deployment.md, "One workspace": the manual restore of one workspace's schema, as the guide writes
 * it — the schema dumped with `pg_dump -n` (as from a restored copy), the current schema moved aside with
 * ALTER SCHEMA … RENAME, the dump loaded with psql — leaves the workspace serving its data as of the
 * dump, on its own PostgreSQL role (owner and grants came with the dump), while another workspace is
 * untouched. There is no command for it; this keeps the documented steps true.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { provisionTenant, type TenantRef, withTenant } from "@nchat/db";
import { provisionInput, testDatabase, testMasterKey, uniqueSlug } from "@nchat/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const cfg = inject("testDb");
// Debian's pg_dump/psql against the run's server (an embedded PostgreSQL 18 is newer than the tools).
describe.skipIf(cfg.embedded)("restoring one workspace's schema by hand (docs/deployment.md)", () => {
  const db = testDatabase({ poolMax: 4 });
  let tenant: TenantRef;
  let other: TenantRef;
  let dir = "";

  const say = (t: TenantRef, body: string) =>
    withTenant(db, t, async ({ db: tx, t: tables }) => {
      const [channel] = await tx.select({ id: tables.channels.id }).from(tables.channels).limit(1);
      const [user] = await tx.select({ id: tables.users.id }).from(tables.users).limit(1);
      await tx.insert(tables.messages).values({ channelId: channel!.id, userId: user!.id, body });
    });
  const bodies = (t: TenantRef) =>
    withTenant(db, t, async ({ db: tx, t: tables }) =>
      (await tx.select({ body: tables.messages.body }).from(tables.messages)).map((m) => m.body).sort(),
    );
  const psql = (command: string) =>
    execFileSync("psql", [cfg.adminUrl, "-v", "ON_ERROR_STOP=1", "-Atqc", command]).toString().trim();

  beforeAll(async () => {
    ({ tenant } = await provisionTenant(db, provisionInput(uniqueSlug("restore")), {
      masterKey: testMasterKey,
    }));
    ({ tenant: other } = await provisionTenant(db, provisionInput(uniqueSlug("bystander")), {
      masterKey: testMasterKey,
    }));
    dir = mkdtempSync(join(tmpdir(), "nchat-restore-"));
  });

  afterAll(async () => {
    await db.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("brings the workspace back to the dump, on its own role, the other workspace untouched", async () => {
    await say(tenant, "before the backup");
    await say(other, "bystander's message");
    const dump = join(dir, "tenant.sql");
    execFileSync("pg_dump", ["-d", cfg.adminUrl, "-n", tenant.schemaName, "-f", dump]);
    await say(tenant, "after the backup");
    await say(other, "bystander's later message");

    psql(`ALTER SCHEMA ${tenant.schemaName} RENAME TO ${tenant.schemaName}_replaced`);
    execFileSync("psql", [cfg.adminUrl, "-v", "ON_ERROR_STOP=1", "-q", "-f", dump]);

    expect(await bodies(tenant)).toEqual(["before the backup"]);
    expect(await bodies(other)).toEqual(["bystander's later message", "bystander's message"]);
    // Still the tenant's own login, and it still cannot reach the other workspace.
    const role = await withTenant(db, tenant, ({ db: tx }) =>
      tx.execute<{ role: string }>(sql`select current_user as role`).then((r) => r[0]!.role),
    );
    expect(role).toBe(tenant.dbRole);
    const crossing = await withTenant(db, tenant, ({ db: tx }) =>
      tx.execute(sql.raw(`select count(*) from "${other.schemaName}".messages`)),
    ).catch((e: Error) => e);
    expect(String((crossing as Error).cause)).toMatch(/permission denied/);
    // The restored schema takes writes; then the old one is dropped, as the guide's last step.
    await say(tenant, "after the restore");
    psql(`DROP SCHEMA ${tenant.schemaName}_replaced CASCADE`);
    expect(await bodies(tenant)).toEqual(["after the restore", "before the backup"]);
    const owner = psql(`select nspowner::regrole from pg_namespace where nspname = '${tenant.schemaName}'`);
    expect(owner).not.toBe(tenant.dbRole);
    const [row] = await db.admin<{ n: number }[]>`
      select count(*)::int as n from public.tenants where id = ${tenant.id} and schema_name = ${tenant.schemaName}`;
    expect(row!.n).toBe(1);
  });
});
