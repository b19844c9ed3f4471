/**
 * PostgreSQL roles of the platform. Role names are cluster-wide, so every name carries a prefix
 * (DB_ROLE_PREFIX) that keeps two deployments — or two test runs — on one server apart.
 *
 * - `<p>_app`: the login role requests are served with. Owns nothing, NOINHERIT: its membership in
 *   the roles below gives it nothing until a transaction switches to one of them.
 * - `<p>_tenant`: group role holding what every tenant role may do on the shared tables
 *   (rows filtered by RLS to the tenant's own).
 * - `<p>_tenant_<slug>`: one per tenant; USAGE on its own schema only.
 * - `<p>_platform_admin`: super-admin work; sees every row of the shared tables, reads tenant schemas.
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
