import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";
import { tenantMigrations } from "../migrate";
import { migrateAllTenants } from "../migrate-all";
import { provisionTenant } from "../provision";
import type { Tenant } from "../public";
import { provisionInput, testDatabase, testMasterKey, uniqueSlug } from "../testing";

const db = testDatabase();
afterAll(() => db.close());
const child = fileURLToPath(new URL("./child.ts", import.meta.url));

/** Runs the drill child and SIGKILLs it when it prints `killAt`. Returns the lines it printed. */
async function runAndKill(
  config: Record<string, unknown>,
  killAt: (line: string) => boolean,
): Promise<string[]> {
  const proc = spawn(process.execPath, ["--import", "tsx", child], {
    env: { ...process.env, DRILL_CONFIG: JSON.stringify({ ...inject("testDb"), ...config }) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  const exited = new Promise((r) => proc.once("exit", r));
  for await (const line of createInterface({ input: proc.stdout })) {
    lines.push(line);
    if (killAt(line)) {
      proc.kill("SIGKILL");
      break;
    }
  }
  await exited;
  return lines;
}

async function leftovers(slug: string) {
  const schema = `tenant_${slug.replaceAll("-", "_")}`;
  const [r] = await db.admin<{ tenants: number; schemas: number; roles: number }[]>`
    select (select count(*)::int from public.tenants where slug = ${slug}) as tenants,
           (select count(*)::int from pg_namespace where nspname = ${schema}) as schemas,
           (select count(*)::int from pg_roles where rolname = ${`${db.roles.prefix}_${schema}`}) as roles`;
  return r!;
}

/** The server notices a dead client's connection (and rolls its transaction back) within moments. */
async function settle() {
  for (let i = 0; i < 50; i++) {
    const [r] =
      await db.admin`select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'idle in transaction'`;
    if (r!.n === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe("drill: the process is killed during provisioning", () => {
  it("leaves no half tenant, and provisioning the same slug again completes", async () => {
    const slug = uniqueSlug("kill");
    const lines = await runAndKill({ mode: "provision", slug }, (l) => l === "step tables");
    expect(lines).toContain("step tables");
    expect(lines).not.toContain("done");
    await settle();
    expect(await leftovers(slug)).toEqual({ tenants: 0, schemas: 0, roles: 0 });
    await provisionTenant(db, provisionInput(slug), { masterKey: testMasterKey });
    expect(await leftovers(slug)).toEqual({ tenants: 1, schemas: 1, roles: 1 });
  });
});

describe("drill: the process is killed during migrate-all", () => {
  it("every tenant has the migration fully or not at all, and a rerun completes", async () => {
    const tenants: Tenant[] = [];
    for (let i = 0; i < 6; i++)
      tenants.push(
        (await provisionTenant(db, provisionInput(uniqueSlug("mk")), { masterKey: testMasterKey })).tenant,
      );
    const ids = tenants.map((t) => t.id);
    await runAndKill({ mode: "migrate-all", tenantIds: ids }, (l) => l === "step 2/6");
    await settle();

    const text = `ALTER TABLE "tenant_template"."users" ADD COLUMN "drill_note" text; SELECT pg_sleep(0.3);`;
    const hash = createHash("sha256").update(text).digest("hex");
    const state = async () => {
      const rows = [];
      for (const t of tenants) {
        const [r] = await db.admin`
          select exists(select 1 from information_schema.columns where table_schema = ${t.schemaName} and table_name = 'users' and column_name = 'drill_note') as col,
                 exists(select 1 from public.tenant_migrations where tenant_id = ${t.id} and migration_hash = ${hash}) as rec`;
        rows.push(r!);
      }
      return rows;
    };
    const after = await state();
    expect(after.every((r) => r.col === r.rec)).toBe(true); // never a column without its record, or the reverse
    expect(after.some((r) => !r.col)).toBe(true); // the kill really interrupted the run

    const migrations = [...tenantMigrations(), { name: "drill", sql: text, hash }];
    const rerun = await migrateAllTenants(db, { migrations, tenantIds: ids });
    expect(rerun.failed).toBe(0);
    expect(rerun.applied).toBe(after.filter((r) => !r.col).length);
    expect((await state()).every((r) => r.col && r.rec)).toBe(true);
  });
});
