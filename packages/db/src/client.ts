import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres, { type Sql } from "postgres";
import * as publicSchema from "./public";
import { type RoleNames, roleNames } from "./roles";

export type { Sql };
export type PublicDb = PostgresJsDatabase<typeof publicSchema>;
/** A drizzle transaction over the public schema (tables of tenant schemas are used through it too). */
export type PublicTx = Parameters<Parameters<PublicDb["transaction"]>[0]>[0];
/** Anything that runs SQL: the pool's drizzle instance or a transaction. */
export type Executor = PublicDb | PublicTx;

export type DatabaseConfig = {
  /** Privileged connection: migrations, provisioning, purge. Superuser, or CREATEROLE + BYPASSRLS. */
  adminUrl: string;
  /** Request-serving connection; defaults to adminUrl with the app role's user and password. */
  appUrl?: string;
  rolePrefix: string;
  appPassword: string;
  poolMax?: number;
  /**
   * Tenant-affine routing: with N > 1 the app connections are N tenant pools of ceil(poolMax / N)
   * (a tenant's work always runs on the pool its id hashes to, so each backend caches the catalog
   * of 1/N of the tenants) plus one more of that size (at least 2) for everything else. 1 (default):
   * one pool for all.
   */
  poolShards?: number;
  /** postgres-js prepared statements (one per distinct SQL text per connection). */
  prepare?: boolean;
};

export type Database = {
  config: DatabaseConfig;
  roles: RoleNames;
  /** Privileged pool. Never used to serve a tenant request. */
  admin: Sql;
  adminDb: PublicDb;
  /**
   * App-role pool: owns nothing; every unit of work switches to a tenant or platform-admin role.
   * Serves platform-admin work, pub/sub and the resolver's lookups; tenant work too when unsharded.
   */
  app: Sql;
  appDb: PublicDb;
  /** App-role pools of tenant work, one per shard (`[app]` when unsharded). */
  appPools: Sql[];
  /** The pool a tenant's work always runs on: `appPools[shardOf(tenantId, appPools.length)]`. */
  appDbFor(tenantId: string): PublicDb;
  close(): Promise<void>;
};

export function appUrlFor(adminUrl: string, roles: RoleNames, password: string): string {
  const u = new URL(adminUrl);
  u.username = roles.app;
  u.password = password;
  return u.toString();
}

export function connect(url: string, opts: { max?: number; prepare?: boolean; name?: string } = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    prepare: opts.prepare ?? true,
    idle_timeout: 30,
    max_lifetime: 60 * 15,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: opts.name ?? "nchat" },
  });
}

/**
 * The shard (0 … shards-1) of a tenant id: FNV-1a of the id modulo `shards`. The same in every
 * process, so a tenant lands on the same connections wherever it is served.
 */
export function shardOf(tenantId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tenantId.length; i++) h = Math.imul(h ^ tenantId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
}

export function createDatabase(config: DatabaseConfig): Database {
  const roles = roleNames(config.rolePrefix);
  const admin = connect(config.adminUrl, { max: 4, name: "nchat-admin" });
  const appUrl = config.appUrl ?? appUrlFor(config.adminUrl, roles, config.appPassword);
  const shards = config.poolShards ?? 1;
  if (!Number.isInteger(shards) || shards < 1)
    throw new Error(`poolShards must be an integer ≥ 1: ${shards}`);
  const poolMax = config.poolMax ?? 10;
  const pool = (name: string, max: number) => connect(appUrl, { max, prepare: config.prepare, name });
  // Platform-admin work (the usage flush recounts every touched tenant) stays off the tenant pools.
  const perShard = Math.ceil(poolMax / shards);
  const app = pool("nchat-app", shards === 1 ? poolMax : Math.max(2, perShard));
  const appPools =
    shards === 1 ? [app] : Array.from({ length: shards }, (_, i) => pool(`nchat-app-${i}`, perShard));
  const appDb = publicDb(app);
  const appDbs = shards === 1 ? [appDb] : appPools.map(publicDb);
  return {
    config,
    roles,
    admin,
    adminDb: publicDb(admin),
    app,
    appDb,
    appPools,
    appDbFor: (tenantId) => appDbs[shardOf(tenantId, shards)]!,
    async close() {
      await Promise.all([...new Set([admin, app, ...appPools])].map((p) => p.end({ timeout: 5 })));
    },
  };
}

export function publicDb(client: Sql): PublicDb {
  return drizzle({ client, schema: publicSchema });
}
