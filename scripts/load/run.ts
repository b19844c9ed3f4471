// `pnpm load [--tenants 100] [--users 3] [--duration 60] [--concurrency 32] [--processes 2]
//            [--subscribe true|false] [--drill redis|redis-cluster-node|pg-restart|pg-outage|sigterm [--outage 10]]`
// Many tenants, several users each, concurrent sends and reads over loopback HTTP for a bounded time,
// spread round-robin over several app server processes (as behind a load balancer). Every user holds
// one realtime event stream (`realtime.events` over SSE), reconnecting with its last event id when it
// drops, as a browser does.
// Reports throughput and latency, then checks, per tenant, after the app servers have exited (their
// buffered usage flushed):
// - every send acknowledged with a 2xx is stored exactly once, in its own tenant; sends that failed
//   (503, no answer, …) are counted apart, and those stored anyway are reported ("unacknowledged but
//   stored": the commit went through, its answer did not); nothing else is stored;
// - usage: `public.tenant_usage.messages_sent` of the tenant grew by exactly its acknowledged sends
//   (the chat service counts a message after its transaction committed, before the answer goes out);
//   `api_calls_by_endpoint` counts calls that passed authentication, also those that failed later,
//   so it lies between the acknowledged and the made requests (equal to both when none failed);
// - every stream received every acknowledged message of its tenant once, and nothing of another;
// - the rate limiter decided on Redis and the tenant cache read Redis: in-process decisions or Redis
//   failures outside a Redis drill's outage fail the run.
// Drills (faults a third into the run):
// - `redis`: the app servers reach Redis through a TCP proxy that is cut for `--outage` seconds.
// - `redis-cluster-node`: a master of the Redis Cluster at REDIS_CLUSTER_URL is shut down for
//   `--outage` seconds, then started again (app servers on the cluster).
// - `pg-restart`: the PostgreSQL server (an embedded one of the drill's own) is stopped and started
//   again at once; the app servers keep running.
// - `pg-outage`: the same server is stopped for `--outage` seconds: requests get 503 + Retry-After
//   meanwhile, and the app servers recover by themselves.
// - `sigterm`: one app server process gets SIGTERM (after the balancer stopped sending it requests):
//   it drains, finishes its requests, flushes its usage and exits 0; its event streams resume on
//   another process with their last event id.
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
import {
  type RedisClusterNode,
  redisClusterNode,
  type StoppablePostgres,
  startStoppablePostgres,
} from "./faults";
import { serveTrpc } from "./http-server";
import { countLimiterDecisions, type LimiterStats } from "./limiter-probe";
import { SseClient, type SseEvent } from "./sse";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

export const DRILLS = ["redis", "redis-cluster-node", "pg-restart", "pg-outage", "sigterm"] as const;
export type Drill = (typeof DRILLS)[number];
const isRedisDrill = (d: Drill | undefined) => d === "redis" || d === "redis-cluster-node";
const isPgDrill = (d: Drill | undefined) => d === "pg-restart" || d === "pg-outage";

type LoadUser = { cookie: string; userId: string };
type LoadTenant = {
  id: string;
  slug: string;
  schema: string;
  host: string;
  channelId: string;
  users: LoadUser[];
  /** Bodies of the sends answered 2xx (acknowledged). */
  sent: Set<string>;
  /** Bodies of the sends that failed (no 2xx): they may or may not be stored. */
  unacked: Set<string>;
  reads: { made: number; acked: number };
};

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
  /** Fault drill a third into the run (see the file's comment). */
  drill?: Drill;
  /** Seconds the drill keeps Redis, the cluster node or PostgreSQL down (default 10). */
  outageS?: number;
  /** redis-cluster-node: the cluster whose node is shut down (default REDIS_CLUSTER_URL). */
  redisClusterUrl?: string;
  log?: (s: string) => void;
};

/** What a run measured; `ok` in `runLoad`'s result says whether every check held. */
export type LoadFigures = {
  sends: { made: number; acked: number; failed: number };
  reads: { made: number; acked: number; failed: number };
  /** Load messages stored (all tenants, after the run). */
  stored: number;
  /** Acknowledged sends not stored / stored more than once / stored in another tenant. */
  lost: number;
  duplicated: number;
  foreign: number;
  /** Failed sends that were stored all the same. */
  unackedStored: number;
  /** Stored load messages that no send of this run made. */
  unexpected: number;
  usage: {
    /** messages_sent added during the run, all tenants; must equal sends.acked. */
    messagesSent: number;
    /** Tenants whose messages_sent delta differs from their acknowledged sends. */
    tenantsOff: string[];
    /** api_calls_by_endpoint deltas of chat.send and chat.list, all tenants. */
    sendCalls: number;
    listCalls: number;
    /** Tenants whose endpoint counts lie outside [acknowledged, made]. */
    callsOutOfBounds: string[];
  };
  streams: {
    count: number;
    missing: number;
    duplicated: number;
    foreign: number;
    errors: number;
    /** Streams that ended (server draining, connection lost) and reconnected with their last event id. */
    reconnects: number;
  };
  limiter: {
    redis: number;
    degraded: number;
    /** In-process decisions and tenant-cache Redis failures that no Redis drill explains. */
    degradedOutsideDrill: number;
    resolverRedisFailures: number;
    resolverFailuresOutsideDrill: number;
  };
  /** Exit codes of the app server processes (0: shut down cleanly, usage flushed). */
  exitCodes: (number | null)[];
  /** Failed requests the drill does not explain (outside its window, or no drill). */
  errors: number;
  drill: DrillFigures | null;
};

