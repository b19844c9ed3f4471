/**
 * docs/single-to-multi-tenant.md, step 2: a single-tenant schema brought over from another database with
 * `pg_dump -n <schema> --no-owner --no-acl` and `psql -f`, then adopted (the service `pnpm tenant:adopt`
 * calls) — the loaded copy is recognized, becomes the workspace, and its rows are served on the
 * workspace's own role.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adoptSchema, tenantMigrations, withTenant } from "@nchat/db";
import { buildLegacySchema } from "@nchat/db/adopt-testkit";
import { provisionInput, testDatabase, testMasterKey, uniqueSlug } from "@nchat/db/testing";
import { afterAll, describe, expect, inject, it } from "vitest";

const cfg = inject("testDb");
// Debian's pg_dump/psql against the run's server (an embedded PostgreSQL 18 is newer than the tools).
describe.skipIf(cfg.embedded)(
  "adopting a schema brought over with pg_dump (docs/single-to-multi-tenant.md)",
  () => {
    const db = testDatabase();
    const dir = mkdtempSync(join(tmpdir(), "nchat-adopt-dump-"));
    afterAll(async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("loads the dump without owner or grants, then adopts it as the workspace", async () => {
      const legacy = await buildLegacySchema(db);
      const dump = join(dir, "chat.sql");
      execFileSync("pg_dump", [
        "-d",
        cfg.adminUrl,
        "-n",
        legacy.schema,
        "--no-owner",
        "--no-acl",
        "-f",
        dump,
      ]);
      // As if it had lived in another database: gone here until the dump is loaded.
      await db.admin.unsafe(`drop schema "${legacy.schema}" cascade`);
      execFileSync("psql", [cfg.adminUrl, "-v", "ON_ERROR_STOP=1", "-q", "-f", dump]);

      const slug = uniqueSlug("dumped");
      const { plan, status, limits, features } = provisionInput(slug);
      const result = await adoptSchema(
        db,
        {
          schema: legacy.schema,
          slug,
          ownerEmail: legacy.ownerEmail,
          plan,
          status,
          limits,
          features,
          audit: { actorType: "system" },
        },
        { masterKey: testMasterKey },
      );
      expect(result.recognized).toBe(tenantMigrations().at(-1)!.name);
      expect(result.tenant.schemaName).toBe(`tenant_${slug.replaceAll("-", "_")}`);
      const bodies = await withTenant(db, result.tenant, async ({ db: tx, t }) =>
        (await tx.select({ body: t.messages.body }).from(t.messages)).map((m) => m.body).sort(),
      );
      expect(bodies).toEqual([...legacy.messages].sort());
    });
  },
);
