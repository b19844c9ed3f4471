// Against a real Redis Cluster: REDIS_CLUSTER_URL names a seed node (CI starts one with
// `scripts/ci/redis-cluster.sh start` → redis://127.0.0.1:7001).
import { randomBytes } from "node:crypto";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sameSlotKeys, UpstashIoRedisAdapter } from "../ratelimit/ioredis-adapter";
import { RedisRateLimiter } from "../ratelimit/limiter";
import { AUTH_POLICIES, type RatePolicy, tenantPolicies } from "../ratelimit/policies";
import { until } from "../realtime/testkit";
import type { Services } from "../server";
import { TenantResolver } from "../tenancy/resolver";
import { TEST_BASE_DOMAIN, TestClient, tenantWithOwner, testServices } from "../testing";
import { RedisPubSub } from "./pubsub";
import { createRedis, isCluster, type RedisClient, redisReady } from "./redis";

const clusterUrl = process.env.REDIS_CLUSTER_URL || null;
const SKIP_REASON =
  "needs a Redis Cluster: set REDIS_CLUSTER_URL (scripts/ci/redis-cluster.sh start → redis://127.0.0.1:7001)";

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
afterEach(() => {
  vi.useRealTimers();
});

async function cluster(name = `ct-${randomBytes(3).toString("hex")}`): Promise<RedisClient> {
  const c = createRedis(clusterUrl!, { name, cluster: true });
  cleanups.push(() => c.disconnect());
  await redisReady(c);
  return c;
}

const keyslot = async (c: RedisClient, key: string) => Number(await c.cluster("KEYSLOT", key));

/** Every key matching `pattern` on every master, with its slot. */
async function keysOnCluster(c: RedisClient, pattern: string): Promise<{ key: string; node: string }[]> {
  if (!isCluster(c)) throw new Error("not a cluster");
  const found: { key: string; node: string }[] = [];
  for (const node of c.nodes("master")) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      for (const key of keys) found.push({ key, node: `${node.options.host}:${node.options.port}` });
    } while (cursor !== "0");
  }
  return found;
}

const clusterServices = () => testServices({ REDIS_URL: clusterUrl!, REDIS_CLUSTER: "true" });
const degraded = (s: Services) => (s.rateLimiter as RedisRateLimiter).degradedDecisions;
const codeOf = (e: unknown) => (e as { cause?: { code?: string } }).cause?.code ?? String(e);

