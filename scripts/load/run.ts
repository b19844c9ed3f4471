// `pnpm load [--tenants 100] [--users 3] [--duration 60] [--concurrency 32] [--processes 2]
//            [--subscribe true|false] [--drill redis [--outage 10]]`
// Many tenants, several users each, concurrent sends and reads over loopback HTTP for a bounded time,
// spread round-robin over several app server processes (as behind a load balancer). Every user holds
// one realtime event stream (`realtime.events` over SSE), reconnecting with its last event id when it
// drops, as a browser does.
// Reports throughput and latency, then checks isolation: every message is in exactly its own tenant,
// none lost, none duplicated, none visible elsewhere; and every stream received every message of its
// tenant once, and nothing of another.
// `--drill redis`: the app servers reach Redis through a TCP proxy that is cut a third into the run
// for `--outage` seconds (connections dropped, new ones refused), then restored. Checks that nothing
// failed meanwhile, that the streams got everything, and that the rate limiter is back on Redis.
// Exit code 1 on any error or violation.
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { createServices, type Services, SYSTEM } from "@nchat/api";
import { loadEnv } from "@nchat/config";
import { createDatabase, migratePublic } from "@nchat/db";
import { createScratchDatabase } from "@nchat/db/scratch";
import { ms, percentile, printTable, type Row } from "../bench/lib/stats";
import { cpuMsOf, ownCpuMs } from "./cpu";
import { serveTrpc } from "./http-server";
import { countLimiterDecisions, type LimiterStats } from "./limiter-probe";
import { SseClient, type SseEvent } from "./sse";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

type LoadUser = { cookie: string; userId: string };
type LoadTenant = { slug: string; host: string; channelId: string; users: LoadUser[]; sent: Set<string> };

/** One user's event stream and what it received. */
type Subscriber = {
  tenant: LoadTenant;
  client: SseClient;
  /** message.created deliveries by message body. */
  received: Map<string, number>;
  ready: boolean;
  foreign: number;
  resyncs: number;
  /** `serialized-error` events (the stream failed on the server). */
  errors: Map<string, number>;
};

export type LoadOptions = {
  tenants: number;
  users: number;
  durationS: number;
  concurrency: number;
  /** App server processes (each with its own services); 0 serves from this process. */
  processes: number;
  /** Every user holds one realtime event stream (default true). */
  subscribe?: boolean;
  /** Fault drill: `redis` cuts the app servers off Redis a third into the run. Needs REDIS_URL. */
  drill?: "redis";
  /** Seconds the drill keeps Redis cut off (default 10). */
  outageS?: number;
  log?: (s: string) => void;
};

type ServerStats = { limiter: LimiterStats; cpuMs: number };
type AppServer = { port: number; close(): Promise<void>; stats(): Promise<ServerStats> };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Body of a load message: its tenant first (isolation checks), the send's start time (latency). */
const messageBody = (slug: string, seq: number, sentAt: number) =>
  `load ${slug} ${seq} ${sentAt.toFixed(1)} ${randomUUID()}`;
const sentAtOf = (body: string) => Number(body.split(" ")[3]);

/** Starts one app server process and waits for its port. */
function startServerProcess(env: Record<string, string>): Promise<AppServer> {
  const child: ChildProcess = fork(new URL("./server-process.ts", import.meta.url).pathname, {
    env: { ...process.env, NCHAT_LOAD_ENV: JSON.stringify(env) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`app server process exited (${code})`)));
    child.once("message", (m: { port: number }) =>
      resolve({
        port: m.port,
        close: () =>
          new Promise<void>((done) => {
            child.removeAllListeners("exit");
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
        stats: () =>
          new Promise<ServerStats>((done, fail) => {
            const timer = setTimeout(() => fail(new Error("app server process: no stats")), 5_000);
            const onMessage = (r: { type?: string; limiter?: LimiterStats; cpuMs?: number }) => {
              if (r.type !== "stats" || !r.limiter || r.cpuMs === undefined) return;
              clearTimeout(timer);
              child.off("message", onMessage);
              done({ limiter: r.limiter, cpuMs: r.cpuMs });
            };
            child.on("message", onMessage);
            child.send({ type: "stats" });
          }),
      }),
    );
  });
}

