import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
// The load test's fault proxy (plain node:net): the same cut/restore as `pnpm load --drill redis`.
import { startTcpProxy } from "../../../scripts/load/tcp-proxy";
import { redisReady } from "./infra/redis";
import type { RatePolicy } from "./ratelimit/policies";
import { generalChannel, Subscription, until } from "./realtime/testkit";
import type { Services } from "./server";
import { TestClient, tenantWithOwner, testServices } from "./testing";

const redisUrl = inject("redisUrl");
/** The run is on a Redis Cluster (the URL lists its nodes). */
const redisCluster = redisUrl?.includes(",") ?? false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

describe("drill: PostgreSQL connections killed during load", () => {
  it("the pool recovers and no change is half-written", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("term"));
    // Custom plan with request limits above what the loop can make (up to 400 calls by one user in
    // 3 s: the plan's 600 a minute, half of it per user, is not enough), so the limiter stays out of
    // the drill.
    await services.tenants.updateTenant(
      tenant.id,
      {
        billingPlan: "custom",
        limits: {
          users: -1,
          channels: -1,
          storageGb: -1,
          apiCallsPerMonth: -1,
          maxUploadMb: 10,
          requestsPerMinute: 100_000,
          requestsPerHour: 1_000_000,
        },
      },
      { type: "super_admin", id: "sa" },
    );
    await services.resolver.invalidate({ slug: tenant.slug });
    const appRole = services.db.roles.app;
    let stop = false;
    let killed = 0;
    const killer = (async () => {
      while (!stop) {
        const rows = await services.db.admin`
          select pg_terminate_backend(pid) from pg_stat_activity
          where usename = ${appRole} and datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`;
        killed += rows.length;
        await new Promise((r) => setTimeout(r, 150));
      }
    })();

    const succeeded: string[] = [];
    const attempted: string[] = [];
    let failed = 0;
    const deadline = Date.now() + 3_000;
    let i = 0;
    while (Date.now() < deadline && i < 400) {
      const name = `Renamed ${i++}`;
      attempted.push(name);
      try {
        // One transaction writes the tenant row and its audit row.
        await client.call((c) => c.tenant.update({ name }));
        succeeded.push(name);
      } catch {
        failed++;
      }
    }
    stop = true;
    await killer;
    expect(killed).toBeGreaterThan(0);
    expect(succeeded.length).toBeGreaterThan(0);

    // Recovered: a call after the storm works.
    await expect(client.call((c) => c.tenant.update({ name: "After the storm" }))).resolves.toBeTruthy();

    // Rename and audit row commit together: every acknowledged rename is audited, and every audited
    // rename was attempted. (A rename whose COMMIT was cut off may have committed: then it is audited.)
    const audit = await services.db.admin<{ name: string }[]>`
      select after->>'name' as name from public.tenant_audit_logs where tenant_id = ${tenant.id} and action = 'tenant.update'`;
    const audited = new Set(audit.map((a) => a.name));
    for (const name of succeeded) expect(audited.has(name), name).toBe(true);
    for (const name of audited)
      expect(name === "After the storm" || attempted.includes(name), name).toBe(true);
    // The tenant row carries the last audited rename: never a rename without its audit row.
    const [row] = await services.db.admin`select name from public.tenants where id = ${tenant.id}`;
    expect(row!.name).toBe("After the storm");
    console.log(
      `drill: ${succeeded.length} updates committed, ${failed} failed while ${killed} backends were terminated`,
    );
  });
});

