import { createServices, type Services } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { migrateAllTenants, migratePublic } from "@nchat/db";

export function servicesFromEnv(): Promise<Services> {
  return createServices(loadEnv(process.env));
}

/** Control-plane migrations, roles and RLS, then every tenant schema. */
export async function migrateEverything(services: Services, log: (s: string) => void = () => {}) {
  await migratePublic(services.db);
  const result = await migrateAllTenants(services.db);
  log(
    `migrations: control plane current; ${result.total} tenant schema(s), ${result.applied} migration(s) applied`,
  );
  if (result.failed)
    throw new Error(`tenant migrations failed for ${result.failures.map((f) => f.slug).join(", ")}`);
}