/** The `realtime.events` subscription's path (tRPC over SSE, superjson input). */
const eventsPath = (lastEventId: string | null) =>
  `/api/trpc/realtime.events?input=${encodeURIComponent(JSON.stringify({ json: lastEventId ? { lastEventId } : {} }))}`;

export async function runLoad(opts: LoadOptions): Promise<{ rows: Row[]; ok: boolean }> {
  const log = opts.log ?? (() => {});
  const subscribe = opts.subscribe ?? true;
  const outageS = opts.outageS ?? 10;
  if (opts.drill === "redis") {
    if (!process.env.REDIS_URL)
      throw new Error(
        "--drill redis needs REDIS_URL: without Redis there is nothing to cut off (rate limits are decided in-process and pub/sub is PostgreSQL LISTEN/NOTIFY)",
      );
    if (opts.durationS < 1.5 * outageS + 3)
      throw new Error(
        `--drill redis needs --duration of at least ${Math.ceil(1.5 * outageS + 3)} s with --outage ${outageS}`,
      );
  }
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "load");
  let services: Services | undefined;
  let proxy: TcpProxy | undefined;
  const servers: AppServer[] = [];
  const subscribers: Subscriber[] = [];
  try {
    // The drill puts a proxy between the app servers and Redis (everything else is unchanged).
    if (opts.drill === "redis") proxy = await startTcpProxy(process.env.REDIS_URL!);
    const redisUrl = proxy?.url ?? process.env.REDIS_URL;
    const setup = createDatabase(scratch);
    await migratePublic(setup);
    await setup.close();
    const env: Record<string, string> = {
      NODE_ENV: "production",
      DATABASE_URL: scratch.adminUrl,
      DB_ROLE_PREFIX: scratch.rolePrefix,
      DATABASE_APP_PASSWORD: scratch.appPassword,
      MASTER_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString("base64"),
      NEXT_PUBLIC_BASE_DOMAIN: "load.test",
      ENABLE_MULTI_TENANCY: "true",
      DATABASE_POOL_MAX: "20",
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    };
    services = await createServices(loadEnv(env));
    const s = services;
    const localLimiter = opts.processes > 0 ? null : countLimiterDecisions(s);

    log(`creating ${opts.tenants} tenants × ${opts.users} users`);
    const tenants: LoadTenant[] = [];
    for (let i = 0; i < opts.tenants; i++) {
      const slug = `load-${i.toString().padStart(4, "0")}`;
      const { tenant, ownerId } = await s.tenants.createTenant(
        {
          name: `Load ${i}`,
          slug,
          ownerEmail: `owner@${slug}.test`,
          ownerName: "Owner",
          ownerPassword: "load-password-1",
        },
        SYSTEM,
        { plan: "custom" },
      );
      // Custom plan with request limits sized for the test: the limiter still runs on every call.
      await s.tenants.updateTenant(
        tenant.id,
        { limits: { ...tenant.limits, requestsPerMinute: 1_000_000, requestsPerHour: 10_000_000 } },
        { type: "super_admin", id: "load" },
      );
      const users: LoadUser[] = [];
      const ownerSession = await s.auth.createSession(tenant, ownerId, { ip: null, userAgent: "load" });
      users.push({ cookie: `nchat_session=${ownerSession.token}`, userId: ownerId });
      for (let u = 1; u < opts.users; u++) {
        const { token } = await s.members.invite(
          tenant,
          { type: "system" },
          { email: `u${u}@${slug}.test`, role: "member" },
        );
        const accepted = await s.members.accept(tenant, token, {
          name: `User ${u}`,
          password: "load-password-1",
        });
        users.push({ cookie: `nchat_session=${accepted.token}`, userId: accepted.session.user.id });
      }
      const [general] = await s.db.admin<{ id: string }[]>`
        select id from ${s.db.admin(tenant.schemaName)}.channels where is_default limit 1`;
      tenants.push({ slug, host: `${slug}.load.test`, channelId: general!.id, users, sent: new Set() });
    }

    if (opts.processes > 0) {
      log(`starting ${opts.processes} app server processes`);
      servers.push(
        ...(await Promise.all(Array.from({ length: opts.processes }, () => startServerProcess(env)))),
      );
    } else {
      const local = await serveTrpc(s);
      servers.push({ ...local, stats: async () => ({ limiter: localLimiter!(), cpuMs: ownCpuMs() }) });
    }
    const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
    let turn = 0;
    const call = (t: LoadTenant, u: LoadUser, path: string, body?: unknown) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const port = servers[turn++ % servers.length]!.port;
        const payload = body === undefined ? undefined : JSON.stringify({ json: body });
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port,
            agent,
            method: payload ? "POST" : "GET",
            path: payload
              ? `/api/trpc/${path}`
              : `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: { channelId: t.channelId, limit: 20 } }))}`,
            headers: {
              host: t.host,
              cookie: u.cookie,
              origin: `http://${t.host}`,
              ...(payload
                ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
                : {}),
            },
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (c) => (text += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on("error", reject);
        req.end(payload);
      });

    /** Send → first delivery on a stream, ms. */
    const deliveryLatency: number[] = [];
    /** When deliveries of messages sent during the outage arrived (performance.now()). */
    const outageDeliveries: number[] = [];
    let lastDeliveryAt = 0;
    let cutAt: number | null = null;
    let restoredAt: number | null = null;
    const inOutage = (t0: number, t1: number) =>
      cutAt !== null && t1 >= cutAt && (restoredAt === null || t0 < restoredAt);

    if (subscribe) {
      log(`opening ${tenants.length * opts.users} event streams (one per user)`);
      let n = 0;
      for (const t of tenants) {
        for (const u of t.users) {
          const first = n++;
          const sub: Subscriber = {
            tenant: t,
            received: new Map(),
            ready: false,
            foreign: 0,
            resyncs: 0,
            errors: new Map(),
            client: undefined as unknown as SseClient,
          };
          const onEvent = (e: SseEvent) => {
            if (e.event === "serialized-error") {
              const why = e.data.slice(0, 120);
              sub.errors.set(why, (sub.errors.get(why) ?? 0) + 1);
              return;
            }
            if (e.event !== "message") return; // connected, ping, restore-id, return
            const ev = (JSON.parse(e.data) as { json: StreamEvent }).json;
            if (ev.type === "ready") sub.ready = true;
            else if (ev.type === "resync") sub.resyncs++;
            else if (ev.type === "message.created") {
              const body = ev.message?.body ?? "";
              if (ev.channelId !== t.channelId || !body.startsWith(`load ${t.slug} `)) {
                sub.foreign++;
                return;
              }
              const times = (sub.received.get(body) ?? 0) + 1;
              sub.received.set(body, times);
              if (times > 1) return;
              const now = performance.now();
              const sentAt = sentAtOf(body);
              deliveryLatency.push(now - sentAt);
              lastDeliveryAt = Math.max(lastDeliveryAt, now);
              if (cutAt !== null && sentAt >= cutAt && (restoredAt === null || sentAt < restoredAt))
                outageDeliveries.push(now);
            }
          };
          // Round-robin over the servers; a reconnect goes to the next one (as a balancer may).
          sub.client = new SseClient(
            (attempt) => ({
              port: servers[(first + attempt) % servers.length]!.port,
              path: eventsPath,
              headers: { host: t.host, cookie: u.cookie, origin: `http://${t.host}` },
            }),
            onEvent,
          );
          subscribers.push(sub);
          sub.client.open();
        }
      }
      const until = Date.now() + 60_000;
      while (subscribers.some((x) => !x.ready)) {
        if (Date.now() > until)
          throw new Error(`${subscribers.filter((x) => !x.ready).length} event streams not ready in 60 s`);
        await sleep(50);
      }
    }

    log(
      `running ${opts.concurrency} concurrent clients for ${opts.durationS} s${proxy ? `, Redis cut off for ${outageS} s after ${(opts.durationS / 3).toFixed(0)} s` : ""}`,
    );
    const sendLatency: number[] = [];
    const readLatency: number[] = [];
    const outageSendLatency: number[] = [];
    let outageReads = 0;
    const errors = new Map<string, number>();
    const outageErrors = new Map<string, number>();
    const failed = (what: string, t0: number) => {
      errors.set(what, (errors.get(what) ?? 0) + 1);
      if (inOutage(t0, performance.now())) outageErrors.set(what, (outageErrors.get(what) ?? 0) + 1);
    };
    const deadline = Date.now() + opts.durationS * 1000;
    let seq = 0;
    // After the drill's restore, a quarter of the tenants get no more messages: their streams get what
    // was sent during the outage only through the recovery itself, not the next message's gap-fill.
    const quiet = (t: LoadTenant) =>
      proxy !== undefined && restoredAt !== null && tenants.indexOf(t) % 4 === 0;
    const worker = async () => {
      while (Date.now() < deadline) {
        const t = tenants[Math.floor(Math.random() * tenants.length)]!;
        const u = t.users[Math.floor(Math.random() * t.users.length)]!;
        const t0 = performance.now();
        if (Math.random() < 0.7 && !quiet(t)) {
          const body = messageBody(t.slug, seq++, t0);
          const r = await call(t, u, "chat.send", { channelId: t.channelId, body }).catch((e: Error) => ({
            status: 0,
            text: e.message,
          }));
          if (r.status === 200) {
            t.sent.add(body);
            const t1 = performance.now();
            sendLatency.push(t1 - t0);
            if (inOutage(t0, t1)) outageSendLatency.push(t1 - t0);
          } else failed(`send ${r.status}`, t0);
        } else {
          const r = await call(t, u, "chat.list").catch((e: Error) => ({ status: 0, text: e.message }));
          if (r.status === 200) {
            readLatency.push(performance.now() - t0);
            if (inOutage(t0, performance.now())) outageReads++;
            // Anything of another tenant in this response is an isolation failure.
            if (!r.text.includes(`load ${t.slug} `) && r.text.includes("load load-"))
              failed("foreign message", t0);
          } else failed(`read ${r.status}`, t0);
        }
      }
    };
    const drill = async () => {
      if (!proxy) return;
      await sleep((opts.durationS * 1000) / 3);
      await proxy.cut();
      cutAt = performance.now();
      log(`Redis cut off (connections dropped, new ones refused) for ${outageS} s`);
      await sleep(outageS * 1000);
      await proxy.restore();
      restoredAt = performance.now();
      log("Redis reachable again");
    };
    const cpuBefore = await cpuReading(servers);
    const started = performance.now();
    await Promise.all([drill(), ...Array.from({ length: opts.concurrency }, worker)]);
    const elapsed = (performance.now() - started) / 1000;
    const cpuAfter = await cpuReading(servers);
    const lastSendAt = performance.now();
    agent.destroy();

    // Every stream gets every message of its tenant: wait for the last ones (bounded; the feeds'
    // periodic catch-up is 30 s, so anything that needed it shows up as missing).
    const complete = () => subscribers.every((x) => [...x.tenant.sent].every((body) => x.received.has(body)));
    const drainUntil = performance.now() + 15_000;
    while (subscribe && !complete() && performance.now() < drainUntil) await sleep(100);
    const limiterStats = (await Promise.all(servers.map((x) => x.stats()))).map((x) => x.limiter);
    for (const x of subscribers) x.client.close();
    // Stopping the servers flushes their buffered usage and ends their connections.
    await Promise.all(servers.splice(0).map((x) => x.close()));

    log("verifying every message is in exactly its own tenant");
    let lost = 0;
    let duplicated = 0;
    let foreign = 0;
    for (const t of tenants) {
      const rows = await s.db.admin<{ body: string; n: number }[]>`
        select body, count(*)::int as n from ${s.db.admin(`tenant_${t.slug.replaceAll("-", "_")}`)}.messages group by body`;
      const stored = new Map(rows.map((r) => [r.body, r.n]));
      for (const body of t.sent) if (!stored.has(body)) lost++;
      for (const [body, n] of stored) {
        if (n > 1) duplicated += n - 1;
        if (!body.startsWith(`load ${t.slug} `)) foreign++;
      }
    }
    const totalErrors = [...errors.values()].reduce((a, b) => a + b, 0);
    const sends = sendLatency.length;
    const reads = readLatency.length;
    const row = (op: string, xs: number[], note = `${xs.length} requests`, bench = "load"): Row => ({
      bench,
      metric: `${op} p50 / p95 / p99`,
      value: `${ms(percentile(xs, 50))} / ${ms(percentile(xs, 95))} / ${ms(percentile(xs, 99))}`,
      note,
    });

    // Streams: every acknowledged send of the tenant exactly once, nothing of another tenant.
    let deliveries = 0;
    let missing = 0;
    let streamDuplicated = 0;
    let streamForeign = 0;
    let reconnects = 0;
    let resyncs = 0;
    const streamErrors = new Map<string, number>();
    const drops = new Map<string, number>();
    for (const x of subscribers) {
      for (const body of x.tenant.sent) if (!x.received.has(body)) missing++;
      for (const n of x.received.values()) {
        deliveries += n;
        streamDuplicated += n - 1;
      }
      streamForeign += x.foreign;
      reconnects += x.client.reconnects;
      resyncs += x.resyncs;
      for (const [k, v] of x.errors) streamErrors.set(k, (streamErrors.get(k) ?? 0) + v);
      for (const [k, v] of x.client.drops) drops.set(k, (drops.get(k) ?? 0) + v);
    }
    const totalStreamErrors = [...streamErrors.values()].reduce((a, b) => a + b, 0);
    const streamsOk =
      missing === 0 &&
      streamDuplicated === 0 &&
      streamForeign === 0 &&
      resyncs === 0 &&
      totalStreamErrors === 0;

    // The limiter: on Redis (when there is one); after the drill, back on Redis in every process.
    const limiter = limiterStats.reduce((a, b) => ({
      redis: a.redis + b.redis,
      degraded: a.degraded + b.degraded,
      firstDegradedAt: a.firstDegradedAt ?? b.firstDegradedAt,
      lastDegradedAt: Math.max(a.lastDegradedAt ?? 0, b.lastDegradedAt ?? 0) || null,
      redisSinceDegraded: Math.min(a.redisSinceDegraded, b.redisSinceDegraded),
    }));
    const epochOf = (perf: number) => performance.timeOrigin + perf;
    const backOnRedis = limiterStats.every(
      (x) =>
        x.redisSinceDegraded > 0 &&
        (x.lastDegradedAt === null ||
          (restoredAt !== null && x.lastDegradedAt < epochOf(restoredAt) + 10_000)),
    );
    let drillOk = true;
    const drillRows: Row[] = [];
    if (proxy && cutAt !== null && restoredAt !== null) {
      const restored = epochOf(restoredAt);
      const outageErrorCount = [...outageErrors.values()].reduce((a, b) => a + b, 0);
      const outageMessages = subscribers.length
        ? [...tenants].reduce(
            (n, t) =>
              n +
              [...t.sent].filter((b) => sentAtOf(b) >= cutAt! && sentAtOf(b) < restoredAt!).length *
                t.users.length,
            0,
          )
        : 0;
      const lastOutageDelivery = outageDeliveries.length ? Math.max(...outageDeliveries) : null;
      drillOk = outageErrorCount === 0 && limiter.degraded > 0 && backOnRedis;
      drillRows.push(
        {
          bench: "drill",
          metric: "Redis cut off",
          value: `${outageS} s`,
          note: `from +${((cutAt - started) / 1000).toFixed(1)} s: app servers reach Redis only through a TCP proxy, which dropped its connections and refused new ones`,
        },
        {
          bench: "drill",
          metric: "errors during the outage",
          value: String(outageErrorCount),
          note: `${outageSendLatency.length} sends, ${outageReads} reads during it${outageErrorCount ? `; ${[...outageErrors].map(([k, v]) => `${k}: ${v}`).join(", ")}` : ""}`,
        },
        row("send during the outage", outageSendLatency, `${outageSendLatency.length} requests`, "drill"),
        {
          bench: "drill",
          metric: "rate limiter",
          value: backOnRedis ? "back on Redis" : "NOT back on Redis",
          note: `${limiter.degraded} decisions in-process (Redis unreachable), the last +${
            limiter.lastDegradedAt === null ? "-" : ((limiter.lastDegradedAt - restored) / 1000).toFixed(1)
          } s after the restore; since then ${limiter.redisSinceDegraded}+ on Redis in each of ${limiterStats.length} process${limiterStats.length === 1 ? "" : "es"}`,
        },
        ...(subscribe
          ? [
              {
                bench: "drill",
                metric: "outage messages on streams",
                value: `${outageDeliveries.length} / ${outageMessages}`,
                note:
                  lastOutageDelivery === null
                    ? "none delivered"
                    : `deliveries of messages sent during the outage; the last ${((lastOutageDelivery - restoredAt) / 1000).toFixed(1)} s after the restore (${Math.ceil(tenants.length / 4)} tenants quiet after it)`,
              },
            ]
          : []),
      );
    }
    const ok = totalErrors === 0 && lost === 0 && duplicated === 0 && foreign === 0 && streamsOk && drillOk;
    const streamRows: Row[] = subscribe
      ? [
          {
            bench: "load",
            metric: "event streams",
            value: String(subscribers.length),
            note: `realtime.events over SSE, one per user, round-robin over the app servers; ${reconnects} reconnects${drops.size ? ` (${[...drops].map(([k, v]) => `${k}: ${v}`).join(", ")})` : ""}, ${resyncs} resyncs`,
          },
          {
            bench: "load",
            metric: "deliveries",
            value: String(deliveries),
            note: `message.created events received, ${(deliveries / elapsed).toFixed(0)}/s${totalStreamErrors ? `; stream errors: ${[...streamErrors].map(([k, v]) => `${k}: ${v}`).join(", ")}` : ""}`,
          },
          row(
            "send → delivery",
            deliveryLatency,
            `${deliveryLatency.length} first deliveries; ${lastDeliveryAt > lastSendAt ? `the last ${ms(lastDeliveryAt - lastSendAt)} after the run ended` : "all before the run ended"}`,
          ),
          {
            bench: "load",
            metric: "missing / duplicated / foreign (streams)",
            value: `${missing} / ${streamDuplicated} / ${streamForeign}`,
            note: "each stream: every acknowledged send of its tenant once, nothing of another",
          },
        ]
      : [];
    const limiterRows: Row[] =
      redisUrl && !proxy
        ? [
            {
              bench: "load",
              metric: "rate limit decisions",
              value: `${limiter.redis} on Redis / ${limiter.degraded} in-process`,
              note: "in-process = Redis unreachable (fallback)",
            },
          ]
        : [];
    return {
      ok,
      rows: [
        {
          bench: "load",
          metric: "tenants × users",
          value: `${opts.tenants} × ${opts.users}`,
          note: `${opts.concurrency} concurrent clients, ${elapsed.toFixed(0)} s, ${opts.processes || "in-process"} app server${opts.processes === 1 ? "" : "s"}`,
        },
        {
          bench: "load",
          metric: "sends/s",
          value: (sends / elapsed).toFixed(0),
          note: "chat.send over loopback HTTP, rate limits + usage on",
        },
        {
          bench: "load",
          metric: "reads/s",
          value: (reads / elapsed).toFixed(0),
          note: "chat.list (20 messages)",
        },
        row("send", sendLatency),
        row("read", readLatency),
        {
          bench: "load",
          metric: "errors",
          value: String(totalErrors),
          note: [...errors].map(([k, v]) => `${k}: ${v}`).join(", ") || "none",
        },
        {
          bench: "load",
          metric: "lost / duplicated / foreign",
          value: `${lost} / ${duplicated} / ${foreign}`,
          note: "verified per tenant schema after the run",
        },
        ...cpuRows(cpuBefore, cpuAfter, sends + reads, elapsed, opts.processes > 0),
        ...streamRows,
        ...limiterRows,
        ...drillRows,
      ],
    };
  } finally {
    for (const x of subscribers) x.client.close();
    await Promise.all(servers.map((x) => x.close()));
    await services?.close();
    await proxy?.close();
    await scratch.drop();
  }
}

