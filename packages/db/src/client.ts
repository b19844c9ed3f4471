import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres, { type Sql } from "postgres";
import { DatabaseAvailability } from "./availability";
import * as publicSchema from "./public";
import { type RoleNames, roleNames, rolePassword } from "./roles";
import { TenantPools } from "./tenant-pools";

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
  /** The app role's password; the tenant and platform roles' passwords are derived from it. */
  appPassword: string;
  /**
   * Most connections this process opens for tenant work, all tenants together (default 20). Each
   * tenant's work logs in as the tenant's own role, so it has pools of its own: at most
   * `poolMax / tenantPoolMax` tenants have one open at a time (least recently used ones give
   * theirs up when another tenant needs a pool).
   */
  poolMax?: number;
  /** Most connections one tenant's work holds in this process (default 2). */
  tenantPoolMax?: number;
  /**
   * How `appUrl` pools connections. "transaction": a pooler in transaction mode (PgBouncer
   * `pool_mode=transaction`) — no named prepared statements (each transaction may land on another
   * server backend), and LISTEN on a direct connection (`listenUrl`). "session" (default): a direct
   * connection or session pooling.
   */
  appPoolMode?: "session" | "transaction";
  /**
   * Where the app role LISTENs for notifications (a session of its own that must stay on one
   * backend). Default: `appUrl` in session mode; DATABASE_URL's server with the app role's
   * credentials in transaction mode.
   */
  listenUrl?: string;
  /** Where availability changes are reported (the app's structured log; default: the console). */
  log?: (msg: string, err?: unknown) => void;
  /** Units of tenant/platform work that may wait for or hold an app connection at once (default 200). */
  maxInFlight?: number;
  /** Seconds to wait for a new connection (default 5). */
  connectTimeoutSeconds?: number;
};

export type Database = {
  config: DatabaseConfig;
  roles: RoleNames;
  /** Privileged pool. Never used to serve a tenant request. */
  admin: Sql;
  adminDb: PublicDb;
  /**
   * The app role's pool: host resolution, NOTIFY, health checks. It reads no table and can become no
   * other role.
   */
  app: Sql;
  /** The platform-admin role's own pool (super-admin work, billing jobs, usage flushes). */
  platform: Sql;
  platformDb: PublicDb;
  /** Tenant work: the pools of the tenant roles, each logged in as its tenant (`withTenant`). */
  tenantPools: TenantPools<PublicDb>;
  /** App-role connections for LISTEN (never through a transaction pool). Opened on first use. */
  readonly listener: Sql;
  /** Fails app work fast while the server is unreachable, and bounds the work waiting for it. */
  availability: DatabaseAvailability;
  close(): Promise<void>;
};

export function appUrlFor(adminUrl: string, roles: RoleNames, password: string): string {
  return withCredentials(adminUrl, roles.app, password);
}

/** `url` logged in as another role. */
export function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

/** `url` with the host and port of `pooler` (and, when given, other credentials). */
export function throughPooler(
  url: string,
  pooler: string,
  creds?: { user: string; password: string },
): string {
  const u = new URL(url);
  const p = new URL(pooler);
  u.hostname = p.hostname;
  u.port = p.port;
  if (creds) {
    u.username = creds.user;
    u.password = creds.password;
  }
  return u.toString();
}

export function connect(
  url: string,
  opts: {
    max?: number;
    prepare?: boolean;
    name?: string;
    connectTimeoutSeconds?: number;
    idleTimeoutSeconds?: number;
  } = {},
): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    prepare: opts.prepare ?? true,
    idle_timeout: opts.idleTimeoutSeconds ?? 30,
    max_lifetime: 60 * 15,
    connect_timeout: opts.connectTimeoutSeconds ?? 5,
    // Reconnect attempts while queries wait: postgres.js's default grows to 20 s between attempts,
    // so after an outage the first requests waited that long. At most 1 s here.
    backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 1),
    onnotice: () => {},
    connection: { application_name: opts.name ?? "nchat" },
  });
}

export function createDatabase(config: DatabaseConfig): Database {
  const roles = roleNames(config.rolePrefix);
  const admin = connect(config.adminUrl, { max: 4, name: "nchat-admin" });
  const appUrl = config.appUrl ?? appUrlFor(config.adminUrl, roles, config.appPassword);
  const poolMax = config.poolMax ?? 20;
  const tenantPoolMax = Math.min(config.tenantPoolMax ?? 2, poolMax);
  if (!Number.isInteger(tenantPoolMax) || tenantPoolMax < 1)
    throw new Error(`tenantPoolMax must be an integer ≥ 1: ${tenantPoolMax}`);
  const transactionPooling = config.appPoolMode === "transaction";
  const connectTimeoutSeconds = config.connectTimeoutSeconds;
  const loginAs = (role: string, name: string, max: number, idleTimeoutSeconds?: number) =>
    connect(withCredentials(appUrl, role, rolePassword(config.appPassword, role)), {
      max,
      prepare: !transactionPooling,
      name,
      connectTimeoutSeconds,
      idleTimeoutSeconds,
    });
  const app = connect(appUrl, {
    max: 4,
    prepare: !transactionPooling,
    name: "nchat-app",
    connectTimeoutSeconds,
  });
  const platform = loginAs(roles.platformAdmin, "nchat-platform", 5);
  const tenantPools = new TenantPools<PublicDb>({
    maxPools: Math.max(1, Math.floor(poolMax / tenantPoolMax)),
    // A quiet tenant's backends go after 10 s; its pool object stays until another tenant needs the room.
    open: (role) => {
      const sql = loginAs(role, "nchat-tenant", tenantPoolMax, 10);
      return { sql, db: publicDb(sql) };
    },
  });
  const listenUrl =
    config.listenUrl ?? (transactionPooling ? appUrlFor(config.adminUrl, roles, config.appPassword) : appUrl);
  let listener: Sql | undefined;
  const log =
    config.log ?? ((msg: string, err?: unknown) => console.warn(msg, err === undefined ? "" : String(err)));
  const availability = new DatabaseAvailability({
    maxInFlight: config.maxInFlight ?? 200,
    onChange: (up, err) =>
      up
        ? log("database: reachable again")
        : log("database: unreachable, failing requests fast until it answers", err),
    // Rare and worth knowing why: which pools were busy and how many units of work waited.
    onWaitedTooLong: (stats) =>
      log(
        `database: a unit of work got no connection within 10 s and was refused (503, retryable): ${JSON.stringify({ ...stats, tenantPools: tenantPools.stats() })}`,
      ),
  });
  return {
    config,
    roles,
    admin,
    adminDb: publicDb(admin),
    app,
    platform,
    platformDb: publicDb(platform),
    tenantPools,
    get listener() {
      listener ??=
        listenUrl === appUrl
          ? app
          : connect(listenUrl, { max: 1, name: "nchat-listen", connectTimeoutSeconds });
      return listener;
    },
    availability,
    async close() {
      const pools = new Set([admin, app, platform, ...(listener ? [listener] : [])]);
      await Promise.all([tenantPools.close(), ...[...pools].map((p) => p.end({ timeout: 5 }))]);
    },
  };
}

export function publicDb(client: Sql): PublicDb {
  return drizzle({ client, schema: publicSchema });
}
