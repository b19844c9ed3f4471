import { appUrlFor, roleNames } from "@nchat/db";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../../../scripts/load/tcp-proxy";
import { readinessResponse } from "./health";
import { redisReady } from "./infra/redis";
import { createLifecycle } from "./lifecycle";
import type { Services } from "./server";
import { testServices } from "./testing";

const redisUrl = inject("redisUrl");
/** The run is on a Redis Cluster (the URL lists its nodes). */
const redisCluster = redisUrl?.includes(",") ?? false;

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const serving = () => createLifecycle();

async function ready(s: Services | Promise<Services>, opts: Parameters<typeof readinessResponse>[1] = {}) {
  const res = await readinessResponse(s, { lifecycle: serving(), log: () => {}, ...opts });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() };
}

/** Services whose PostgreSQL app connections (or Redis) go through a proxy that can be cut. */
async function servicesBehind(what: "postgres" | "redis") {
  const db = inject("testDb");
  const target =
    what === "postgres"
      ? (db.appUrl ?? appUrlFor(db.adminUrl, roleNames(db.rolePrefix), db.appPassword))
      : redisUrl!;
  const proxy: TcpProxy = await startTcpProxy(target);
  const s = await testServices(
    what === "postgres" ? { DATABASE_APP_URL: proxy.url } : { REDIS_URL: proxy.url },
  );
  if (s.redis) await redisReady(s.redis);
  cleanups.push(
    () => proxy.close(),
    () => s.close().catch(() => {}),
  );
  return { proxy, services: s };
}

describe("readiness (/api/health/ready)", () => {
  it("is ready when PostgreSQL (and Redis, when configured) answer", async () => {
    // Not ready until the client is connected (a cluster client takes a moment: slots, every node).
    if (services.redis) await redisReady(services.redis);
    const r = await ready(services);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: "ready",
      checks: { postgres: "ok", ...(redisUrl ? { redis: "ok" } : {}) },
    });
    expect(r.retryAfter).toBeNull();
  });

  it("answers 503 'draining' at once while the process drains, without asking anyone", async () => {
    const lifecycle = createLifecycle();
    lifecycle.beginDrain();
    const never = new Promise<Services>(() => {}); // services are not even looked at
    const res = await readinessResponse(never, { lifecycle });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toEqual({ status: "draining" });
  });

  it("names PostgreSQL when it refuses connections, and is ready again once it is back", async () => {
    const { proxy, services: s } = await servicesBehind("postgres");
    expect((await ready(s)).status).toBe(200);
    await proxy.cut();
    const down = await ready(s);
    expect(down.status).toBe(503);
    expect(down.retryAfter).toBe("5");
    expect(down.body).toMatchObject({
      status: "not_ready",
      failed: ["postgres"],
      checks: { postgres: "error" },
    });
    await proxy.restore();
    expect((await ready(s)).status).toBe(200);
  });

  it("answers within its timeout when PostgreSQL hangs (a partition)", async () => {
    const { proxy, services: s } = await servicesBehind("postgres");
    await proxy.cut("blackhole");
    const started = Date.now();
    const r = await ready(s, { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(r).toMatchObject({ status: 503, body: { failed: ["postgres"], checks: { postgres: "timeout" } } });
  });

  // One Redis only: the fault proxy fronts one node, a cluster's clients reach every node at its own address.
  it.skipIf(!redisUrl || redisCluster)(
    "names Redis when it is down, PostgreSQL still ok; ready again once it is back",
    async () => {
      const { proxy, services: s } = await servicesBehind("redis");
      expect((await ready(s)).body).toMatchObject({ status: "ready", checks: { redis: "ok" } });
      await proxy.cut();
      const r = await ready(s, { timeoutMs: 500 });
      expect(r.status).toBe(503);
      expect(r.retryAfter).toBe("5");
      expect(r.body).toMatchObject({
        status: "not_ready",
        failed: ["redis"],
        checks: { postgres: "ok", redis: expect.stringMatching(/^(error|timeout)$/) },
      });
      await proxy.restore();
      await redisReady(s.redis!, 10_000);
      expect((await ready(s)).status).toBe(200);
    },
  );

  it("answers 503 when the services could not start", async () => {
    const r = await ready(Promise.reject(new Error("no database")));
    expect(r).toMatchObject({ status: 503, body: { failed: ["services"] } });
  });
});
