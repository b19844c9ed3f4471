// `pnpm billing:reconcile [--dry-run] [--tenant SLUG]`: compares every workspace with a Stripe customer to Stripe
// (its subscription, or the customer's newest live one when none is recorded) and repairs drift
// through the same rules as the webhooks, printing each change (audited as billing.* by the system).
// --dry-run prints what would change and changes nothing. Exit code 1 if any tenant failed.
import { parseArgs } from "node:util";
import { onlyTenant } from "./billing-args";
import { prepareRuntime } from "./lib/runtime";
import { servicesFromEnv } from "./lib/services";

const { values } = parseArgs({
  options: { "dry-run": { type: "boolean", default: false }, tenant: { type: "string" } },
});
const dryRun = values["dry-run"] ?? false;

const fmt = (v: unknown) =>
  v instanceof Date ? v.toISOString() : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);

const runtime = await prepareRuntime();
const services = await servicesFromEnv();
try {
  if (services.billing.mode === "offline") {
    console.log("billing:reconcile: billing is offline (no STRIPE_SECRET_KEY); nothing to compare.");
  } else {
    const tenantIds = await onlyTenant(services, values.tenant);
    const r = await services.billing.reconcile({ dryRun, tenantIds });
    for (const d of r.drifted) {
      console.log(`  ${dryRun ? "WOULD CHANGE" : "CHANGED"} ${d.slug} (${d.subscriptionId})`);
      for (const [k, c] of Object.entries(d.changes)) console.log(`    ${k}: ${fmt(c.from)} → ${fmt(c.to)}`);
    }
    for (const e of r.errors) console.error(`  FAILED ${e.slug}: ${e.error}`);
    console.log(
      `billing:reconcile${dryRun ? " (dry run)" : ""}: ${r.checked} workspace(s) checked, ${r.drifted.length} ${dryRun ? "drifted" : "repaired"}, ${r.errors.length} failed`,
    );
    process.exitCode = r.errors.length ? 1 : 0;
  }
} finally {
  await services.close();
  await runtime.stop();
}
