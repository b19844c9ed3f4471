// A process for the kill drills: provisions a tenant, or runs migrate-all, slowly enough to be killed
// half-way. Configured through DRILL_CONFIG; prints "step <name>" lines as it goes.
import { createHash } from "node:crypto";
import { createDatabase } from "../client";
import { parseMasterKey } from "../crypto";
import { tenantMigrations } from "../migrate";
import { migrateAllTenants } from "../migrate-all";
import { provisionTenant } from "../provision";

const cfg = JSON.parse(process.env.DRILL_CONFIG!) as {
  adminUrl: string;
  rolePrefix: string;
  appPassword: string;
  mode: "provision" | "migrate-all";
  slug?: string;
  tenantIds?: string[];
};
const db = createDatabase({ ...cfg, poolMax: 2 });
const say = (s: string) => process.stdout.write(`${s}\n`);

if (cfg.mode === "provision") {
  await provisionTenant(
    db,
    {
      name: "Drill",
      slug: cfg.slug!,
      owner: { email: "o@drill.test", name: "O", passwordHash: null },
      plan: "free",
      status: "active",
      limits: { users: 10, channels: 5, storageGb: 1, apiCallsPerMonth: 1000, maxUploadMb: 10 },
      features: {},
      audit: { actorType: "system" },
    },
    {
      masterKey: parseMasterKey(Buffer.alloc(32, 7).toString("base64")),
      afterStep: async (step) => {
        say(`step ${step}`);
        await new Promise((r) => setTimeout(r, 400));
      },
    },
  );
  say("done");
} else {
  // One slow extra migration per tenant: the kill lands while tenants are half-way through.
  const text = `ALTER TABLE "tenant_template"."users" ADD COLUMN "drill_note" text; SELECT pg_sleep(0.3);`;
  const migrations = [
    ...tenantMigrations(),
    { name: "drill", sql: text, hash: createHash("sha256").update(text).digest("hex") },
  ];
  const result = await migrateAllTenants(db, {
    migrations,
    concurrency: 2,
    tenantIds: cfg.tenantIds,
    onProgress: (p) => say(`step ${p.done}/${p.total}`),
  });
  say(`done ${result.applied} ${result.failed}`);
}
await db.close();