describe("drill: Redis stopped during load", () => {
  it("sends go on, streams get every message of their tenant after the restore, the limiter is back on Redis", {
    timeout: 60_000,
  }, async ({ skip }) => {
    skip(!redisUrl, "needs Redis: runs when the test run has REDIS_URL (as in CI); embedded runs have none");
    skip(
      redisCluster,
      "one Redis only: the fault proxy fronts one node, a cluster's clients reach every node at its own address (cluster outages: README, Redis Cluster)",
    );
    // Only these services reach Redis through the proxy; `cut()` drops their connections and
    // refuses new ones (Redis stopped), `restore()` lets them through again.
    const proxy = await startTcpProxy(redisUrl!);
    const drilled = await testServices({ REDIS_URL: proxy.url });
    const subs: Subscription[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {}); // the expected fallback warnings
    try {
      await redisReady(drilled.redis!);
      const policy: RatePolicy = { name: "drill", limit: 1_000_000, window: "1 m" };
      expect((await drilled.rateLimiter.limit(policy, "probe")).degraded).toBeUndefined();

      type DrillTenant = {
        slug: string;
        client: TestClient;
        channelId: string;
        sub: Subscription;
        sent: string[];
      };
      const tenants: DrillTenant[] = [];
      for (const prefix of ["rda", "rdb"]) {
        const { client, tenant } = await tenantWithOwner(drilled, uniqueSlug(prefix));
        // Request limits out of the way: the limiter still decides every call.
        await drilled.tenants.updateTenant(
          tenant.id,
          {
            billingPlan: "custom",
            limits: { ...tenant.limits, requestsPerMinute: 100_000, requestsPerHour: 1_000_000 },
          },
          { type: "super_admin", id: "sa" },
        );
        await drilled.resolver.invalidate({ slug: tenant.slug });
        const sub = await Subscription.open(drilled, client);
        subs.push(sub);
        await sub.ready();
        tenants.push({
          slug: tenant.slug,
          client,
          channelId: await generalChannel(drilled, tenant),
          sub,
          sent: [],
        });
      }

      let phase: "before" | "outage" | "after" = "before";
      const sentIn = { before: 0, outage: 0, after: 0 };
      const failures: string[] = [];
      let stop = false;
      // Two concurrent senders per tenant. The second tenant goes quiet at the restore: what it sent
      // during the outage can reach its stream only through recovery, not the next message's gap-fill.
      const sender = async (t: DrillTenant, k: number, quietAfterRestore: boolean) => {
        for (let i = 0; !stop && !(quietAfterRestore && phase === "after"); i++) {
          const p = phase;
          const body = `drill ${t.slug} ${k}.${i} ${p}`;
          try {
            await t.client.call((c) => c.chat.send({ channelId: t.channelId, body }));
            t.sent.push(body);
            sentIn[p]++;
          } catch (err) {
            failures.push(`${body}: ${(err as Error).message}`);
          }
          await sleep(5);
        }
      };
      const running = tenants.flatMap((t, n) => [0, 1].map((k) => sender(t, k, n === 1)));
      await sleep(1_000);

      await proxy.cut();
      phase = "outage";
      // Tenant resolution must now get past the dead Redis layer to PostgreSQL.
      drilled.resolver.clearLocal();
      const fromDatabase = drilled.resolver.stats.database;
      expect((await drilled.rateLimiter.limit(policy, "probe")).degraded).toBe(true);
      await sleep(2_500);
      const resolvedFromDatabase = drilled.resolver.stats.database - fromDatabase;

      await proxy.restore();
      phase = "after";
      await sleep(1_000);
      stop = true;
      await Promise.all(running);

      expect(failures).toEqual([]);
      expect(sentIn.before).toBeGreaterThan(0);
      expect(sentIn.outage).toBeGreaterThan(0);
      expect(resolvedFromDatabase).toBeGreaterThan(0); // the fallback was what resolved tenants

      // Every acknowledged message of its tenant, once, nothing else — within 10 s of the end, well
      // before the feeds' periodic catch-up (30 s) would bring what recovery left behind.
      const bodies = (t: DrillTenant) =>
        t.sub.durable.flatMap((e) => (e.type === "message.created" ? [e] : []));
      await until(
        () =>
          tenants.every((t) => {
            const received = new Set(bodies(t).map((e) => e.message.body));
            return t.sent.every((b) => received.has(b));
          }),
        "every message on its tenant's stream",
        10_000,
      ).catch(() => {}); // the assertions below say what is missing
      for (const t of tenants) {
        const got = bodies(t);
        const received = got.map((e) => e.message.body);
        const sent = new Set(t.sent);
        expect({
          tenant: t.slug,
          missing: t.sent.filter((b) => !received.includes(b)).slice(0, 5),
          duplicated: received.length - new Set(received).size,
          foreign: got.filter(
            (e) => e.channelId !== t.channelId || !e.message.body.startsWith(`drill ${t.slug} `),
          ).length,
          unexpected: received.filter((b) => !sent.has(b)).length,
        }).toEqual({ tenant: t.slug, missing: [], duplicated: 0, foreign: 0, unexpected: 0 });
      }

      // The limiter is back on Redis (the client reconnects on its own, within its retry delay).
      let after = await drilled.rateLimiter.limit(policy, "probe");
      for (let i = 0; i < 100 && after.degraded; i++) {
        await sleep(100);
        after = await drilled.rateLimiter.limit(policy, "probe");
      }
      expect(after.degraded).toBeUndefined();
      console.log(
        `drill: ${sentIn.before} + ${sentIn.outage} (Redis down) + ${sentIn.after} sends, none failed; streams complete`,
      );
    } finally {
      warn.mockRestore();
      await Promise.all(subs.map((s) => s.stop()));
      await drilled.close();
      await proxy.close();
    }
  });

  it("a sign-out during the outage ends the session in the other process once Redis is back", {
    timeout: 60_000,
  }, async ({ skip }) => {
    skip(!redisUrl, "needs Redis: runs when the test run has REDIS_URL (as in CI); embedded runs have none");
    skip(
      redisCluster,
      "one Redis only: the fault proxy fronts one node, a cluster's clients reach every node at its own address (cluster outages: README, Redis Cluster)",
    );
    // Process B reaches Redis through the proxy; A (the shared services) directly.
    const proxy = await startTcpProxy(redisUrl!);
    const b = await testServices({ REDIS_URL: proxy.url });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await redisReady(b.redis!);
      const owner = await tenantWithOwner(services, uniqueSlug("revoke"));
      const onB = new TestClient(b, owner.client.host);
      for (const [k, v] of owner.client.cookies) onB.cookies.set(k, v);
      expect(await onB.call((c) => c.auth.me())).not.toBeNull(); // cached in B
      await proxy.cut();
      await owner.client.call((c) => c.auth.signOut()); // B misses this revocation
      await proxy.restore();
      // Well within the cache's 30 s entry lifetime: B forgot what it cached when its subscription resumed.
      const deadline = Date.now() + 15_000;
      let me = await onB.call((c) => c.auth.me());
      while (me !== null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 750)); // gently: a Free plan allows 60 requests a minute
        me = await onB.call((c) => c.auth.me());
      }
      expect(me).toBeNull();
    } finally {
      warn.mockRestore();
      await b.close();
      await proxy.close();
    }
  });
});
