import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { startTcpProxy } from "../../../scripts/load/tcp-proxy";
import { createLogger, FallbackReporter, scrub, serializeError } from "./infra/log";
import { metricsRegistry, metricsResponse } from "./infra/metrics";
import { redisReady } from "./infra/redis";
import type { Services } from "./server";
import { TestClient, tenantWithOwner, testServices } from "./testing";

const redisUrl = inject("redisUrl");
const redisCluster = redisUrl?.includes(",") ?? false;

/** A logger whose JSON lines are kept for the test to read. */
function capture(level: "info" | "warn" = "info") {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level,
    destination: {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line));
      },
    },
  });
  return { logger, lines, raw };
}

/** The value of a counter for exactly these labels (0 when never counted). */
async function counterValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = metricsRegistry().getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x));
  return found?.value ?? 0;
}

const OWNER_PASSWORD = "owner-password-1";

let services: Services;
let log: ReturnType<typeof capture>;
let owner: Awaited<ReturnType<typeof tenantWithOwner>>;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  log = capture();
  services = await testServices({}, { logger: log.logger });
  owner = await tenantWithOwner(services, uniqueSlug("obs"), OWNER_PASSWORD);
});
afterAll(() => services.close());
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("/api/metrics", () => {
  const get = (headers: Record<string, string> = {}) =>
    new Request("http://10.0.0.5:3000/api/metrics", { headers });
  const token = "a-metrics-token-of-some-length";

  it("refuses without the token (401), and with a wrong one", async () => {
    const none = await metricsResponse(get(), { token, nodeEnv: "production" });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await metricsResponse(get({ authorization: "Bearer nope" }), {
      token,
      nodeEnv: "production",
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain("nchat_");
  });

  it("serves the Prometheus text format with the token", async () => {
    const res = await metricsResponse(get({ authorization: `Bearer ${token}` }), {
      token,
      nodeEnv: "production",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of [
      "nchat_http_requests_total",
      "nchat_http_request_duration_seconds",
      "nchat_db_up 1",
      "nchat_db_work_in_flight",
      'nchat_db_pool_max_connections{pool="app"}',
      "nchat_ratelimit_inprocess_decisions_total",
      "nchat_tenant_cache_lookups_total",
      "nchat_usage_flushes_total",
      "nchat_realtime_feeds",
      "nchat_realtime_subscribers",
      "nchat_stripe_webhooks_total",
      "process_cpu_seconds_total",
    ])
      expect(text).toContain(name);
  });

  it("is off (404) in production without METRICS_TOKEN, open in development and test", async () => {
    expect((await metricsResponse(get(), { nodeEnv: "production" })).status).toBe(404);
    expect((await metricsResponse(get(), { nodeEnv: "development" })).status).toBe(200);
    expect((await metricsResponse(get(), { nodeEnv: "test" })).status).toBe(200);
  });
});

describe("requests", () => {
  it("each tRPC call grows the request counter of its procedure, app and status", async () => {
    const ok = { app: "web", procedure: "members.list", status: "200" };
    const refused = { app: "web", procedure: "members.list", status: "401" };
    const before = await counterValue("nchat_http_requests_total", ok);
    const refusedBefore = await counterValue("nchat_http_requests_total", refused);
    for (let i = 0; i < 3; i++) expect((await owner.client.http("members.list")).status).toBe(200);
    const stranger = new TestClient(services, owner.client.host);
    expect((await stranger.http("members.list")).status).toBe(401);
    expect(await counterValue("nchat_http_requests_total", ok)).toBe(before + 3);
    expect(await counterValue("nchat_http_requests_total", refused)).toBe(refusedBefore + 1);
    // A batch counts each of its calls; unknown paths never become labels of their own.
    await owner.client.http("members.list,auth.me?batch=1&input=%7B%7D");
    expect(await counterValue("nchat_http_requests_total", ok)).toBe(before + 4);
    await owner.client.http("no.such.procedure");
    const text = await (
      await metricsResponse(new Request("http://x/api/metrics"), { nodeEnv: "test" })
    ).text();
    expect(text).toContain('nchat_http_requests_total{app="web",procedure="unknown",status="404"}');
    expect(text).not.toContain("no.such.procedure");
    expect(text).toMatch(
      /nchat_http_request_duration_seconds_count\{app="web",procedure="members.list",status="200"\} \d+/,
    );
  });

  it("one log line per request: request id, tenant, user, procedure, duration, status — no cookie or password", async () => {
    log.lines.length = 0;
    const res = await owner.client.http("members.list", { headers: { "x-request-id": "edge-1234.abc" } });
    expect(res.headers.get("x-request-id")).toBe("edge-1234.abc");
    const line = log.lines.find((l) => l.msg === "request" && l.reqId === "edge-1234.abc");
    expect(line).toMatchObject({
      level: 30,
      app: "web",
      method: "GET",
      procedure: "members.list",
      status: 200,
      tenantId: owner.tenant.id,
      userId: owner.ownerId,
    });
    expect(typeof line?.durationMs).toBe("number");
    expect(log.lines.filter((l) => l.reqId === "edge-1234.abc" && l.msg === "request")).toHaveLength(1);

    // An inbound id that is not a sane token is replaced by a fresh one.
    const odd = await owner.client.http("members.list", { headers: { "x-request-id": "bad id <script>" } });
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    // Signing in sends a password and gets a cookie back: neither reaches the log.
    log.lines.length = 0;
    log.raw.length = 0;
    const client = new TestClient(services, owner.client.host);
    const signIn = await client.http("auth.signIn", {
      body: { email: `owner@${owner.tenant.slug}.test`, password: OWNER_PASSWORD },
    });
    expect(signIn.status).toBe(200);
    const cookie = [...client.cookies.values()][0];
    expect(cookie).toBeTruthy();
    await client.http("members.list");
    const all = log.raw.join("");
    expect(log.lines.filter((l) => l.msg === "request").map((l) => l.procedure)).toEqual([
      "auth.signIn",
      "members.list",
    ]);
    expect(all).not.toContain(OWNER_PASSWORD);
    expect(all).not.toContain(cookie!);
    expect(all.toLowerCase()).not.toContain("cookie");
  });

  it("REST requests are logged and counted by route", async () => {
    const { getTenantBySlug } = await import("./rest/tenants-public");
    const before = await counterValue("nchat_http_requests_total", {
      procedure: "GET /api/tenants/by-slug",
      status: "200",
    });
    const res = await getTenantBySlug(
      services.resolver,
      new Request(`http://x/api/tenants/by-slug?slug=${owner.tenant.slug}`),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(
      await counterValue("nchat_http_requests_total", {
        procedure: "GET /api/tenants/by-slug",
        status: "200",
      }),
    ).toBe(before + 1);
  });
});

describe("secrets and errors in logs", () => {
  it("masks credentials in URLs, API keys, Stripe secrets and bearer tokens", () => {
    const text = scrub(
      "postgres://nchat_app:s3cret@db:5432/x redis://:hunter2@r:6379 nck_abc123 sk_live_XYZ whsec_abc Bearer tok.en password=pw1",
    );
    for (const secret of ["s3cret", "hunter2", "abc123", "XYZ", "whsec_abc", "tok.en", "pw1"])
      expect(text).not.toContain(secret);
    expect(text).toContain("postgres://nchat_app:[redacted]@db:5432/x");
  });

  it("redacts secret fields and keeps SQL parameters out of errors (cause chain kept)", () => {
    const { logger, raw } = capture();
    const driver = Object.assign(new Error('invalid input syntax for type uuid: "owner@secret.test"'), {
      name: "PostgresError",
      code: "22P02",
    });
    const query = new Error("Failed query: select * from users where email = $1\nparams: owner@secret.test", {
      cause: driver,
    });
    logger.warn(
      { err: query, headers: { cookie: "nchat_session=abc", authorization: "Bearer nck_x" }, password: "pw" },
      "lookup failed",
    );
    const out = raw.join("");
    expect(out).not.toContain("owner@secret.test");
    expect(out).not.toContain("nchat_session=abc");
    expect(out).not.toContain('"pw"');
    const e = serializeError(query)!;
    expect(e.message).toBe("Failed query: select * from users where email = $1");
    expect(e.causes).toEqual([
      { type: "PostgresError", message: 'invalid input syntax for type uuid: "[redacted]"', code: "22P02" },
    ]);
  });

  it("a fallback reporter writes at most one line per interval, with the count", () => {
    let now = 1_000_000;
    const lines: string[] = [];
    const r = new FallbackReporter({
      what: "rate limiter",
      describe: (n) => `${n} decision${n === 1 ? "" : "s"} in-process`,
      log: (msg) => lines.push(msg),
      now: () => now,
    });
    const err = new Error("connect ECONNREFUSED 127.0.0.1:6379");
    r.report(err);
    for (let i = 0; i < 136; i++) {
      now += 70;
      r.report(err);
    }
    now = 1_000_000 + 10_001;
    r.report(err);
    expect(lines).toEqual([
      "rate limiter: 1 decision in-process (redis: connect ECONNREFUSED 127.0.0.1:6379)",
      "rate limiter: 137 decisions in-process in the last 10 s (redis: connect ECONNREFUSED 127.0.0.1:6379)",
    ]);
    expect(r.total).toBe(138);
  });
});

describe("Redis cut off", () => {
  it.skipIf(!redisUrl || redisCluster)(
    "the limiter's in-process decisions show in the fallback metric and in one rate-limited log line",
    async () => {
      const proxy = await startTcpProxy(redisUrl!);
      const cut = capture("warn");
      const s = await testServices({ REDIS_URL: proxy.url }, { logger: cut.logger });
      cleanups.push(
        () => proxy.close(),
        () => s.close().catch(() => {}),
        () => proxy.restore(),
      );
      await redisReady(s.redis!);
      const client = new TestClient(s, owner.client.host);
      client.cookies.clear();
      for (const [k, v] of owner.client.cookies) client.cookies.set(k, v);
      expect((await client.http("members.list")).status).toBe(200);
      const before = await counterValue("nchat_ratelimit_inprocess_decisions_total", {});

      await proxy.cut();
      for (let i = 0; i < 5; i++) expect((await client.http("members.list")).status).toBe(200);

      // Two policies (per minute, per hour) per call, each decided in-process.
      expect(await counterValue("nchat_ratelimit_inprocess_decisions_total", {})).toBeGreaterThanOrEqual(
        before + 10,
      );
      const limiterLines = cut.lines.filter((l) => l.component === "ratelimit");
      expect(limiterLines).toHaveLength(1);
      expect(limiterLines[0]).toMatchObject({ level: 40 });
      expect(String(limiterLines[0]!.msg)).toMatch(/^rate limiter: 1 decision in-process \(redis: .+\)$/);
      expect(limiterLines[0]!.err).toBeTruthy();
    },
  );
});
