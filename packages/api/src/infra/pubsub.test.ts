import { provisionTenant, withTenant } from "@nchat/db";
import { provisionInput, testDatabase, testMasterKey, uniqueSlug } from "@nchat/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, inject, it } from "vitest";
// The load test's fault proxy (plain node:net): cut() drops connections and refuses new ones.
import { startTcpProxy } from "../../../../scripts/load/tcp-proxy";
import { until } from "../realtime/testkit";
import { PgPubSub, RedisPubSub } from "./pubsub";
import { createRedis, redisReady } from "./redis";

const redisUrl = inject("redisUrl");
/** The run is on a Redis Cluster (the URL lists its nodes). */
const redisCluster = redisUrl?.includes(",") ?? false;
const db = testDatabase();
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await db.close();
});

/** A channel name no other test uses (a PostgreSQL identifier too). */
const channel = () => uniqueSlug("ps").replace("-", "_");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("RedisPubSub when Redis goes away", () => {
  it("subscribes again after the reconnect and calls onResume; a subscribe that failed meanwhile leaves nothing behind", async ({
    skip,
  }) => {
    skip(!redisUrl, "needs Redis: runs when the test run has REDIS_URL (as in CI)");
    skip(
      redisCluster,
      "one Redis only: the fault proxy fronts one node, a cluster's clients reach every node at its own address (cluster outages: README, Redis Cluster)",
    );
    const proxy = await startTcpProxy(redisUrl!);
    const client = createRedis(proxy.url);
    const direct = createRedis(redisUrl!);
    const pubsub = new RedisPubSub(client);
    cleanups.push(async () => {
      await pubsub.close();
      client.disconnect();
      direct.disconnect();
      await proxy.close();
    });
    await Promise.all([redisReady(client), redisReady(direct)]);

    const a = channel();
    const b = channel();
    const gotA: string[] = [];
    let resumed = 0;
    await pubsub.subscribe(a, (m) => gotA.push(m), { onResume: () => resumed++ });
    await direct.publish(a, "1");
    await until(() => gotA.length === 1, "the first message", 5_000);

    await proxy.cut();
    await expect(pubsub.subscribe(b, () => {})).rejects.toThrow();
    // Trying again while Redis is down must not pass for subscribed either.
    await expect(pubsub.subscribe(b, () => {})).rejects.toThrow();
    await direct.publish(a, "sent while cut off");
    expect(resumed).toBe(0);

    await proxy.restore();
    await until(() => resumed === 1, "onResume after the reconnect", 10_000);
    await direct.publish(a, "2");
    await until(() => gotA.length === 2, "a message after the reconnect", 5_000);
    // Pub/sub is fire-and-forget: what was sent meanwhile is lost. onResume is the cue to catch up.
    expect(gotA).toEqual(["1", "2"]);

    const gotB: string[] = [];
    await pubsub.subscribe(b, (m) => gotB.push(m));
    await direct.publish(b, "b");
    await until(() => gotB.length === 1, "a message on the channel whose subscribe had failed", 5_000);
  });
});

describe("PgPubSub when its connection drops", () => {
  it("listens again and calls onResume; after unsubscribing nothing more arrives", async () => {
    const pubsub = new PgPubSub(db);
    cleanups.push(() => pubsub.close());
    const c = channel();
    const got: string[] = [];
    let resumed = 0;
    const unsubscribe = await pubsub.subscribe(c, (m) => got.push(m), { onResume: () => resumed++ });
    await pubsub.publish(c, "one");
    await until(() => got.length === 1, "the first notification", 5_000);

    // Only this listener's connection (its last statement names the channel).
    const killed = await db.admin`
      select pg_terminate_backend(pid) from pg_stat_activity
      where query = ${`listen "${c}"`} and pid <> pg_backend_pid()`;
    expect(killed.length).toBe(1);
    await until(() => resumed === 1, "onResume after listening again", 15_000);
    await pubsub.publish(c, "two");
    await until(() => got.length === 2, "a notification after the reconnect", 5_000);

    await unsubscribe();
    await pubsub.publish(c, "three");
    await sleep(300);
    expect(got).toEqual(["one", "two"]);
  });
});

describe("PgPubSub against forged notifications", () => {
  it("drops what it did not sign: a tenant's SQL cannot inject events or invalidations", async () => {
    const pubsub = new PgPubSub(db);
    cleanups.push(() => pubsub.close());
    const c = channel();
    const got: string[] = [];
    await pubsub.subscribe(c, (m) => got.push(m));
    const { tenant } = await provisionTenant(db, provisionInput(uniqueSlug("ntf")), {
      masterKey: testMasterKey,
    });
    // Any role may NOTIFY any channel: a tenant's unit of work tries, plain and with a made-up signature.
    await withTenant(db, tenant, ({ db: tx }) =>
      tx.execute(sql`select pg_notify(${c}, '{"type":"message.created","forged":true}'),
                            pg_notify(${c}, ${`${"A".repeat(22)}{"forged":true}`})`),
    );
    await pubsub.publish(c, "genuine");
    await until(() => got.length === 1, "the signed message", 5_000);
    await sleep(200);
    expect(got).toEqual(["genuine"]);
  });
});
