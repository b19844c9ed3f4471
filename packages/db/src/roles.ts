import { createHmac } from "node:crypto";

/**
 * PostgreSQL roles of the platform. Role names are cluster-wide, so every name carries a prefix
 * (DB_ROLE_PREFIX) that keeps two deployments — or two test runs — on one server apart.
 *
 * No login role is a member of another login role, so no SQL run on a connection can become any
 * role but the one it logged in as (PostgreSQL checks SET ROLE against the session user):
 * - `<p>_tenant_<slug>`: one per tenant, and the login of that tenant's work. USAGE on its own
 *   schema only; member of `<p>_tenant` (which sees nothing of its own).
 * - `<p>_tenant`: group role holding what every tenant role may do on the shared tables
 *   (rows filtered by RLS to the tenant's own). NOLOGIN.
 * - `<p>_platform_admin`: the login of super-admin work (its own pool); sees every row of the
 *   shared tables, reads tenant schemas.
 * - `<p>_app`: the login of what belongs to no tenant — host resolution (two SECURITY DEFINER
 *   functions), NOTIFY/LISTEN, health checks. Reads no table.
 * Passwords of the tenant and platform roles are derived from DATABASE_APP_PASSWORD (`rolePassword`).
 */
export type RoleNames = {
  prefix: string;
  app: string;
  tenantGroup: string;
  platformAdmin: string;
};

export function roleNames(prefix: string): RoleNames {
  if (!/^[a-z][a-z0-9]{1,11}$/.test(prefix)) throw new Error(`invalid role prefix: ${prefix}`);
  return {
    prefix,
    app: `${prefix}_app`,
    tenantGroup: `${prefix}_tenant`,
    platformAdmin: `${prefix}_platform_admin`,
  };
}

/** The role of one tenant, from its schema name (`tenant_<slug>`). At most 12 + 1 + 49 = 62 chars. */
export function tenantRoleName(prefix: string, schemaName: string): string {
  return `${prefix}_${schemaName}`;
}

/**
 * The password of a login role other than `<p>_app`: HMAC-SHA256 of the role name under the app
 * password (DATABASE_APP_PASSWORD), so every process derives it and nothing stores it. Re-applied to
 * every role by `migratePublic`, which is how a new app password reaches them.
 */
export function rolePassword(appPassword: string, role: string): string {
  return createHmac("sha256", appPassword).update(`nchat-db-role:${role}`).digest("base64url");
}