type CpuReading = { app: number; client: number; postgres: number | null; redis: number | null };

/** CPU time used so far by the app servers, this process, PostgreSQL and Redis (ms). */
async function cpuReading(servers: AppServer[]): Promise<CpuReading> {
  const stats = await Promise.all(servers.map((x) => x.stats()));
  return {
    app: stats.reduce((a, x) => a + x.cpuMs, 0),
    client: ownCpuMs(),
    postgres: cpuMsOf(["postgres"]),
    redis: cpuMsOf(["redis-server"]),
  };
}

/**
 * Where the CPU went per request during the run, and what that allows: the machine's cores divided
 * by the CPU one request costs in all processes together.
 */
function cpuRows(
  before: CpuReading,
  after: CpuReading,
  requests: number,
  elapsedS: number,
  apart: boolean,
): Row[] {
  const per = (a: number | null, b: number | null) => (a === null || b === null ? null : (b - a) / requests);
  const app = per(before.app, after.app)!;
  const client = per(before.client, after.client)!;
  const pg = per(before.postgres, after.postgres);
  const redis = per(before.redis, after.redis);
  const total = (apart ? app : 0) + client + (pg ?? 0) + (redis ?? 0);
  const cores = availableParallelism();
  const f = (x: number | null) => (x === null ? "n/a" : `${x.toFixed(2)} ms`);
  return [
    {
      bench: "load",
      metric: "CPU per request: app / PostgreSQL / Redis",
      value: `${f(app)} / ${f(pg)} / ${f(redis)}`,
      note: `${apart ? "app server processes" : "app served in the load process (includes the client)"}; all PostgreSQL and Redis processes of this machine`,
    },
    {
      bench: "load",
      metric: "CPU per request, all processes",
      value: f(total),
      note: `with the load client (${f(client)}); ${cores} cores → at most ${Math.round((cores * 1000) / total)} requests/s here; ${((total * requests) / (elapsedS * 10 * cores)).toFixed(0)}% of the machine used`,
    },
  ];
}

