import type { Env } from "@nchat/config";
import { createDatabase, type Database, type MasterKey, parseMasterKey } from "@nchat/db";
import { SuperAdminService } from "./services/super-admin-service";
import { TenantService } from "./services/tenant-service";

export type Services = {
  db: Database;
  masterKey: MasterKey;
  tenants: TenantService;
  superAdmins: SuperAdminService;
  close(): Promise<void>;
};

/** Builds the server-side services from a validated environment. */
export function createServices(env: Env): Services {
  if (!env.DATABASE_URL)
    throw new Error("DATABASE_URL is not set (pnpm dev starts an embedded PostgreSQL and sets it)");
  if (!env.MASTER_ENCRYPTION_KEY)
    throw new Error("MASTER_ENCRYPTION_KEY is not set (pnpm dev generates one under .data/)");
  const db = createDatabase({
    adminUrl: env.DATABASE_URL,
    appUrl: env.DATABASE_APP_URL,
    rolePrefix: env.DB_ROLE_PREFIX,
    appPassword: env.DATABASE_APP_PASSWORD,
    poolMax: env.DATABASE_POOL_MAX,
  });
  const masterKey = parseMasterKey(env.MASTER_ENCRYPTION_KEY);
  return {
    db,
    masterKey,
    tenants: new TenantService({ db, masterKey }),
    superAdmins: new SuperAdminService({ db }),
    close: () => db.close(),
  };
}
