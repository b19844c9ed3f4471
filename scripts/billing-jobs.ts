// `pnpm billing:jobs [--now ISO-8601] [--tenant SLUG]`: expires unpaid trials (to Free, or suspended by
// TRIAL_EXPIRY_ACTION), suspends workspaces past due for longer than PAST_DUE_GRACE_DAYS, ends offline
// plans cancelled for their period end, and reports last month's API calls above each plan's
// allowance to Stripe's billing meter (once per tenant and month). Run it hourly or daily.
// Exit code 1 if any tenant failed (the others are done; a rerun is safe).
import { parseArgs } from "node:util";
import { onlyTenant } from "./billing-args";
import { prepareRuntime } from "./lib/runtime";
import { servicesFromEnv } from "./lib/services";

const { values } = parseArgs({ options: { now: { type: "string" }, tenant: { type: "string" } } });
const now = values.now ? new Date(values.now) : new Date();
if (Number.isNaN(now.getTime())) {
  console.error("--now must be an ISO-8601 date");
  process.exit(2);
}

const runtime = await prepareRuntime();
const services = await servicesFromEnv();
try {
  const tenantIds = await onlyTenant(services, values.tenant);
  const r = await services.billing.runJobs({ now, tenantIds });
  for (const t of r.trialsExpired)
    console.log(`  trial expired: ${t.slug} → ${t.action === "free" ? "Free" : "suspended"}`);
  for (const s of r.suspended) console.log(`  suspended (past due beyond the grace period): ${s}`);
  for (const s of r.cancellationsEnded) console.log(`  cancellation took effect: ${s} → Free`);
  for (const u of r.usage.reported)
    console.log(
      `  usage reported: ${u.slug} ${u.meter} ${u.quantity} ${u.meter === "storage" ? "GB" : "API calls"} (${u.usagePeriod}, at ${u.eventAt.toISOString()})`,
    );
  for (const e of r.errors) console.error(`  FAILED ${e.job} ${e.slug}: ${e.error}`);
  console.log(
    `billing:jobs (${services.billing.mode}) at ${now.toISOString()}: ${r.trialsExpired.length} trial(s) expired, ${r.suspended.length} suspended, ${r.cancellationsEnded.length} cancellation(s) ended, ${r.usage.reported.length} usage report(s)${r.usage.skipped ? ` (usage: ${r.usage.skipped})` : ""}, ${r.errors.length} failed`,
  );
  process.exitCode = r.errors.length ? 1 : 0;
} finally {
  await services.close();
  await runtime.stop();
}
