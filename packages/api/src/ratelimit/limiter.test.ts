import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { freePort } from "@nchat/db/embedded";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, onTestFinished, vi } from "vitest";
import { DEVICE_COOKIE } from "../auth/device-cookie";
import { person, workspace } from "../chat/test-kit";
import { createRedis, redisReady } from "../infra/redis";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";
import { stripFlags } from "./ioredis-adapter";
import { limitAll, MemoryRateLimiter, type RateLimiter, RedisRateLimiter, rateLimitHeaders } from "./limiter";
import { type RatePolicy, tenantPolicies, USER_SHARE } from "./policies";

const redisUrl = inject("redisUrl");
const ns = () => `rltest${randomBytes(4).toString("hex")}`;
const MINUTE = 60_000;
/** A window boundary in the future, so the sliding window's carry-over is zero at the start. */
const boundary = () => Math.ceil(Date.now() / (60 * MINUTE)) * 60 * MINUTE + 60 * MINUTE;

const redisClients: ReturnType<typeof createRedis>[] = [];
afterAll(() => {
  for (const r of redisClients) r.disconnect();
});
afterEach(() => {
  vi.useRealTimers();
});

async function redisLimiter(url = redisUrl!): Promise<RateLimiter> {
  const client = createRedis(url);
  redisClients.push(client);
  await redisReady(client);
  return new RedisRateLimiter(client, { namespace: ns() });
}

const LIMITERS: [string, () => Promise<RateLimiter>][] = [
  ["in-process", async () => new MemoryRateLimiter()],
  ...(redisUrl
    ? [
        ["Redis (@upstash/ratelimit on ioredis)", () => redisLimiter()] as [
          string,
          () => Promise<RateLimiter>,
        ],
      ]
    : []),
];

describe.each(LIMITERS)("%s limiter", (_name, make) => {
  const policy: RatePolicy = { name: "test-minute", limit: 5, window: "1 m" };

  it("allows exactly the limit in a window, refuses the next, and frees up with the sliding window", async () => {
    const limiter = await make();
    const start = boundary();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(start);
    const id = `t-${randomBytes(4).toString("hex")}`;
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await limiter.limit(policy, id));
    expect(results.map((r) => r.success)).toEqual([true, true, true, true, true, false]);
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    expect(results[5]!.reset).toBe(start + MINUTE);

    // Next window, 30 s in: half of the previous window's 5 still weighs (floor 2.5 = 2) → 3 more.
    vi.setSystemTime(start + MINUTE + 30_000);
    const next = [];
    for (let i = 0; i < 4; i++) next.push((await limiter.limit(policy, id)).success);
    expect(next).toEqual([true, true, true, false]);

    // Two windows later nothing carries over.
    vi.setSystemTime(start + 3 * MINUTE);
    expect((await limiter.limit(policy, id)).remaining).toBe(4);
  });

  it("keeps identifiers and policies apart", async () => {
    const limiter = await make();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(boundary());
    const a = `a-${randomBytes(4).toString("hex")}`;
    const b = `b-${randomBytes(4).toString("hex")}`;
    for (let i = 0; i < 5; i++) await limiter.limit(policy, a);
    expect((await limiter.limit(policy, a)).success).toBe(false);
    expect((await limiter.limit(policy, b)).success).toBe(true);
    expect((await limiter.limit({ ...policy, name: "other-policy" }, a)).success).toBe(true);
  });

  it("applies minute AND hour limits together; the tightest decides", async () => {
    const limiter = await make();
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = boundary();
    vi.setSystemTime(start);
    const id = `{${randomBytes(4).toString("hex")}}`;
    const minute: RatePolicy = { name: "m", limit: 3, window: "1 m" };
    const hour: RatePolicy = { name: "h", limit: 4, window: "1 h" };
    const both = () =>
      limitAll(limiter, [
        [minute, id],
        [hour, id],
      ]);
    expect((await both()).success).toBe(true);
    expect((await both()).success).toBe(true);
    expect((await both()).remaining).toBe(0); // minute: 3 of 3
    expect((await both()).success).toBe(false);
    vi.setSystemTime(start + 5 * MINUTE);
    expect((await both()).success).toBe(true); // hour: 4 of 4
    const blocked = await both();
    expect(blocked).toMatchObject({ success: false, limit: 4 });
    expect(blocked.reset).toBe(start + 60 * MINUTE);
  });
});

describe("rate-limit headers", () => {
  it("carry limit, remaining and reset; Retry-After only when blocked", () => {
    const now = 1_000_000;
    expect(rateLimitHeaders({ success: true, limit: 60, remaining: 12, reset: now + 30_500 }, now)).toEqual({
      "RateLimit-Limit": "60",
      "RateLimit-Remaining": "12",
      "RateLimit-Reset": "31",
    });
    expect(
      rateLimitHeaders({ success: false, limit: 60, remaining: 0, reset: now + 9_000 }, now),
    ).toMatchObject({ "Retry-After": "9" });
  });
});

