// `pnpm tenant:adopt --schema <existing> --slug <slug> --owner-email <email> [--name N] [--plan P]`:
// registers a schema built the single-tenant way (this product's tenant tables, no workspace row) as
// the workspace <slug>: verifies its layout first (each difference is listed and nothing changes),
// renames it to tenant_<slug>, brings it to the current tenant migrations, creates the workspace's
// role, grants, settings, data key and usage, makes the user with that email the owner and writes an
// audit entry — all in one transaction. --dry-run does all of it and rolls it back. Exit code 1 when
// refused (nothing changed), 2 on bad arguments.
import { parseArgs } from "node:util";
import { adoptTenant, databaseConfig } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { AdoptionRefusedError, createDatabase, migratePublic } from "@nchat/db";
import { prepareRuntime } from "./lib/runtime";
import { servicesFromEnv } from "./lib/services";

const PLANS = ["free", "pro", "enterprise", "custom"] as const;
const { values } = parseArgs({
  options: {
    schema: { type: "string" },
    slug: { type: "string" },
    "owner-email": { type: "string" },
    name: { type: "string" },
    plan: { type: "string", default: "free" },
    "dry-run": { type: "boolean", default: false },
  },
});
const plan = PLANS.find((p) => p === values.plan);
if (!values.schema || !values.slug || !values["owner-email"] || !plan) {
  console.error(
    `usage: pnpm tenant:adopt --schema <existing schema> --slug <slug> --owner-email <email> [--name "Name"] [--plan ${PLANS.join("|")}] [--dry-run]`,
  );
  process.exit(2);
}

const runtime = await prepareRuntime();
// The control plane must be current (tables, roles, RLS); the adopted schema is migrated by the adoption.
const db = createDatabase(databaseConfig(loadEnv(process.env)));
try {
  await migratePublic(db);
} finally {
  await db.close();
}
const services = await servicesFromEnv();
try {
  const r = await adoptTenant(services, {
    schema: values.schema,
    slug: values.slug,
    ownerEmail: values["owner-email"],
    name: values.name,
    plan,
    dryRun: values["dry-run"],
  });
  console.log(
    [
      r.dryRun
        ? `tenant:adopt (dry run, rolled back: nothing changed): schema "${values.schema}" can become the workspace "${r.tenant.slug}"`
        : `tenant:adopt: schema "${values.schema}" is now the workspace "${r.tenant.slug}" (${r.tenant.id})`,
      r.renamedFrom ? `  schema renamed to "${r.tenant.schemaName}"` : `  schema "${r.tenant.schemaName}"`,
      `  role ${r.tenant.dbRole}; owner ${r.tenant.ownerEmail}`,
      `  layout recognized as of migration ${r.recognized}; applied: ${r.applied.join(", ") || "none"}`,
      ...(r.demoted.length ? [`  former owners now admins: ${r.demoted.join(", ")}`] : []),
      ...(r.revoked.length ? [`  privileges revoked from: ${r.revoked.join(", ")}`] : []),
    ].join("\n"),
  );
} catch (err) {
  if (!(err instanceof AdoptionRefusedError)) throw err;
  console.error(`tenant:adopt refused: ${err.message}`);
  process.exitCode = 1;
} finally {
  await services.close();
  await runtime.stop();
}