export type DrillFigures = {
  name: Drill;
  /** Seconds into the run when the fault began, and how long the dependency was down. */
  atS: number;
  downS: number;
  /**
   * Requests made during the drill's window: ended after the fault began, started before the
   * restore (PostgreSQL drills: before 5 s after it, the time allowed to recover).
   */
  requestsDuring: number;
  /** Failed requests during the drill's window, by kind. */
  errorsDuring: Record<string, number>;
  /** Requests started while PostgreSQL was down that did not get 503 with Retry-After. */
  not503: number;
  /** From the restore to the first acknowledged send started after it (s). */
  recoverS: number | null;
  /** The last failure, seconds after the restore (null: none after it). */
  lastErrorAfterRestoreS: number | null;
  /** sigterm: the process's exit code and how long it took to exit after the signal (s). */
  victimExitCode?: number | null;
  drainS?: number;
  /** sigterm: sends the signalled process acknowledged (its usage counts must be in the database). */
  victimAcked?: number;
};

type ServerStats = { limiter: LimiterStats; resolverRedisFailures: number; cpuMs: number };
type AppServer = {
  port: number;
  pid: number;
  /** SIGTERM and wait for the exit; resolves to the exit code. */
  close(): Promise<number | null>;
  stats(): Promise<ServerStats>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The message of a tRPC error answer (its JSON), or the start of the text. */
function errorMessageOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { json?: { message?: string; data?: { appCode?: string } } } };
    const e = body.error?.json;
    if (e?.message) return `${e.data?.appCode ?? "?"} ${e.message}`;
  } catch {}
  return text.slice(0, 120);
}

/** Body of a load message: its tenant first (isolation checks), the send's start time (latency). */
const messageBody = (slug: string, seq: number, sentAt: number) =>
  `load ${slug} ${seq} ${sentAt.toFixed(1)} ${randomUUID()}`;
const sentAtOf = (body: string) => Number(body.split(" ")[3]);

