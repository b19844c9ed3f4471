import { createServices, databaseConfig, type Services } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { createDatabase, migrateAllTenants, migratePublic } from "@nchat/db";

/**
 * The services of a script. Migrate first: they use roles the migrations create. A script queues
 * jobs but neither works them nor schedules (the app processes do): a short-lived command must not
 * pick up a queued purge or billing run and stop in the middle of it.
 */
export function servicesFromEnv(): Promise<Services> {
  return createServices(loadEnv({ ...process.env, QUEUE_WORKER: "false", JOBS_SCHEDULE: "false" }));
}

/** Control-plane migrations, roles and RLS, then every tenant schema. */
export async function migrateEverything(log: (s: string) => void = () => {}) {
  const db = createDatabase(databaseConfig(loadEnv(process.env)));
  try {
    await migratePublic(db);
    const result = await migrateAllTenants(db);
    log(
      `migrations: control plane current; ${result.total} tenant schema(s), ${result.applied} migration(s) applied`,
    );
    if (result.failed)
      throw new Error(`tenant migrations failed for ${result.failures.map((f) => f.slug).join(", ")}`);
  } finally {
    await db.close();
  }
}
