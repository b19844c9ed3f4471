import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "./client";
import { type EmbeddedServer, startEmbeddedPostgres } from "./embedded";

export type ScratchDatabase = {
  /** Privileged URL of the new, empty database. */
  adminUrl: string;
  /** Role prefix unique to this scratch database (roles are cluster-wide). */
  rolePrefix: string;
  appPassword: string;
  embedded: boolean;
  /** Drops the database and its roles (and stops an embedded server). */
  drop(): Promise<void>;
};

/**
 * A fresh database for tests and benchmarks: on the server at `serverUrl` (a superuser URL), or on a
 * throwaway embedded server when none is given. Role names get a unique prefix so runs never collide.
 */
export async function createScratchDatabase(serverUrl?: string, label = "scratch"): Promise<ScratchDatabase> {
  const run = randomBytes(3).toString("hex");
  let embedded: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  let url = serverUrl;
  if (!url) {
    dataDir = await mkdtemp(join(tmpdir(), `nchat-${label}-pg-`));
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false });
    url = embedded.url;
  }
  const dbName = `nchat_${label}_${run}`;
  const server = connect(url, { max: 1, name: `nchat-${label}` });
  await server.unsafe(`create database "${dbName}"`);
  const adminUrl = new URL(url);
  adminUrl.pathname = `/${dbName}`;
  const rolePrefix = `${label[0]}${run}`;
  return {
    adminUrl: adminUrl.toString(),
    rolePrefix,
    appPassword: randomBytes(12).toString("hex"),
    embedded: !!embedded,
    async drop() {
      await server.unsafe(`drop database if exists "${dbName}" with (force)`);
      const roles = await server<{ rolname: string }[]>`
        select rolname from pg_roles where rolname like ${`${rolePrefix}\\_%`}`;
      for (const { rolname } of roles) await server.unsafe(`drop role if exists "${rolname}"`);
      await server.end();
      if (embedded) await embedded.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
