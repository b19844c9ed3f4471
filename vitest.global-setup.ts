import { createDatabase, migratePublic } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
// Declares the ProvidedContext keys provided below.
import type {} from "@nchat/db/testing";
import type { TestProject } from "vitest/node";

/**
 * One PostgreSQL database per test run: a fresh database on the server at DATABASE_URL (CI), or on
 * an embedded server when DATABASE_URL is unset. Migrated once here; tests share it.
 */
export default async function setup(project: TestProject) {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "test");
  const db = createDatabase(scratch);
  await migratePublic(db);
  await db.close();

  project.provide("testDb", {
    adminUrl: scratch.adminUrl,
    rolePrefix: scratch.rolePrefix,
    appPassword: scratch.appPassword,
    embedded: scratch.embedded,
  });
  project.provide("redisUrl", process.env.REDIS_URL ?? null);
  return () => scratch.drop();
}