describe.skipIf(!clusterUrl)(`Redis Cluster (${clusterUrl ? clusterUrl : SKIP_REASON})`, () => {
  let a: Services;
  let b: Services;
  beforeAll(async () => {
    [a, b] = await Promise.all([clusterServices(), clusterServices()]);
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
  });

  it("the services run on an ioredis Cluster with three masters", async () => {
    expect(a.redis && isCluster(a.redis)).toBe(true);
    await redisReady(a.redis!);
    const info = await a.redis!.cluster("INFO");
    expect(info).toMatch(/cluster_state:ok/);
    expect(isCluster(a.redis!) && a.redis.nodes("master")).toHaveLength(3);
  });

  it("the rate-limit keys of one tenant land in one slot; tenants spread over every node", async () => {
    const c = await cluster();
    const ns = `rlslot${randomBytes(3).toString("hex")}`;
    const limiter = new RedisRateLimiter(c, { namespace: ns });
    const tenants = Array.from({ length: 24 }, () => crypto.randomUUID());
    for (const id of tenants) {
      for (const p of tenantPolicies("free")) await limiter.limit(p, `{${id}}`);
      await limiter.limit(AUTH_POLICIES.loginPerIp, `{${id}}:203.0.113.9`);
    }
    expect(limiter.degradedDecisions).toBe(0);
    const keys = await keysOnCluster(c, `${ns}:*`);
    expect(keys).toHaveLength(tenants.length * 3);
    for (const id of tenants) {
      const own = keys.filter((k) => k.key.includes(id));
      expect(own).toHaveLength(3);
      const slots = new Set(await Promise.all(own.map((k) => keyslot(c, k.key))));
      expect([...slots]).toEqual([await keyslot(c, `{${id}}`)]);
      expect(new Set(own.map((k) => k.node)).size).toBe(1);
    }
    expect(new Set(keys.map((k) => k.node)).size).toBe(3);
  });

  it("an empty key from Upstash is mapped into the first key's slot (no CROSSSLOT)", async () => {
    const c = await cluster();
    const keys = ["p:{tenant-x}:2", "p:{tenant-x}:1", ""];
    const mapped = sameSlotKeys(keys);
    expect(mapped.slice(0, 2)).toEqual(keys.slice(0, 2));
    expect(await keyslot(c, mapped[2]!)).toBe(await keyslot(c, "{tenant-x}"));
    const adapter = new UpstashIoRedisAdapter(c);
    // The script sees a key that does not exist (GET → false), as Upstash's "no dynamic limit".
    const script =
      "#!lua flags=allow-key-locking\nreturn {#KEYS, redis.call('GET', KEYS[3]) == false and 1 or 0}";
    expect(await adapter.eval(script, keys, [])).toEqual([3, 1]);
    // And un-tagged keys without an empty one pass through unchanged.
    expect(sameSlotKeys(["a", "b"])).toEqual(["a", "b"]);
  });

  it("two service instances, each with its own cluster client, share a 100/min limit exactly: 100 of 150", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Math.ceil(Date.now() / 60_000) * 60_000 + 60_000); // a window boundary
    const policy: RatePolicy = { name: "tenant-minute", limit: 100, window: "1 m" };
    const id = `{${crypto.randomUUID()}}`;
    const before = [degraded(a), degraded(b)];
    const decisions = await Promise.all(
      Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? a : b).rateLimiter.limit(policy, id)),
    );
    expect(decisions.filter((d) => d.success)).toHaveLength(100);
    expect(decisions.filter((d) => d.degraded)).toHaveLength(0);
    expect([degraded(a), degraded(b)]).toEqual(before);
    // Both instances allowed some: the count is shared, not split.
    const byA = decisions.filter((d, i) => i % 2 === 0 && d.success).length;
    expect(byA).toBeGreaterThan(0);
    expect(byA).toBeLessThan(100);
  });

  it("the login limit per address works across instances (two un-tagged keys: no CROSSSLOT)", async () => {
    const slug = uniqueSlug("cl");
    await tenantWithOwner(a, slug);
    const host = `${slug}.${TEST_BASE_DOMAIN}`;
    const viaA = new TestClient(a, host);
    const viaB = new TestClient(b, host);
    (viaB as { ip: string }).ip = viaA.ip; // one address, requests served by both instances
    const before = [degraded(a), degraded(b)];
    const outcomes: string[] = [];
    for (let i = 0; i <= AUTH_POLICIES.loginPerIp.limit; i++) {
      // A different account each time: only the per-address limit can refuse.
      outcomes.push(
        await (i % 2 === 0 ? viaA : viaB)
          .call((c) => c.auth.signIn({ email: `nobody-${i}@${slug}.test`, password: "wrong" }))
          .then(() => "ok", codeOf),
      );
    }
    expect(outcomes.slice(0, AUTH_POLICIES.loginPerIp.limit)).toEqual(
      Array(AUTH_POLICIES.loginPerIp.limit).fill("UNAUTHORIZED"),
    );
    expect(outcomes.at(-1)).toBe("RATE_LIMITED");
    expect([degraded(a), degraded(b)]).toEqual(before);
  });

  it("the sign-up limit per address works across instances", async () => {
    const viaA = new TestClient(a, TEST_BASE_DOMAIN);
    const viaB = new TestClient(b, TEST_BASE_DOMAIN);
    (viaB as { ip: string }).ip = viaA.ip;
    const before = [degraded(a), degraded(b)];
    const outcomes: string[] = [];
    for (let i = 0; i <= AUTH_POLICIES.signupPerIp.limit; i++) {
      // An invalid form: refused after the rate limit was counted, without creating anything.
      outcomes.push(
        await (i % 2 === 0 ? viaA : viaB).call((c) => c.auth.signUp({} as never)).then(() => "ok", codeOf),
      );
    }
    expect(outcomes.slice(0, -1).every((o) => o !== "RATE_LIMITED" && o !== "ok")).toBe(true);
    expect(outcomes.at(-1)).toBe("RATE_LIMITED");
    expect([degraded(a), degraded(b)]).toEqual(before);
  });

  it("tenant cache invalidation (slug and domain keys on different slots) reaches another instance", async () => {
    const slug = uniqueSlug("cl");
    const { tenant } = await a.tenants.createTenant(
      {
        name: "Before",
        slug,
        ownerEmail: `owner@${slug}.test`,
        ownerName: "Owner",
        ownerPassword: "owner-password-1",
      },
      { type: "super_admin", id: "sa" },
    );
    const namespace = `clres${randomBytes(3).toString("hex")}`;
    const logged: string[] = [];
    const instance = async () => {
      const redis = await cluster();
      const pubsub = new RedisPubSub(redis);
      cleanups.push(() => pubsub.close());
      const r = await new TenantResolver({
        db: a.db,
        namespace,
        redis,
        pubsub,
        log: (msg, err) => logged.push(`${msg}: ${String(err)}`),
      }).start();
      cleanups.push(() => r.stop());
      return { r, redis };
    };
    const one = await instance();
    const two = await instance();
    expect((await one.r.bySlug(slug))?.name).toBe("Before");
    expect((await two.r.bySlug(slug))?.name).toBe("Before");
    expect(await one.redis.get(`${namespace}:tenant:slug:${slug}`)).not.toBeNull();
    const domains = ["chat.example.com", "talk.example.org", "x.example.net"];
    // The keys of one invalidation are on different slots: a multi-key DEL would be refused.
    const slots = new Set(
      await Promise.all(
        [`slug:${slug}`, ...domains.map((d) => `domain:${d}`)].map((k) =>
          keyslot(one.redis, `${namespace}:tenant:${k}`),
        ),
      ),
    );
    expect(slots.size).toBeGreaterThan(1);

    await a.tenants.updateTenant(tenant.id, { name: "After" }, { type: "super_admin", id: "sa" });
    await one.r.invalidate({ slug, domains });
    expect(logged).toEqual([]);
    expect(await one.redis.get(`${namespace}:tenant:slug:${slug}`)).toBeNull();
    let name: string | undefined;
    for (let i = 0; i < 50 && name !== "After"; i++) {
      name = (await two.r.bySlug(slug))?.name;
      if (name !== "After") await new Promise((r) => setTimeout(r, 100));
    }
    expect(name).toBe("After");
  });

  it("pub/sub between two instances, also after the subscriber's node connection is killed", async () => {
    const subName = `ct-sub-${randomBytes(3).toString("hex")}`;
    const subClient = await cluster(subName);
    const pubClient = await cluster();
    const subscriber = new RedisPubSub(subClient);
    const publisher = new RedisPubSub(pubClient);
    cleanups.push(
      () => subscriber.close(),
      () => publisher.close(),
    );
    const channel = `ct:${randomBytes(4).toString("hex")}`;
    const got: string[] = [];
    let resumed = 0;
    await subscriber.subscribe(channel, (m) => got.push(m), { onResume: () => resumed++ });
    await publisher.publish(channel, "1");
    await until(() => got.length === 1, "the first message", 5_000);
    // Published on each master in turn: classic pub/sub is broadcast over the cluster bus.
    if (!isCluster(pubClient)) throw new Error("not a cluster");
    for (const node of pubClient.nodes("master")) await node.publish(channel, `via ${node.options.port}`);
    await until(() => got.length === 4, "a message published on every node", 5_000);

    // Kill the subscriber's connection wherever it is (CLIENT KILL on its node).
    let killed = 0;
    for (const node of pubClient.nodes("master")) {
      const list = String(await node.client("LIST"));
      for (const line of list.split("\n")) {
        if (!line.includes(` name=${subName}-sub `)) continue;
        const id = /\bid=(\d+)/.exec(line)?.[1];
        if (id) killed += Number(await node.client("KILL", "ID", id));
      }
    }
    expect(killed).toBe(1);
    await until(() => resumed === 1, "onResume after the connection came back", 10_000);
    await publisher.publish(channel, "2");
    await until(() => got.at(-1) === "2", "a message after the reconnect", 5_000);
    expect(got[0]).toBe("1");
  });
});