/** What the load test reads of a stream's events. */
type StreamEvent = { type: string; id?: number; channelId?: string; message?: { body: string } };

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      tenants: { type: "string", default: "100" },
      users: { type: "string", default: "3" },
      duration: { type: "string", default: "60" },
      concurrency: { type: "string", default: "32" },
      processes: { type: "string", default: "2" },
      subscribe: { type: "string", default: "true" },
      drill: { type: "string" },
      outage: { type: "string", default: "10" },
    },
  });
  if (values.drill !== undefined && values.drill !== "redis") {
    console.error(`load: unknown --drill ${values.drill} (there is: redis)`);
    process.exit(2);
  }
  if (values.drill === "redis" && !process.env.REDIS_URL) {
    console.error(
      "load: --drill redis needs REDIS_URL — without Redis there is nothing to cut off (rate limits are decided in-process, pub/sub is PostgreSQL LISTEN/NOTIFY). Run it as REDIS_URL=redis://… DATABASE_URL=… pnpm load --drill redis",
    );
    process.exit(2);
  }
  if (values.subscribe !== "true" && values.subscribe !== "false") {
    console.error("load: --subscribe is true or false");
    process.exit(2);
  }
  const { rows, ok } = await runLoad({
    tenants: Number(values.tenants),
    users: Number(values.users),
    durationS: Number(values.duration),
    concurrency: Number(values.concurrency),
    processes: Number(values.processes),
    subscribe: values.subscribe === "true",
    drill: values.drill === "redis" ? "redis" : undefined,
    outageS: Number(values.outage),
    log: (s) => console.log(`[load] ${s}`),
  });
  printTable(
    `Load test (${process.env.DATABASE_URL ? "PostgreSQL at DATABASE_URL" : "embedded PostgreSQL"}${process.env.REDIS_URL ? " + Redis" : ""}${values.drill ? `, drill: ${values.drill} stopped` : ""})`,
    rows,
  );
  console.log(
    ok
      ? `\nload: OK — no errors, nothing lost, duplicated or visible elsewhere${values.subscribe === "true" ? "; every stream got every message of its tenant once" : ""}${values.drill ? "; recovered from the drill" : ""}`
      : "\nload: FAILED",
  );
  process.exitCode = ok ? 0 : 1;
}
