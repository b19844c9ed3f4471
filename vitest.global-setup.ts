import { createDatabase, migratePublic, roleNames, throughPooler } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
// Declares the ProvidedContext keys provided below.
import type {} from "@nchat/db/testing";
import type { TestProject } from "vitest/node";
import { createRedis, isCluster, redisReady } from "./packages/api/src/infra/redis";

/**
 * One PostgreSQL database per test run: a fresh database on the server at DATABASE_URL (CI), or on
 * an embedded server when DATABASE_URL is unset. Migrated once here; tests share it.
 */
export default async function setup(project: TestProject) {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "test");
  const db = createDatabase(scratch);
  await migratePublic(db);
  await db.close();

  // TEST_APP_VIA_POOLER=true: every app-role connection of the run goes through the transaction
  // pooler at TEST_TRANSACTION_POOLER, as in a deployment behind PgBouncer.
  const pooler = process.env.TEST_TRANSACTION_POOLER;
  const viaPooler = process.env.TEST_APP_VIA_POOLER === "true";
  if (viaPooler && !pooler) throw new Error("TEST_APP_VIA_POOLER needs TEST_TRANSACTION_POOLER");
  project.provide("testDb", {
    adminUrl: scratch.adminUrl,
    rolePrefix: scratch.rolePrefix,
    appPassword: scratch.appPassword,
    embedded: scratch.embedded,
    ...(viaPooler && pooler
      ? {
          appUrl: throughPooler(scratch.adminUrl, pooler, {
            user: roleNames(scratch.rolePrefix).app,
            password: scratch.appPassword,
          }),
          appPoolMode: "transaction" as const,
        }
      : {}),
  });
  project.provide("redisUrl", await testRedisUrl());
  return () => scratch.drop();
}

/**
 * REDIS_URL as the tests see it. With REDIS_CLUSTER=true and one seed node, the URL lists every
 * master of that cluster instead (several nodes mean a cluster to `createRedis`), so the clients
 * tests build from the URL themselves are cluster clients too.
 */
async function testRedisUrl(): Promise<string | null> {
  const url = process.env.REDIS_URL;
  if (!url || !["true", "1"].includes(process.env.REDIS_CLUSTER ?? "")) return url ?? null;
  const cluster = createRedis(url, { cluster: true, name: "test-setup" });
  try {
    await redisReady(cluster, 10_000);
    const nodes = isCluster(cluster) ? cluster.nodes("master") : [];
    return [url, ...nodes.map((n) => `${n.options.host}:${n.options.port}`)].join(",");
  } finally {
    cluster.disconnect();
  }
}