/** Starts one app server process and waits for its port. */
function startServerProcess(env: Record<string, string>): Promise<AppServer> {
  const child: ChildProcess = fork(new URL("./server-process.ts", import.meta.url).pathname, {
    env: { ...process.env, NCHAT_LOAD_ENV: JSON.stringify(env) },
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    void exited.then((code) => reject(new Error(`app server process exited (${code})`)));
    child.once("message", (m: { port: number; pid: number }) =>
      resolve({
        port: m.port,
        pid: m.pid,
        close: () => {
          if (exitCode === undefined) child.kill("SIGTERM");
          return exited;
        },
        stats: () =>
          new Promise<ServerStats>((done, fail) => {
            const timer = setTimeout(() => fail(new Error("app server process: no stats")), 5_000);
            const onMessage = (r: Partial<ServerStats> & { type?: string }) => {
              if (r.type !== "stats" || !r.limiter || r.cpuMs === undefined) return;
              clearTimeout(timer);
              child.off("message", onMessage);
              done({
                limiter: r.limiter,
                resolverRedisFailures: r.resolverRedisFailures ?? 0,
                cpuMs: r.cpuMs,
              });
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

/** Usage flows per tenant: messages sent and calls of the two endpoints the load uses. */
type UsageCounts = { sent: number; sendCalls: number; listCalls: number };
async function usageOf(services: Services, tenantIds: string[]): Promise<Map<string, UsageCounts>> {
  const rows = await services.db.admin<({ tenant_id: string } & UsageCounts)[]>`
    select tenant_id,
           coalesce(sum(messages_sent), 0)::int as sent,
           coalesce(sum((api_calls_by_endpoint->>'chat.send')::bigint), 0)::int as "sendCalls",
           coalesce(sum((api_calls_by_endpoint->>'chat.list')::bigint), 0)::int as "listCalls"
    from public.tenant_usage where tenant_id = any(${tenantIds}::uuid[]) group by tenant_id`;
  return new Map(
    rows.map((r) => [r.tenant_id, { sent: r.sent, sendCalls: r.sendCalls, listCalls: r.listCalls }]),
  );
}

/** Retries a verification query while a drilled server comes back (bounded). */
async function settled<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(500);
    }
  }
}

export async function runLoad(
  opts: LoadOptions,
): Promise<{ rows: Row[]; ok: boolean; figures: LoadFigures; failures: string[] }> {
  const log = opts.log ?? (() => {});
  const subscribe = opts.subscribe ?? true;
  const drill = opts.drill;
  const outageS = drill === "pg-restart" || drill === "sigterm" ? 0 : (opts.outageS ?? 10);
  if (drill === "redis" && !process.env.REDIS_URL)
    throw new Error(
      "--drill redis needs REDIS_URL: without Redis there is nothing to cut off (rate limits are decided in-process and pub/sub is PostgreSQL LISTEN/NOTIFY)",
    );
  const clusterUrl =
    drill === "redis-cluster-node" ? (opts.redisClusterUrl ?? process.env.REDIS_CLUSTER_URL) : undefined;
  if (drill === "redis-cluster-node" && !clusterUrl)
    throw new Error(
      "--drill redis-cluster-node needs REDIS_CLUSTER_URL (a Redis Cluster whose node it may kill: scripts/ci/redis-cluster.sh start)",
    );
  if (drill === "sigterm" && opts.processes < 2)
    throw new Error("--drill sigterm needs --processes 2 or more (another process takes over)");
  if (drill && opts.durationS < 1.5 * outageS + 9)
    throw new Error(
      `--drill ${drill} needs --duration of at least ${Math.ceil(1.5 * outageS + 9)} s with --outage ${outageS}`,
    );
  // The PostgreSQL drills run on a server of their own that they can stop and start.
  let pg: StoppablePostgres | undefined;
  if (isPgDrill(drill)) {
    log("starting an embedded PostgreSQL for the drill (it is stopped mid-run)");
    pg = await startStoppablePostgres();
  }
  const scratch = await createScratchDatabase(pg?.url ?? process.env.DATABASE_URL, "load");
  let services: Services | undefined;
  let proxy: TcpProxy | undefined;
  let node: RedisClusterNode | undefined;
  const servers: AppServer[] = [];
  /** The servers the balancer sends requests to (a draining one is taken out first). */
  const live: AppServer[] = [];
  const subscribers: Subscriber[] = [];
  try {
    // The Redis drill puts a proxy between the app servers and Redis (everything else is unchanged).
    if (drill === "redis") proxy = await startTcpProxy(process.env.REDIS_URL!);
    const redisUrl = clusterUrl ?? proxy?.url ?? process.env.REDIS_URL;
    const setup = createDatabase(scratch);
    await migratePublic(setup);
    await setup.close();
    const env: Record<string, string> = {
      NODE_ENV: "production",
      DATABASE_URL: scratch.adminUrl,
      // Production refuses to start without an explicit billing mode; these runs use offline billing.
      BILLING_MODE: "offline",
      DB_ROLE_PREFIX: scratch.rolePrefix,
      DATABASE_APP_PASSWORD: scratch.appPassword,
      MASTER_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString("base64"),
      NEXT_PUBLIC_BASE_DOMAIN: "load.test",
      ENABLE_MULTI_TENANCY: "true",
      DATABASE_POOL_MAX: "20",
      // Warnings and errors only: a line per request would drown the report.
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      ...(clusterUrl
        ? { REDIS_CLUSTER: "true" }
        : process.env.REDIS_CLUSTER && redisUrl
          ? { REDIS_CLUSTER: process.env.REDIS_CLUSTER }
          : {}),
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
        const { token } = await s.invitations.invite(
          tenant,
          { type: "system" },
          { email: `u${u}@${slug}.test`, role: "member" },
        );
        const accepted = await s.invitations.accept(tenant, token, {
          name: `User ${u}`,
          password: "load-password-1",
        });
        users.push({ cookie: `nchat_session=${accepted.token}`, userId: accepted.session.user.id });
      }
      const [general] = await s.db.admin<{ id: string }[]>`
        select id from ${s.db.admin(tenant.schemaName)}.channels where is_default limit 1`;
      tenants.push({
        id: tenant.id,
        slug,
        schema: tenant.schemaName,
        host: `${slug}.load.test`,
        channelId: general!.id,
        users,
        sent: new Set(),
        unacked: new Set(),
        reads: { made: 0, acked: 0 },
      });
    }
    // The master to shut down: the one serving the first tenant's rate-limit keys (hash tag `{id}`),
    // so the drill always takes away keys the run uses.
    if (clusterUrl) node = await redisClusterNode(clusterUrl, { holding: `{${tenants[0]!.id}}` });
    // Usage before the run (whatever setup counted), so the check compares what the run added.
    await s.usage.flush();
    const usageBefore = await usageOf(
      s,
      tenants.map((t) => t.id),
    );

    if (opts.processes > 0) {
      log(`starting ${opts.processes} app server processes`);
      servers.push(
        ...(await Promise.all(Array.from({ length: opts.processes }, () => startServerProcess(env)))),
      );
    } else {
      const local = await serveTrpc(s);
      servers.push({
        port: local.port,
        pid: process.pid,
        close: () => local.close().then(() => 0),
        stats: async () => ({
          limiter: localLimiter!(),
          resolverRedisFailures: s.resolver.stats.redisFailures,
          cpuMs: ownCpuMs(),
        }),
      });
    }
    live.push(...servers);
    const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
    let turn = 0;
    type Answer = { status: number; text: string; retryAfter: string | null; port?: number };
    /** Acknowledged sends by the port of the server that answered. */
    const ackedBy = new Map<number, number>();
    const call = (t: LoadTenant, u: LoadUser, path: string, body?: unknown) =>
      new Promise<Answer>((resolve, reject) => {
        const port = live[turn++ % live.length]!.port;
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
            res.on("end", () => {
              const ra = res.headers["retry-after"];
              resolve({
                status: res.statusCode ?? 0,
                text,
                retryAfter: typeof ra === "string" ? ra : null,
                port,
              });
            });
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
    /** The fault began / the dependency was down (stop finished) / it was back. performance.now(). */
    let cutAt: number | null = null;
    let downAt: number | null = null;
    let restoredAt: number | null = null;
    /** Failures in this window are the drill's (PostgreSQL drills: until 5 s after the restore). */
    const graceMs = isPgDrill(drill) ? 5_000 : 0;
    const inOutage = (t0: number, t1: number) =>
      cutAt !== null && t1 >= cutAt && (restoredAt === null || t0 < restoredAt + graceMs);

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
          // Round-robin over the live servers; a reconnect goes to the next one (as a balancer may).
          sub.client = new SseClient(
            (attempt) => ({
              port: live[(first + attempt) % live.length]!.port,
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

    const what: Record<Drill, string> = {
      redis: `Redis cut off for ${outageS} s`,
      "redis-cluster-node": `a Redis Cluster node down for ${outageS} s`,
      "pg-restart": "PostgreSQL restarted",
      "pg-outage": `PostgreSQL stopped for ${outageS} s`,
      sigterm: "SIGTERM to one app server",
    };
    log(
      `running ${opts.concurrency} concurrent clients for ${opts.durationS} s${drill ? `, ${what[drill]} after ${(opts.durationS / 3).toFixed(0)} s` : ""}`,
    );
    const sendLatency: number[] = [];
    const readLatency: number[] = [];
    const outageSendLatency: number[] = [];
    let outageReads = 0;
    let requestsDuring = 0;
    let not503 = 0;
    let firstAckAfterRestore: number | null = null;
    let lastFailureAt: number | null = null;
    /** Failures the drill does not explain. */
    const errors = new Map<string, number>();
    const outageErrors = new Map<string, number>();
    /** PostgreSQL drills: retryable 503s of requests that began after the restore, with what they said. */
    const lateRetries: string[] = [];
    const answered = (t0: number, t1: number) => {
      if (inOutage(t0, t1)) requestsDuring++;
    };
    const failed = (what: string, t0: number, r: Answer) => {
      const t1 = performance.now();
      answered(t0, t1);
      lastFailureAt = Math.max(lastFailureAt ?? 0, t1);
      // Started while PostgreSQL was down: the answer must be 503 with Retry-After.
      if (isPgDrill(drill) && downAt !== null && t0 >= downAt && (restoredAt === null || t0 < restoredAt)) {
        if (r.status !== 503 || !r.retryAfter) not503++;
      }
      const kind = `${what} ${r.status}${r.status === 503 ? (r.retryAfter ? " (Retry-After)" : " (no Retry-After)") : ""}`;
      // Only the PostgreSQL drills may fail requests; the others must not fail any. After a restart
      // every pool reconnects at once, and on a loaded machine a new connection can wait out
      // DATABASE_CONNECT_TIMEOUT (5 s) while other work is answered. The database layer tries such a
      // unit of work once more (availability.ts); one whose second connect fails too answers 503 +
      // Retry-After — retryable, counted as the drill's and listed in the row "retryable 503s after
      // the restore". A 500, or a 503 without Retry-After, fails the drill.
      const lateRetry = isPgDrill(drill) && r.status === 503 && !!r.retryAfter && restoredAt !== null;
      const explained = isPgDrill(drill) && (inOutage(t0, t1) || lateRetry);
      if (lateRetry && !inOutage(t0, t1))
        lateRetries.push(
          `${what} +${((t0 - restoredAt!) / 1000).toFixed(1)} s after the restore, answered in ${((t1 - t0) / 1000).toFixed(1)} s: ${errorMessageOf(r.text)}`,
        );
      if (explained || inOutage(t0, t1)) outageErrors.set(kind, (outageErrors.get(kind) ?? 0) + 1);
      if (!explained) errors.set(kind, (errors.get(kind) ?? 0) + 1);
    };
    const deadline = Date.now() + opts.durationS * 1000;
    let seq = 0;
    // After a Redis drill's restore, a quarter of the tenants get no more messages: their streams get
    // what was sent during the outage only through the recovery itself, not the next message's gap-fill.
    const quiet = (t: LoadTenant) =>
      isRedisDrill(drill) && restoredAt !== null && tenants.indexOf(t) % 4 === 0;
    const worker = async () => {
      while (Date.now() < deadline) {
        const t = tenants[Math.floor(Math.random() * tenants.length)]!;
        const u = t.users[Math.floor(Math.random() * t.users.length)]!;
        const t0 = performance.now();
        if (Math.random() < 0.7 && !quiet(t)) {
          const body = messageBody(t.slug, seq++, t0);
          const r = await call(t, u, "chat.send", { channelId: t.channelId, body }).catch(
            (e: Error): Answer => ({ status: 0, text: e.message, retryAfter: null }),
          );
          if (r.status === 200) {
            t.sent.add(body);
            if (r.port) ackedBy.set(r.port, (ackedBy.get(r.port) ?? 0) + 1);
            const t1 = performance.now();
            answered(t0, t1);
            sendLatency.push(t1 - t0);
            if (inOutage(t0, t1)) outageSendLatency.push(t1 - t0);
            if (restoredAt !== null && t0 >= restoredAt) firstAckAfterRestore ??= t1;
          } else {
            t.unacked.add(body);
            failed("send", t0, r);
          }
        } else {
          t.reads.made++;
          const r = await call(t, u, "chat.list").catch(
            (e: Error): Answer => ({ status: 0, text: e.message, retryAfter: null }),
          );
          if (r.status === 200) {
            t.reads.acked++;
            const t1 = performance.now();
            answered(t0, t1);
            readLatency.push(t1 - t0);
            if (inOutage(t0, t1)) outageReads++;
            // Anything of another tenant in this response is an isolation failure.
            if (!r.text.includes(`load ${t.slug} `) && r.text.includes("load load-"))
              failed("foreign message", t0, r);
          } else failed("read", t0, r);
        }
      }
    };
    /** Limiter and tenant-cache figures of every process at the fault (must all be on Redis so far). */
    let atCut: ServerStats[] = [];
    /** redis-cluster-node: from starting the node again to the cluster state ok (s). */
    let rejoinS = 0;
    let victim: { server: AppServer; stats: ServerStats; exitCode: number | null; drainS: number } | null =
      null;
    const runDrill = async () => {
      if (!drill) return;
      await sleep((opts.durationS * 1000) / 3);
      atCut = await Promise.all(live.map((x) => x.stats()));
      cutAt = performance.now();
      if (drill === "redis") {
        await proxy!.cut();
        downAt = performance.now();
        log(`Redis cut off (connections dropped, new ones refused) for ${outageS} s`);
        await sleep(outageS * 1000);
        await proxy!.restore();
        log("Redis reachable again");
      } else if (drill === "redis-cluster-node") {
        await node!.kill();
        downAt = performance.now();
        log(
          `Redis Cluster node ${node!.host}:${node!.port} (slots ${node!.slots}) shut down for ${outageS} s`,
        );
        await sleep(outageS * 1000);
        rejoinS = await node!.restart();
        log(`the node is back, cluster state ok after ${rejoinS.toFixed(1)} s`);
      } else if (isPgDrill(drill)) {
        await pg!.stop();
        downAt = performance.now();
        log(`PostgreSQL stopped${drill === "pg-outage" ? ` for ${outageS} s` : ", starting it again"}`);
        await sleep(outageS * 1000);
        await pg!.start();
        log(
          `PostgreSQL accepting connections again (${((performance.now() - cutAt) / 1000).toFixed(1)} s after the stop began)`,
        );
      } else if (drill === "sigterm") {
        // The balancer takes the server out first, then the orchestrator signals it.
        const server = live.shift()!;
        const stats = await server.stats();
        log(`SIGTERM to app server ${server.pid} (port ${server.port})`);
        downAt = performance.now();
        const exitCode = await server.close();
        victim = { server, stats, exitCode, drainS: (performance.now() - cutAt) / 1000 };
        log(`app server ${server.pid} exited with ${exitCode} after ${victim.drainS.toFixed(1)} s`);
      }
      restoredAt = performance.now();
    };
    const cpuBefore = await cpuReading(live);
    const started = performance.now();
    await Promise.all([runDrill(), ...Array.from({ length: opts.concurrency }, worker)]);
    const elapsed = (performance.now() - started) / 1000;
    const cpuAfter = await cpuReading(live);
    const lastSendAt = performance.now();
    agent.destroy();

    // Every stream gets every message of its tenant: wait for the last ones (bounded; the feeds'
    // periodic catch-up is 30 s, so anything that needed it shows up as missing).
    const complete = () => subscribers.every((x) => [...x.tenant.sent].every((body) => x.received.has(body)));
    const drainUntil = performance.now() + 15_000;
    while (subscribe && !complete() && performance.now() < drainUntil) await sleep(100);
    const endStats = await Promise.all(live.map((x) => x.stats()));
    const v = victim as {
      server: AppServer;
      stats: ServerStats;
      exitCode: number | null;
      drainS: number;
    } | null;
    const allStats = [...endStats, ...(v ? [v.stats] : [])];
    const limiterStats = allStats.map((x) => x.limiter);
    for (const x of subscribers) x.client.close();
    // Stopping the servers (SIGTERM) flushes their buffered usage and ends their connections.
    const exitCodes = [
      ...(v ? [v.exitCode] : []),
      ...(await Promise.all(live.splice(0).map((x) => x.close()))),
    ];
    servers.splice(0);

    log("verifying every acknowledged message is stored once in its own tenant, and the usage counts");
    let lost = 0;
    let duplicated = 0;
    let foreign = 0;
    let unackedStored = 0;
    let unexpected = 0;
    let stored = 0;
    for (const t of tenants) {
      const rows = await settled(
        () => s.db.admin<{ body: string; n: number }[]>`
        select body, count(*)::int as n from ${s.db.admin(t.schema)}.messages where body like 'load %' group by body`,
      );
      const inTenant = new Map(rows.map((r) => [r.body, r.n]));
      for (const body of t.sent) {
        const n = inTenant.get(body) ?? 0;
        if (n === 0) lost++;
        if (n > 1) duplicated += n - 1;
      }
      for (const body of t.unacked) if (inTenant.has(body)) unackedStored++;
      for (const [body, n] of inTenant) {
        stored += n;
        if (!body.startsWith(`load ${t.slug} `)) foreign++;
        else if (!t.sent.has(body) && !t.unacked.has(body)) unexpected++;
      }
    }
    const usageAfter = await settled(() =>
      usageOf(
        s,
        tenants.map((t) => t.id),
      ),
    );
    const zero: UsageCounts = { sent: 0, sendCalls: 0, listCalls: 0 };
    let messagesSent = 0;
    let sendCalls = 0;
    let listCalls = 0;
    const tenantsOff: string[] = [];
    const callsOutOfBounds: string[] = [];
    for (const t of tenants) {
      const a = usageAfter.get(t.id) ?? zero;
      const b = usageBefore.get(t.id) ?? zero;
      const d = {
        sent: a.sent - b.sent,
        sendCalls: a.sendCalls - b.sendCalls,
        listCalls: a.listCalls - b.listCalls,
      };
      messagesSent += d.sent;
      sendCalls += d.sendCalls;
      listCalls += d.listCalls;
      if (d.sent !== t.sent.size)
        tenantsOff.push(`${t.slug}: ${d.sent} counted, ${t.sent.size} acknowledged`);
      const sendsMade = t.sent.size + t.unacked.size;
      if (d.sendCalls < t.sent.size || d.sendCalls > sendsMade)
        callsOutOfBounds.push(`${t.slug}: chat.send ${d.sendCalls} not in [${t.sent.size}, ${sendsMade}]`);
      if (d.listCalls < t.reads.acked || d.listCalls > t.reads.made)
        callsOutOfBounds.push(
          `${t.slug}: chat.list ${d.listCalls} not in [${t.reads.acked}, ${t.reads.made}]`,
        );
    }

    const totalErrors = [...errors.values()].reduce((a, b) => a + b, 0);
    const sendsAcked = tenants.reduce((n, t) => n + t.sent.size, 0);
    const sendsFailed = tenants.reduce((n, t) => n + t.unacked.size, 0);
    const readsMade = tenants.reduce((n, t) => n + t.reads.made, 0);
    const readsAcked = tenants.reduce((n, t) => n + t.reads.acked, 0);
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

    // The limiter and the tenant cache: on Redis (when there is one) — in-process decisions and Redis
    // failures only during a Redis drill's outage, and back on Redis in every process after it.
    const limiter = limiterStats.reduce((a, b) => ({
      redis: a.redis + b.redis,
      degraded: a.degraded + b.degraded,
      firstDegradedAt:
        Math.min(a.firstDegradedAt ?? Infinity, b.firstDegradedAt ?? Infinity) === Infinity
          ? null
          : Math.min(a.firstDegradedAt ?? Infinity, b.firstDegradedAt ?? Infinity),
      lastDegradedAt: Math.max(a.lastDegradedAt ?? 0, b.lastDegradedAt ?? 0) || null,
      redisSinceDegraded: Math.min(a.redisSinceDegraded, b.redisSinceDegraded),
    }));
    const resolverRedisFailures = allStats.reduce((n, x) => n + x.resolverRedisFailures, 0);
    const epochOf = (perf: number) => performance.timeOrigin + perf;
    const restoredEpoch = restoredAt === null ? null : epochOf(restoredAt);
    const backOnRedis = limiterStats.every(
      (x) =>
        x.redisSinceDegraded > 0 &&
        (x.lastDegradedAt === null || (restoredEpoch !== null && x.lastDegradedAt < restoredEpoch + 10_000)),
    );
    let degradedOutsideDrill: number;
    let resolverFailuresOutsideDrill: number;
    if (isRedisDrill(drill)) {
      // Before the fault: none. After it: back on Redis within 10 s of the restore.
      degradedOutsideDrill = atCut.reduce((n, x) => n + x.limiter.degraded, 0) + (backOnRedis ? 0 : 1);
      resolverFailuresOutsideDrill = atCut.reduce((n, x) => n + x.resolverRedisFailures, 0);
    } else {
      degradedOutsideDrill = limiter.degraded;
      resolverFailuresOutsideDrill = resolverRedisFailures;
    }
    const usesRedis = redisUrl !== undefined;

    let drillFigures: DrillFigures | null = null;
    const drillRows: Row[] = [];
    const failures: string[] = [];
    if (drill && cutAt !== null && restoredAt !== null) {
      const cut = cutAt as number;
      const restored = restoredAt as number;
      const outageErrorCount = [...outageErrors.values()].reduce((a, b) => a + b, 0);
      drillFigures = {
        name: drill,
        atS: (cut - started) / 1000,
        downS: (restored - cut) / 1000,
        requestsDuring,
        errorsDuring: Object.fromEntries(outageErrors),
        not503,
        recoverS: firstAckAfterRestore === null ? null : ((firstAckAfterRestore as number) - restored) / 1000,
        lastErrorAfterRestoreS:
          lastFailureAt !== null && (lastFailureAt as number) > restored
            ? ((lastFailureAt as number) - restored) / 1000
            : null,
        ...(v
          ? { victimExitCode: v.exitCode, drainS: v.drainS, victimAcked: ackedBy.get(v.server.port) ?? 0 }
          : {}),
      };
      const outageMessages = subscribers.length
        ? tenants.reduce(
            (n, t) =>
              n +
              [...t.sent].filter((b) => sentAtOf(b) >= cut && sentAtOf(b) < restored).length * t.users.length,
            0,
          )
        : 0;
      const lastOutageDelivery = outageDeliveries.length ? Math.max(...outageDeliveries) : null;
      const downWhat: Record<Drill, string> = {
        redis: "Redis cut off",
        "redis-cluster-node": "Redis Cluster node down",
        "pg-restart": "PostgreSQL restart (stop + start)",
        "pg-outage": "PostgreSQL stopped",
        sigterm: "SIGTERM → exit",
      };
      const how: Record<Drill, string> = {
        redis:
          "app servers reach Redis only through a TCP proxy, which dropped its connections and refused new ones",
        "redis-cluster-node": `master ${node?.host}:${node?.port} (slots ${node?.slots}) shut down for ${outageS} s, then started again with its nodes.conf; cluster state ok ${rejoinS.toFixed(1)} s after that`,
        "pg-restart":
          "the app servers' PostgreSQL (embedded, own data dir) stopped (fast shutdown) and started again; no app restart",
        "pg-outage":
          "the app servers' PostgreSQL (embedded, own data dir) stopped, then started again; no app restart",
        sigterm: `app server ${v?.server.pid ?? "?"} taken out of the balancer, then SIGTERM; it drained and exited ${v?.exitCode ?? "?"}; it had acknowledged ${v ? (ackedBy.get(v.server.port) ?? 0) : "?"} sends (counted in usage only if its last flush ran)`,
      };
      drillRows.push(
        {
          bench: "drill",
          metric: downWhat[drill],
          value: `${drillFigures.downS.toFixed(1)} s`,
          note: `from +${drillFigures.atS.toFixed(1)} s: ${how[drill]}`,
        },
        {
          bench: "drill",
          metric: `requests / failed during it${graceMs ? ` (+${graceMs / 1000} s)` : ""}`,
          value: `${requestsDuring} / ${outageErrorCount}`,
          note: `${outageSendLatency.length} sends, ${outageReads} reads answered 200 during it${outageErrorCount ? `; failed: ${[...outageErrors].map(([k, x]) => `${k}: ${x}`).join(", ")}` : ""}`,
        },
        row("send during it", outageSendLatency, `${outageSendLatency.length} requests`, "drill"),
      );
      if (isPgDrill(drill))
        drillRows.push({
          bench: "drill",
          metric: "retryable 503s after the restore",
          value: String(lateRetries.length),
          note: lateRetries.slice(0, 5).join("; ") || "none",
        });
      if (isPgDrill(drill))
        drillRows.push(
          {
            bench: "drill",
            metric: "recovered after",
            value: drillFigures.recoverS === null ? "never" : `${drillFigures.recoverS.toFixed(2)} s`,
            note: `from PostgreSQL accepting connections to the first acknowledged send started after it; last failure ${drillFigures.lastErrorAfterRestoreS === null ? "before it" : `+${drillFigures.lastErrorAfterRestoreS.toFixed(2)} s`}`,
          },
          {
            bench: "drill",
            metric: "started while down, not 503 + Retry-After",
            value: String(not503),
            note: "requests started after the server had stopped and before it was back",
          },
        );
      if (isRedisDrill(drill))
        drillRows.push({
          bench: "drill",
          metric: "rate limiter",
          value: backOnRedis ? "back on Redis" : "NOT back on Redis",
          note: `${limiter.degraded} decisions in-process (Redis unreachable), the last +${
            limiter.lastDegradedAt === null || restoredEpoch === null
              ? "-"
              : ((limiter.lastDegradedAt - restoredEpoch) / 1000).toFixed(1)
          } s after the restore; since then ${limiter.redisSinceDegraded}+ on Redis in each of ${limiterStats.length} process${limiterStats.length === 1 ? "" : "es"}`,
        });
      if (subscribe && isRedisDrill(drill))
        drillRows.push({
          bench: "drill",
          metric: "outage messages on streams",
          value: `${outageDeliveries.length} / ${outageMessages}`,
          note:
            lastOutageDelivery === null
              ? "none delivered"
              : `deliveries of messages sent during it; the last ${((lastOutageDelivery - restored) / 1000).toFixed(1)} s after the restore${isRedisDrill(drill) ? ` (${Math.ceil(tenants.length / 4)} tenants quiet after it)` : ""}`,
        });
      if (isRedisDrill(drill) && !(limiter.degraded > 0))
        failures.push("the drill made no in-process decision");
      if (isPgDrill(drill)) {
        if (not503 > 0)
          failures.push(`${not503} requests started while PostgreSQL was down got no 503 + Retry-After`);
        if (drillFigures.recoverS === null) failures.push("no send succeeded after PostgreSQL was back");
        if (outageErrorCount === 0 && drill === "pg-outage")
          failures.push("no request failed while PostgreSQL was down");
      }
      if (drill === "sigterm" && v?.exitCode !== 0)
        failures.push(`the signalled server exited ${v?.exitCode}`);
    } else if (drill) failures.push("the drill did not run");

    if (totalErrors) failures.push(`${totalErrors} failed requests outside the drill`);
    if (lost || duplicated || foreign || unexpected)
      failures.push(`lost ${lost}, duplicated ${duplicated}, foreign ${foreign}, unexpected ${unexpected}`);
    if (tenantsOff.length)
      failures.push(`usage messages_sent ≠ acknowledged sends: ${tenantsOff.slice(0, 5).join("; ")}`);
    if (callsOutOfBounds.length)
      failures.push(`usage endpoint calls: ${callsOutOfBounds.slice(0, 5).join("; ")}`);
    if (!streamsOk)
      failures.push(
        `streams: ${missing} missing, ${streamDuplicated} duplicated, ${streamForeign} foreign, ${resyncs} resyncs, ${totalStreamErrors} errors`,
      );
    if (degradedOutsideDrill || resolverFailuresOutsideDrill)
      failures.push(
        `decided in-process outside a Redis drill: ${degradedOutsideDrill} rate-limit decisions, ${resolverFailuresOutsideDrill} tenant lookups past a failing Redis (${limiter.degraded} of ${limiter.redis + limiter.degraded} decisions in-process in all)`,
      );
    if (exitCodes.some((c) => c !== 0)) failures.push(`app server exit codes: ${exitCodes.join(", ")}`);
    const ok = failures.length === 0;

    const figures: LoadFigures = {
      sends: { made: sendsAcked + sendsFailed, acked: sendsAcked, failed: sendsFailed },
      reads: { made: readsMade, acked: readsAcked, failed: readsMade - readsAcked },
      stored,
      lost,
      duplicated,
      foreign,
      unackedStored,
      unexpected,
      usage: { messagesSent, tenantsOff, sendCalls, listCalls, callsOutOfBounds },
      streams: {
        count: subscribers.length,
        missing,
        duplicated: streamDuplicated,
        foreign: streamForeign,
        errors: totalStreamErrors,
        reconnects,
      },
      limiter: {
        redis: limiter.redis,
        degraded: limiter.degraded,
        degradedOutsideDrill,
        resolverRedisFailures,
        resolverFailuresOutsideDrill,
      },
      exitCodes,
      errors: totalErrors,
      drill: drillFigures,
    };
    const streamRows: Row[] = subscribe
      ? [
          {
            bench: "load",
            metric: "event streams",
            value: String(subscribers.length),
            note: `realtime.events over SSE, one per user, round-robin over the app servers; ${reconnects} reconnects${drops.size ? ` (${[...drops].map(([k, x]) => `${k}: ${x}`).join(", ")})` : ""}, ${resyncs} resyncs`,
          },
          {
            bench: "load",
            metric: "deliveries",
            value: String(deliveries),
            note: `message.created events received, ${(deliveries / elapsed).toFixed(0)}/s${totalStreamErrors ? `; stream errors: ${[...streamErrors].map(([k, x]) => `${k}: ${x}`).join(", ")}` : ""}`,
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
    const limiterRows: Row[] = usesRedis
      ? [
          {
            bench: "load",
            metric: "rate limit decisions",
            value: `${limiter.redis} on Redis / ${limiter.degraded} in-process`,
            note: `in-process = Redis failed or answered too late; outside a Redis drill's outage: ${degradedOutsideDrill} (must be 0)`,
          },
          {
            bench: "load",
            metric: "tenant lookups past a failing Redis",
            value: String(resolverRedisFailures),
            note: `read from PostgreSQL because Redis failed; outside a Redis drill's outage: ${resolverFailuresOutsideDrill} (must be 0)`,
          },
        ]
      : [];
    return {
      ok,
      failures,
      figures,
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
          metric: "requests made / acknowledged",
          value: `${sendsAcked + sendsFailed + readsMade} / ${sendsAcked + readsAcked}`,
          note: `sends ${sendsAcked + sendsFailed} / ${sendsAcked}, reads ${readsMade} / ${readsAcked}`,
        },
        {
          bench: "load",
          metric: "errors (not explained by a drill)",
          value: String(totalErrors),
          note: [...errors].map(([k, x]) => `${k}: ${x}`).join(", ") || "none",
        },
        {
          bench: "load",
          metric: "acknowledged sends stored",
          value: `${sendsAcked - lost} / ${sendsAcked}`,
          note: `lost ${lost}, duplicated ${duplicated}, foreign ${foreign}, unexpected ${unexpected}; verified per tenant schema after the run (${stored} stored)`,
        },
        {
          bench: "load",
          metric: "unacknowledged but stored",
          value: `${unackedStored} / ${sendsFailed}`,
          note: "failed sends (no 2xx) found stored all the same (committed, the answer lost)",
        },
        {
          bench: "load",
          metric: "usage: messages_sent / acknowledged",
          value: `${messagesSent} / ${sendsAcked}`,
          note: `public.tenant_usage after every app server exited; ${tenantsOff.length} tenants off`,
        },
        {
          bench: "load",
          metric: "usage: chat.send, chat.list calls",
          value: `${sendCalls}, ${listCalls}`,
          note: `api_calls_by_endpoint (counted after authentication): within [acknowledged, made] per tenant, ${callsOutOfBounds.length} outside`,
        },
        {
          bench: "load",
          metric: "app server exit codes",
          value: exitCodes.join(", "),
          note: "SIGTERM: drained, usage flushed, closed",
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
    if (pg && !pg.running) await pg.start().catch(() => {});
    await scratch
      .drop()
      .catch((err) => log(`dropping the scratch database failed: ${(err as Error).message}`));
    await pg?.close();
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
  const drill = values.drill as Drill | undefined;
  if (drill !== undefined && !DRILLS.includes(drill)) {
    console.error(`load: unknown --drill ${values.drill} (there are: ${DRILLS.join(", ")})`);
    process.exit(2);
  }
  if (drill === "redis" && !process.env.REDIS_URL) {
    console.error(
      "load: --drill redis needs REDIS_URL — without Redis there is nothing to cut off (rate limits are decided in-process, pub/sub is PostgreSQL LISTEN/NOTIFY). Run it as REDIS_URL=redis://… DATABASE_URL=… pnpm load --drill redis",
    );
    process.exit(2);
  }
  if (drill === "redis-cluster-node" && !process.env.REDIS_CLUSTER_URL) {
    console.error(
      "load: --drill redis-cluster-node needs REDIS_CLUSTER_URL, a Redis Cluster whose node it may shut down (scripts/ci/redis-cluster.sh start 7101; REDIS_CLUSTER_URL=redis://127.0.0.1:7101)",
    );
    process.exit(2);
  }
  if (values.subscribe !== "true" && values.subscribe !== "false") {
    console.error("load: --subscribe is true or false");
    process.exit(2);
  }
  const { rows, ok, failures } = await runLoad({
    tenants: Number(values.tenants),
    users: Number(values.users),
    durationS: Number(values.duration),
    concurrency: Number(values.concurrency),
    processes: Number(values.processes),
    subscribe: values.subscribe === "true",
    drill,
    outageS: Number(values.outage),
    log: (s) => console.log(`[load] ${s}`),
  });
  const on = isPgDrill(drill)
    ? "embedded PostgreSQL of the drill"
    : process.env.DATABASE_URL
      ? "PostgreSQL at DATABASE_URL"
      : "embedded PostgreSQL";
  const redis =
    drill === "redis-cluster-node"
      ? " + Redis Cluster at REDIS_CLUSTER_URL"
      : process.env.REDIS_URL
        ? " + Redis"
        : "";
  printTable(`Load test (${on}${redis}${drill ? `, drill: ${drill}` : ""})`, rows);
  console.log(
    ok
      ? `\nload: OK — no unexplained errors; every acknowledged send stored once in its own tenant, nothing foreign; usage equals the acknowledged sends${values.subscribe === "true" ? "; every stream got every message of its tenant once" : ""}${drill ? "; recovered from the drill" : ""}`
      : `\nload: FAILED\n${failures.map((f) => `  - ${f}`).join("\n")}`,
  );
  process.exitCode = ok ? 0 : 1;
}