describe("the ioredis adapter", () => {
  it("strips Upstash's Lua flag line that Redis 7 rejects", () => {
    expect(stripFlags("#!lua flags=allow-key-locking\n  local key = KEYS[1]\n")).toBe(
      "  local key = KEYS[1]\n",
    );
    expect(stripFlags("return 1")).toBe("return 1");
  });

  it.runIf(redisUrl)("survives SCRIPT FLUSH (NOSCRIPT → eval fallback)", async () => {
    const limiter = await redisLimiter();
    const policy: RatePolicy = { name: "flush", limit: 10, window: "1 m" };
    expect((await limiter.limit(policy, "x")).success).toBe(true);
    const admin = createRedis(redisUrl!);
    redisClients.push(admin);
    await redisReady(admin);
    await admin.script("FLUSH");
    const after = await limiter.limit(policy, "x");
    expect(after).toMatchObject({ success: true, remaining: 8 });
    expect(after.degraded).toBeUndefined();
  });
});

describe("when the process is busy", () => {
  it.runIf(redisUrl)(
    "takes Redis's answer that arrived in time, though the timer ran out meanwhile",
    async () => {
      const client = createRedis(redisUrl!);
      redisClients.push(client);
      await redisReady(client);
      // A generous timeout, so that only the stall below — not a slow test machine — can exceed it.
      const limiter = new RedisRateLimiter(client, { namespace: ns(), timeoutMs: 1_000 });
      const policy: RatePolicy = { name: "busy", limit: 5, window: "1 m" };
      await limiter.limit(policy, "warm"); // scripts loaded, connection warm
      const decision = limiter.limit(policy, "x");
      // The event loop is blocked past the timeout. When it turns again, the timer is due before the
      // command was even sent (or its answer read — timers run before sockets are read).
      const until = performance.now() + 1_600;
      while (performance.now() < until);
      const d = await decision;
      expect(d.degraded).toBeUndefined();
      expect(d.success).toBe(true);
    },
  );
});

