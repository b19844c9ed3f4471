import { randomUUID } from "node:crypto";
import type { Database, TenantRef } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
// The load test's fault proxy (plain node:net): cut() drops connections and refuses new ones.
import { startTcpProxy } from "../../../../scripts/load/tcp-proxy";
import { SYSTEM } from "../audit/actor";
import { LocalPubSub, RedisPubSub } from "../infra/pubsub";
import { createRedis, redisReady } from "../infra/redis";
import type { Services } from "../server";
import { tenantWithOwner, testServices } from "../testing";
import { type FeedItem, RealtimeBus } from "./bus";
import { emit, generalChannel, messageCreated, Subscription, until } from "./testkit";

const redisUrl = inject("redisUrl");
/** The run is on a Redis Cluster (the URL lists its nodes). */
const redisCluster = redisUrl?.includes(",") ?? false;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = (items: { id: number }[]) => items.map((e) => e.id);

describe("realtime without Redis pub/sub", () => {
  it("a stream opened while Redis is down opens from the database, polls it, and goes live once Redis is back — every event once, in order", {
    timeout: 90_000,
  }, async ({ skip }) => {
    skip(!redisUrl, "needs Redis: runs when the test run has REDIS_URL (as in CI); embedded runs have none");
    skip(
      redisCluster,
      "one Redis only: the fault proxy fronts one node, a cluster's clients reach every node at its own address (cluster outages: README, Redis Cluster)",
    );
    // Only these services reach Redis through the proxy.
    const proxy = await startTcpProxy(redisUrl!);
    const drilled = await testServices({ REDIS_URL: proxy.url });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {}); // the expected fallback warnings
    cleanups.push(async () => {
      warn.mockRestore();
      await drilled.close();
      await proxy.close();
    });
    await redisReady(drilled.redis!);
    const owner = await tenantWithOwner(drilled, uniqueSlug("down"));
    const general = await generalChannel(drilled, owner.tenant);
    const before = await emit(drilled, owner.tenant, messageCreated(general, "before the outage"));

    await proxy.cut();
    const missed = await emit(drilled, owner.tenant, messageCreated(general, "stored while Redis is down"));
    // Opens although the subscription cannot be made, with what the database has.
    const sub = await Subscription.open(drilled, owner.client, { lastEventId: before.id - 1 });
    cleanups.push(() => sub.stop());
    await sub.ready();
    expect(ids(sub.durable)).toEqual([before.id, missed.id]);
    expect(drilled.realtime.stats()).toMatchObject({ feeds: 1, feedsWithoutPubSub: 1 });

    // Still down: new events come from the database (the feed polls it).
    const polled = await emit(drilled, owner.tenant, messageCreated(general, "while down, stream open"));
    await sub.waitForEvent(polled.id);
    expect(drilled.realtime.stats().catchUps.poll).toBeGreaterThan(0);

    // A writer goes on across the restore: nothing lost or repeated at the switch to live.
    const written: number[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        written.push((await emit(drilled, owner.tenant, messageCreated(general, `w${i}`))).id);
        await sleep(20);
      }
    })();
    await sleep(500);
    await proxy.restore();
    await until(() => drilled.realtime.stats().feedsWithoutPubSub === 0, "the feed subscribed again", 30_000);
    await sleep(300);
    writing = false;
    await writer;
    const polls = drilled.realtime.stats().catchUps.poll;
    const live = await emit(drilled, owner.tenant, messageCreated(general, "live again"));
    await sub.waitForEvent(live.id);
    await sleep(3_500); // more than a poll interval (2 s + up to 1 s): room for polls and stragglers (neither may come)
    expect(ids(sub.durable)).toEqual([before.id, missed.id, polled.id, ...written, live.id]);

    const stats = drilled.realtime.stats();
    expect(stats.catchUps.poll).toBe(polls); // no more polling once live
    expect(stats.eventsRecovered).toBeGreaterThanOrEqual(1);
    expect(stats.withoutPubSubMs).toBeGreaterThan(500);
    expect(stats.publishFailures).toBeGreaterThan(0);
  });

  it("after a Redis reconnect, 200 tenant feeds catch up a few queries at a time, and every event arrives once", {
    timeout: 240_000,
  }, async ({ skip }) => {
    skip(!redisUrl, "needs Redis: runs when the test run has REDIS_URL (as in CI); embedded runs have none");
    skip(
      redisCluster,
      "one Redis only: the fault proxy fronts one node, a cluster's clients reach every node at its own address (cluster outages: README, Redis Cluster)",
    );
    const services: Services = await testServices();
    const proxy = await startTcpProxy(redisUrl!);
    const redis = createRedis(proxy.url);
    const pubsub = new RedisPubSub(redis);
    cleanups.push(async () => {
      await pubsub.close();
      redis.disconnect();
      await proxy.close();
      await services.close();
    });
    await redisReady(redis);

    // The bus's database reads, counted while they run.
    const reads = { now: 0, peak: 0 };
    // (A view of the services' database whose tenant pools count the work they run.)
    const tenantPools: Pick<Database["tenantPools"], "run"> = {
      run: (role, fn) =>
        services.db.tenantPools.run(role, async (pool) => {
          reads.peak = Math.max(reads.peak, ++reads.now);
          try {
            return await fn(pool);
          } finally {
            reads.now--;
          }
        }),
    };
    const counted = {
      availability: services.db.availability,
      tenantPools: tenantPools as Database["tenantPools"],
    };
    const concurrency = 4;
    const bus = new RealtimeBus({
      db: counted,
      pubsub,
      namespace: inject("testDb").rolePrefix,
      catchUpIntervalMs: 0, // only the reconnect makes feeds read
      catchUpConcurrency: concurrency,
    });
    cleanups.push(() => bus.close());

    // 200 tenants, each with a feed in this process.
    const N = 200;
    const tenants: { ref: TenantRef; general: string; got: number[] }[] = [];
    const slugs = Array.from({ length: N }, () => uniqueSlug("burst"));
    for (let i = 0; i < N; i += 10)
      await Promise.all(
        slugs.slice(i, i + 10).map(async (slug) => {
          const { tenant } = await services.tenants.createTenant(
            {
              name: `Org ${slug}`,
              slug,
              ownerEmail: `owner@${slug}.test`,
              ownerName: "Owner",
              ownerPassword: "owner-password-1",
            },
            SYSTEM,
          );
          tenants.push({ ref: tenant, general: await generalChannel(services, tenant), got: [] });
        }),
      );
    const userId = randomUUID();
    await Promise.all(
      tenants.map((t) =>
        bus.subscribe(t.ref, {
          userId,
          push: ({ event }) => {
            if (event.id !== null) t.got.push(event.id);
          },
        }),
      ),
    );
    expect(bus.stats()).toMatchObject({ feeds: N, feedsWithoutPubSub: 0 });

    // Redis goes away; every tenant stores events nobody hears of.
    await proxy.cut();
    const sent = new Map<string, number[]>();
    for (let i = 0; i < N; i += 20)
      await Promise.all(
        tenants.slice(i, i + 20).map(async (t) => {
          const a = await emit(services, t.ref, messageCreated(t.general, "one"), false);
          const b = await emit(services, t.ref, messageCreated(t.general, "two"), false);
          sent.set(t.ref.id, [a.id, b.id]);
        }),
      );
    reads.peak = 0;
    const before = bus.stats();
    await proxy.restore();

    // Every feed resumes and catches up: every event once, in order.
    await until(
      () => tenants.every((t) => t.got.length >= 2),
      "every tenant's events after the reconnect",
      60_000,
    ).catch(() => {});
    await sleep(200);
    const wrong = tenants.filter((t) => JSON.stringify(t.got) !== JSON.stringify(sent.get(t.ref.id)));
    expect(wrong.length).toBe(0);
    // …without a burst: never more than `concurrency` catch-up queries at once.
    expect(reads.peak).toBeLessThanOrEqual(concurrency);
    expect(reads.peak).toBeGreaterThan(0);

    const after = bus.stats();
    expect(after.resumes - before.resumes).toBe(N);
    expect(after.catchUps.resume - before.catchUps.resume).toBe(N);
    expect(after.eventsRecovered - before.eventsRecovered).toBe(2 * N);
    expect(after).toMatchObject({ feeds: N, feedsWithoutPubSub: 0, catchUpsRunning: 0, catchUpsWaiting: 0 });
  });
});

