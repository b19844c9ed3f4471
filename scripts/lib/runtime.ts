import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect as connectTcp } from "node:net";
import { join, resolve } from "node:path";
import { loadEnv } from "@nchat/config";
import { connect, generateKeyBase64 } from "@nchat/db";
import { type EmbeddedServer, startEmbeddedPostgres } from "@nchat/db/embedded";

export const ROOT = resolve(import.meta.dirname, "../..");
export const DATA_DIR = join(ROOT, ".data");

type Secrets = { masterKey: string; appPassword: string };

/** Development secrets, generated once and kept under .data/ so data stays readable across restarts. */
function devSecrets(): Secrets {
  const file = join(DATA_DIR, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Secrets;
  mkdirSync(DATA_DIR, { recursive: true });
  const secrets = { masterKey: generateKeyBase64(), appPassword: randomBytes(18).toString("base64url") };
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export type Runtime = {
  /** Environment for this process and the apps it starts. */
  env: Record<string, string>;
  embedded: boolean;
  stop(): Promise<void>;
};

/**
 * Everything a local run needs without any setup: `.env` if present, generated dev secrets, and —
 * when DATABASE_URL is unset — an embedded PostgreSQL under .data/postgres with a `nchat` database.
 */
export async function prepareRuntime(opts: { log?: (s: string) => void } = {}): Promise<Runtime> {
  const log = opts.log ?? (() => {});
  if (existsSync(join(ROOT, ".env"))) process.loadEnvFile(join(ROOT, ".env"));
  // Production: only what the environment says — no generated secrets, no embedded database.
  if (process.env.NODE_ENV === "production") {
    loadEnv(process.env);
    return { env: {}, embedded: false, stop: async () => {} };
  }
  const secrets = devSecrets();
  const env: Record<string, string> = {
    MASTER_ENCRYPTION_KEY: process.env.MASTER_ENCRYPTION_KEY || secrets.masterKey,
    DATABASE_APP_PASSWORD: process.env.DATABASE_APP_PASSWORD || secrets.appPassword,
    FILES_DIR: process.env.FILES_DIR || join(DATA_DIR, "files"),
  };
  let server: EmbeddedServer | undefined;
  if (!process.env.DATABASE_URL) {
    const port = Number(process.env.EMBEDDED_PG_PORT || 54329);
    if (await portInUse(port)) {
      throw new Error(
        `port ${port} is in use: is another \`pnpm dev\` running? Stop it, or set EMBEDDED_PG_PORT.`,
      );
    }
    log(`starting embedded PostgreSQL on 127.0.0.1:${port} (data in .data/postgres)`);
    server = await startEmbeddedPostgres({ dataDir: join(DATA_DIR, "postgres"), port, persistent: true });
    const admin = connect(server.url, { max: 1 });
    const [exists] = await admin`select 1 from pg_database where datname = 'nchat'`;
    if (!exists) await admin.unsafe("create database nchat");
    await admin.end();
    env.DATABASE_URL = server.url.replace(/\/postgres$/, "/nchat");
  }
  Object.assign(process.env, env);
  loadEnv(process.env); // fail early on anything invalid
  return {
    env,
    embedded: !!server,
    stop: async () => {
      await server?.stop();
    },
  };
}
