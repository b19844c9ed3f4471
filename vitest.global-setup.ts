import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createDatabase, migratePublic } from "@nchat/db";
import { type EmbeddedServer, startEmbeddedPostgres } from "@nchat/db/embedded";
// Declares the ProvidedContext keys provided below.
import type {} from "@nchat/db/testing";
import type { TestProject } from "vitest/node";

/**
 * One PostgreSQL per test run: the server at DATABASE_URL (CI) in a fresh database, or an embedded
 * server when DATABASE_URL is unset. Role names get a per-run prefix, so runs never collide.
 */
export default async function setup(project: TestProject) {
  const run = randomBytes(3).toString("hex");
  const rolePrefix = `t${run}`;
  const appPassword = randomBytes(12).toString("hex");
  let embedded: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    dataDir = await mkdtemp(join(tmpdir(), "nchat-test-pg-"));
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false });
    serverUrl = embedded.url;
  }
  const dbName = `nchat_test_${run}`;
  const server = connect(serverUrl, { max: 1, name: "nchat-test-setup" });
  await server.unsafe(`create database "${dbName}"`);
  const adminUrl = new URL(serverUrl);
  adminUrl.pathname = `/${dbName}`;

  const db = createDatabase({ adminUrl: adminUrl.toString(), rolePrefix, appPassword });
  await migratePublic(db);
  await db.close();

  project.provide("testDb", { adminUrl: adminUrl.toString(), rolePrefix, appPassword, embedded: !!embedded });
  project.provide("redisUrl", process.env.REDIS_URL ?? null);

  return async () => {
    await server.unsafe(`drop database if exists "${dbName}" with (force)`);
    const roles = await server<{ rolname: string }[]>`
      select rolname from pg_roles where rolname like ${`${rolePrefix}\\_%`}`;
    for (const { rolname } of roles) await server.unsafe(`drop role if exists "${rolname}"`);
    await server.end();
    if (embedded) await embedded.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}