describe("when Redis is unreachable", () => {
  it("decides in-process at once (degraded), neither failing open nor hanging", async () => {
    const dead = createRedis(`redis://127.0.0.1:${await freePort()}`);
    redisClients.push(dead);
    const limiter = new RedisRateLimiter(dead, { namespace: ns() });
    const policy: RatePolicy = { name: "dead", limit: 2, window: "1 m" };
    const started = performance.now();
    const r = [
      await limiter.limit(policy, "x"),
      await limiter.limit(policy, "x"),
      await limiter.limit(policy, "x"),
    ];
    expect(r.map((d) => [d.success, d.degraded])).toEqual([
      [true, true],
      [true, true],
      [false, true],
    ]);
    expect(performance.now() - started).toBeLessThan(3_000); // a bound against hanging, not a benchmark
  });

  const redisServer = (() => {
    try {
      return execFileSync("which", ["redis-server"]).toString().trim();
    } catch {
      return null;
    }
  })();

  it.runIf(redisServer)(
    "a Redis killed mid-run: limiting continues in-process, then Redis takes over again",
    async () => {
      const port = await freePort();
      const start = (): ChildProcess =>
        spawn(
          redisServer!,
          ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
          { stdio: "ignore" },
        );
      let server = start();
      try {
        const client = createRedis(`redis://127.0.0.1:${port}`);
        redisClients.push(client);
        await redisReady(client);
        const limiter = new RedisRateLimiter(client, { namespace: ns() });
        const policy: RatePolicy = { name: "kill", limit: 100, window: "1 m" };
        expect((await limiter.limit(policy, "k")).degraded).toBeUndefined();

        server.kill("SIGKILL");
        await new Promise((r) => server.once("exit", r));
        const during = await limiter.limit(policy, "k");
        expect(during).toMatchObject({ success: true, degraded: true });

        server = start();
        // The client reconnects on its own; wait until it answers again.
        for (let i = 0; i < 100; i++) {
          if (
            await client.ping().then(
              () => true,
              () => false,
            )
          )
            break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const after = await limiter.limit(policy, "k");
        expect(after.degraded).toBeUndefined();
        expect(after.success).toBe(true);
      } finally {
        server.kill("SIGKILL");
      }
    },
  );
});

describe("through the API", () => {
  let services: Services;
  beforeAll(async () => {
    services = await testServices();
  });
  afterAll(() => services.close());

  it("each tenant gets its plan's per-minute limit, with RateLimit-* headers and 429 + Retry-After beyond it", async () => {
    // Start just after an hour boundary: the sliding window would carry a previous minute over.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 1_000);
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const ws = await workspace(services, "rl");
    const { client, tenant } = ws;
    const member = await person(services, ws); // one owner call (the invitation); accepting is anonymous
    const [minute] = tenantPolicies("free");
    const share = Math.ceil(minute.limit * USER_SHARE);
    // A member spends at most their share of the tenant's minute…
    let last: Response | undefined;
    for (let i = 1; i < share; i++) {
      last = await client.http("tenant.public");
      expect(last.status, `request ${i}`).toBe(200);
    }
    expect(last!.headers.get("ratelimit-limit")).toBe(String(share));
    expect(last!.headers.get("ratelimit-remaining")).toBe("0");
    const blocked = await client.http("tenant.public");
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await blocked.json()).toMatchObject({ error: { json: { data: { appCode: "RATE_LIMITED" } } } });
    // … and the members together the tenant's whole minute.
    for (let i = share; i < minute.limit; i++) {
      last = await member.client.http("tenant.public");
      expect(last.status, `member request ${i}`).toBe(200);
    }
    expect(last!.headers.get("ratelimit-remaining")).toBe("0");
    expect((await member.client.http("tenant.public")).status).toBe(429);

    // Another tenant is not affected.
    const other = await tenantWithOwner(services, uniqueSlug("rl"));
    expect((await other.client.http("tenant.public")).status).toBe(200);
    // An upgrade applies the new plan's limit to the running window at once.
    await services.tenants.updateTenant(tenant.id, { billingPlan: "pro" }, { type: "super_admin", id: "sa" });
    await services.resolver.invalidate({ slug: ws.slug });
    expect((await client.http("tenant.public")).status).toBe(200);
  });

  it("slows password guessing per account from any number of addresses: a back-off, never a lock", async () => {
    const slug = uniqueSlug("bf");
    const { client, tenant } = await tenantWithOwner(services, slug);
    const attacker = () => new TestClient(services, client.host); // a new address each time
    const signIn = (password: string) =>
      attacker()
        .call((c) => c.auth.signIn({ email: `owner@${slug}.test`, password }))
        .then(
          () => "ok",
          (e: { cause?: { code?: string } }) => e.cause?.code ?? "?",
        );
    /** Ends the running back-off instead of sleeping through it. */
    const elapse = () =>
      services.db.admin.unsafe(
        `update "${tenant.schemaName}".users set sign_in_blocked_until = now() - interval '1 ms'`,
      );
    expect(await signIn("guess-1")).toBe("UNAUTHORIZED");
    // During the back-off every attempt is refused before the password check, the right one too,
    // and none of them counts.
    expect(await signIn("guess-2")).toBe("RATE_LIMITED");
    expect(await signIn("owner-password-1")).toBe("RATE_LIMITED");
    for (let i = 3; i <= 6; i++) {
      await elapse();
      expect(await signIn(`guess-${i}`)).toBe("UNAUTHORIZED");
    }
    const [row] = await services.db.admin.unsafe(
      `select failed_sign_ins as failed, round(extract(epoch from sign_in_blocked_until - now()))::int as wait
       from "${tenant.schemaName}".users where email = 'owner@${slug}.test'`,
    );
    expect(row).toEqual({ failed: 5, wait: 8 }); // 1, 1, 2, 4, 8 s
    // Once it ran out, the owner signs in, and the count starts over.
    await elapse();
    expect(await signIn("owner-password-1")).toBe("ok");
    expect(await signIn("guess-7")).toBe("UNAUTHORIZED");
  });

  it("a guesser who keeps the back-off running does not keep the account's own browser out", async () => {
    const slug = uniqueSlug("bfdev");
    const email = `owner@${slug}.test`;
    // Signed in once (tenantWithOwner): this browser holds the owner's device cookie.
    const { client: owners } = await tenantWithOwner(services, slug);
    const device = owners.cookies.get(DEVICE_COOKIE);
    expect(device).toBeTruthy();
    const attempt = (c: TestClient, password: string) =>
      c
        .call((x) => x.auth.signIn({ email, password }))
        .then(
          () => "ok",
          (e: { cause?: { code?: string } }) => e.cause?.code ?? "?",
        );
    const stranger = (cookie?: string) => {
      const c = new TestClient(services, owners.host);
      if (cookie) c.cookies.set(DEVICE_COOKIE, cookie);
      return c;
    };
    expect(await attempt(stranger(), "guess-1")).toBe("UNAUTHORIZED");
    expect(await attempt(stranger(), "owner-password-1")).toBe("RATE_LIMITED"); // the back-off runs
    // The owner's own browser is not held by it: a typo is just wrong, the right password works.
    expect(await attempt(owners, "typo")).toBe("UNAUTHORIZED");
    expect(await attempt(owners, "owner-password-1")).toBe("ok");

    // No pass for anyone else: another workspace's device cookie, a tampered one.
    const elsewhere = await tenantWithOwner(services, uniqueSlug("bfdev"));
    const foreign = elsewhere.client.cookies.get(DEVICE_COOKIE)!;
    const tampered = `${device!.slice(0, -1)}${device!.endsWith("A") ? "B" : "A"}`;
    expect(await attempt(stranger(), "guess-2")).toBe("UNAUTHORIZED");
    expect(await attempt(stranger(foreign), "owner-password-1")).toBe("RATE_LIMITED");
    expect(await attempt(stranger(tampered), "owner-password-1")).toBe("RATE_LIMITED");
  });
});
