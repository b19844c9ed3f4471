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
  /** postgres-js prepared statements (one per distinct SQL text per connection). */
  prepare?: boolean;
};

export type Database = {
  config: DatabaseConfig;
  roles: RoleNames;
  /** Privileged pool. Never used to serve a tenant request. */
  admin: Sql;
  adminDb: PublicDb;
  /** App-role pool: owns nothing; every unit of work switches to a tenant or platform-admin role. */
  app: Sql;
  appDb: PublicDb;
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

export function createDatabase(config: DatabaseConfig): Database {
  const roles = roleNames(config.rolePrefix);
  const admin = connect(config.adminUrl, { max: 4, name: "nchat-admin" });
  const app = connect(config.appUrl ?? appUrlFor(config.adminUrl, roles, config.appPassword), {
    max: config.poolMax ?? 10,
    prepare: config.prepare,
    name: "nchat-app",
  });
  return {
    config,
    roles,
    admin,
    adminDb: publicDb(admin),
    app,
    appDb: publicDb(app),
    async close() {
      await Promise.all([admin.end({ timeout: 5 }), app.end({ timeout: 5 })]);
    },
  };
}

export function publicDb(client: Sql): PublicDb {
  return drizzle({ client, schema: publicSchema });
}
