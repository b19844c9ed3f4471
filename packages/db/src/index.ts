export {
  type AdoptInput,
  AdoptionRefusedError,
  type AdoptRefusal,
  type AdoptResult,
  adoptSchema,
} from "./adopt";
export {
  type AvailabilityStats,
  DatabaseAvailability,
  DatabaseUnavailableError,
  isUnreachable,
} from "./availability";
export {
  appUrlFor,
  connect,
  createDatabase,
  type Database,
  type DatabaseConfig,
  type Executor,
  type PublicDb,
  type PublicTx,
  publicDb,
  type Sql,
  throughPooler,
  withCredentials,
} from "./client";
export * from "./crypto";
export { type Layout, layoutDifferences, migrationStatements, probeLayouts, readLayout } from "./layout";
export { forSchema, MIGRATIONS_DIR, migratePublic, migrateTenantSchema, tenantMigrations } from "./migrate";
export { type MigrateAllProgress, type MigrateAllResult, migrateAllTenants } from "./migrate-all";
export {
  isUniqueViolation,
  type ProvisionInput,
  type ProvisionStep,
  provisionTenant,
  purgeTenant,
  SlugTakenError,
} from "./provision";
export {
  installQueue,
  QUEUE_NAMES,
  QUEUE_SCHEMA,
  type QueueName,
  queueGrantsSql,
  SCHEDULED_QUEUE_NAMES,
  type ScheduledQueueName,
} from "./queue";
export { type RoleNames, roleNames, rolePassword, tenantRoleName } from "./roles";
export * from "./slug";
export { type TenantTables, tenantTables } from "./tenant/tables";
export { type TenantPoolStats, TenantPools } from "./tenant-pools";
export {
  type TenantActor,
  type TenantRef,
  type TenantTx,
  tablesFor,
  withPlatformAdmin,
  withTenant,
} from "./with-tenant";