describe("a tenant feed's database reads", () => {
  /** A bus in this process over the services' database, whose transactions can be made to fail. */
  async function feedOf(opts: Partial<ConstructorParameters<typeof RealtimeBus>[0]> = {}) {
    const services = await testServices({ REDIS_URL: "" });
    cleanups.push(() => services.close());
    const control = { fail: 0 };
    const tenantPools: Pick<Database["tenantPools"], "run"> = {
      run: (role, fn) => {
        if (control.fail > 0) {
          control.fail--;
          return Promise.reject(new Error("read failed (test)"));
        }
        return services.db.tenantPools.run(role, fn);
      },
    };
    const db = {
      availability: services.db.availability,
      tenantPools: tenantPools as Database["tenantPools"],
    };
    const pubsub = new LocalPubSub();
    const bus = new RealtimeBus({
      db,
      pubsub,
      namespace: inject("testDb").rolePrefix,
      catchUpIntervalMs: 0, // no periodic backstop: each path must deliver on its own
      log: () => {},
      ...opts,
    });
    cleanups.push(() => bus.close());
    const owner = await tenantWithOwner(services, uniqueSlug("feed"));
    const general = await generalChannel(services, owner.tenant);
    const got: FeedItem[] = [];
    await bus.subscribe(owner.tenant, { userId: owner.ownerId, push: (item) => got.push(item) });
    return { services, bus, owner, general, got, control };
  }

  it("a read that does not come back holds up the tenant's delivery only until its time limit", async () => {
    const { services, bus, owner, general, got } = await feedOf({ readTimeoutMs: 500 });
    const changed = await emit(
      services,
      owner.tenant,
      { type: "channel.updated", channelId: general },
      false,
    );
    const after = await emit(services, owner.tenant, messageCreated(general, "after the change"), false);
    // The channel's access lookup (a read of `channels`) waits behind a lock that is not released
    // before the events must have arrived.
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const locking = services.db.admin.begin(async (tx) => {
      await tx`lock table ${tx(owner.tenant.schemaName)}.channels in access exclusive mode`;
      await released;
    });
    try {
      await sleep(100);
      await bus.publish(owner.tenant, changed);
      await bus.publish(owner.tenant, after);
      await until(() => got.some((i) => i.event.id === after.id), "the events behind the stuck read", 5_000);
      expect(got.map((i) => i.event.id)).toEqual([changed.id, after.id]);
      expect(got[0]!.access).toBeUndefined(); // the streams check for themselves
      expect(bus.stats().readTimeouts).toBe(1);
    } finally {
      release();
      await locking;
    }
  });

  it("a gap whose read failed is read again without waiting for the next event", async () => {
    const { services, bus, owner, general, got, control } = await feedOf();
    const first = await emit(services, owner.tenant, messageCreated(general, "first"), false);
    const second = await emit(services, owner.tenant, messageCreated(general, "second"), false);
    control.fail = 1; // the gap's read
    await bus.publish(owner.tenant, second); // `first` never comes on the wire
    await until(() => got.some((i) => i.event.id === second.id), "both events after the retry", 10_000);
    expect(got.map((i) => i.event.id)).toEqual([first.id, second.id]);
    expect(bus.stats().catchUps.gap).toBe(2);
  });
});
