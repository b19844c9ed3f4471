import { timingSafeEqual } from "node:crypto";
import { env } from "@nchat/config";
import type { Database } from "@nchat/db";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BillingService } from "../billing/billing-service";
import { processLifecycle } from "../lifecycle";
import type { UsageRecorder } from "../limits/usage";
import type { RateLimiter } from "../ratelimit/limiter";
import type { RealtimeBus } from "../realtime/bus";
import type { TenantResolver } from "../tenancy/resolver";

/** What the metrics read from one process's services (server.ts registers them). */
export type MeteredServices = {
  db: Database;
  resolver: TenantResolver;
  usage: UsageRecorder;
  realtime: RealtimeBus;
  billing: BillingService;
  rateLimiter: RateLimiter;
};

/**
 * Prometheus metrics of this process (`/api/metrics` of each app). One registry per process, kept on
 * `globalThis`: Next.js bundles route handlers, the proxy and pages as separate module graphs, each
 * with its own copy of this module, and they must all count into — and scrape — the same registry.
 *
 * Requests are counted as they are served (`recordRequest`); everything else is read from the
 * services' own stats when scraped (every set of services of the process, summed).
 */
type MetricsState = {
  registry: Registry;
  requests: Counter<"app" | "procedure" | "status">;
  duration: Histogram<"app" | "procedure" | "status">;
  services: Set<MeteredServices>;
};

const KEY = Symbol.for("nchat.metrics");

function state(): MetricsState {
  const scope = globalThis as { [KEY]?: MetricsState };
  scope[KEY] ??= createState();
  return scope[KEY];
}

/** The process's registry (tests read it directly). */
export function metricsRegistry(): Registry {
  return state().registry;
}

/** Makes a set of services' stats part of the process's metrics until the returned function runs. */
export function registerServicesMetrics(services: MeteredServices): () => void {
  const s = state();
  s.services.add(services);
  return () => s.services.delete(services);
}

/** One served call: `procedure` is a tRPC path ("chat.send") or a REST route ("GET /api/tenants/:id"). */
export function recordRequest(app: string, procedure: string, status: number, seconds: number): void {
  const s = state();
  const labels = { app, procedure, status: String(status) };
  s.requests.inc(labels);
  s.duration.observe(labels, seconds);
}

const sum = (services: Iterable<MeteredServices>, f: (s: MeteredServices) => number) => {
  let n = 0;
  for (const s of services) n += f(s);
  return n;
};

function createState(): MetricsState {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const services = new Set<MeteredServices>();
  const all = () => services;

  /** A counter whose value is read from the services at scrape time. */
  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    read: (set: Iterable<MeteredServices>) => [Partial<Record<L, string>>, number][],
  ) =>
    new Counter<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, v] of read(all())) if (v > 0) this.inc(labels, v);
      },
    });
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    read: (set: Iterable<MeteredServices>) => [Partial<Record<L, string>>, number][],
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, v] of read(all())) this.set(labels, v);
      },
    });
  /** Counts kept per key by each instance (e.g. `{ timer: 3 }`), summed over instances, the key as `label`. */
  const byLabel =
    <L extends string>(label: L, of: (s: MeteredServices) => Record<string, number> | undefined) =>
    (set: Iterable<MeteredServices>): [Partial<Record<L, string>>, number][] => {
      const by = new Map<string, number>();
      for (const s of set) for (const [k, v] of Object.entries(of(s) ?? {})) by.set(k, (by.get(k) ?? 0) + v);
      return [...by].map(([k, v]) => [{ [label]: k } as Partial<Record<L, string>>, v]);
    };
  const one = (f: (s: MeteredServices) => number) => (set: Iterable<MeteredServices>) =>
    [[{}, sum(set, f)]] as [Record<string, string>, number][];

  const requests = new Counter({
    name: "nchat_http_requests_total",
    help: "tRPC calls and REST requests served, by app, procedure (tRPC path or REST route) and HTTP status",
    labelNames: ["app", "procedure", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "nchat_http_request_duration_seconds",
    help: "Time to the response (event streams: to their first byte), by app, procedure and HTTP status",
    labelNames: ["app", "procedure", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  gauge("nchat_http_requests_in_flight", "Requests being served now (event streams included)", [], () => [
    [{}, processLifecycle().inFlight],
  ]);
  gauge("nchat_draining", "1 once a shutdown signal came (readiness answers 503)", [], () => [
    [{}, processLifecycle().draining ? 1 : 0],
  ]);

  // ─── PostgreSQL (postgres.js has no pool statistics: configured sizes and units of work) ────────
  gauge("nchat_db_up", "1 while PostgreSQL is reachable (0 while requests fail fast)", [], (set) => {
    const list = [...set];
    return list.length ? [[{}, list.every((s) => s.db.availability.stats().up) ? 1 : 0]] : [];
  });
  gauge(
    "nchat_db_work_in_flight",
    "Units of tenant/platform work waiting for or holding an app connection",
    [],
    one((s) => s.db.availability.stats().inFlight),
  );
  gauge(
    "nchat_db_work_waiting",
    "Units of work waiting for an app connection (not begun)",
    [],
    one((s) => s.db.availability.stats().waiting ?? 0),
  );
  counter(
    "nchat_db_work_refused_total",
    "Units of work refused at once: database down, or too many waiting (busy)",
    ["reason"],
    (set) => [
      [{ reason: "down" }, sum(set, (s) => s.db.availability.stats().refusedDown)],
      [{ reason: "busy" }, sum(set, (s) => s.db.availability.stats().refusedBusy)],
    ],
  );
  counter(
    "nchat_db_outages_total",
    "Times PostgreSQL was marked unreachable",
    [],
    one((s) => s.db.availability.stats().outages),
  );
  counter(
    "nchat_db_connect_retries_total",
    "Units of work tried again after a failed connect while PostgreSQL answered other work",
    [],
    one((s) => s.db.availability.stats().connectRetries),
  );
  gauge("nchat_db_pool_max_connections", "Configured maximum connections per pool", ["pool"], (set) => {
    const byPool = new Map<string, number>();
    const add = (pool: string, sql: { options: { max?: number } }) =>
      byPool.set(pool, (byPool.get(pool) ?? 0) + Number(sql.options.max ?? 0));
    for (const s of set) {
      add("admin", s.db.admin);
      add("app", s.db.app);
      add("platform", s.db.platform);
      for (const p of s.db.tenantPools.pools()) add("tenants", p);
    }
    return [...byPool].map(([pool, v]) => [{ pool }, v]);
  });
  gauge(
    "nchat_db_max_in_flight",
    "DATABASE_MAX_IN_FLIGHT: units of work that may wait for or hold a connection",
    [],
    one((s) => s.db.config.maxInFlight ?? 200),
  );

  // ─── Redis fallbacks ─────────────────────────────────────────────────────────────────────────────
  counter(
    "nchat_ratelimit_inprocess_decisions_total",
    "Rate-limit decisions made in-process because Redis failed or was too slow",
    [],
    one((s) => (s.rateLimiter as { degradedDecisions?: number }).degradedDecisions ?? 0),
  );
  counter(
    "nchat_tenant_cache_lookups_total",
    "Tenant lookups by the layer that answered: local (process LRU), redis, database",
    ["layer"],
    (set) => [
      [{ layer: "local" }, sum(set, (s) => s.resolver.stats.local)],
      [{ layer: "redis" }, sum(set, (s) => s.resolver.stats.remote)],
      [{ layer: "database" }, sum(set, (s) => s.resolver.stats.database)],
    ],
  );
  counter(
    "nchat_tenant_cache_negative_total",
    "Tenant lookups that found no tenant (cached negatively)",
    [],
    one((s) => s.resolver.stats.negative),
  );
  counter(
    "nchat_tenant_cache_redis_failures_total",
    "Tenant lookups that found Redis failing and read PostgreSQL instead",
    [],
    one((s) => (s.resolver.stats as { redisFailures?: number }).redisFailures ?? 0),
  );

  // ─── Usage recorder ──────────────────────────────────────────────────────────────────────────────
  counter(
    "nchat_usage_flushes_total",
    "Usage flushes by result (a failed flush keeps its counts for the next one)",
    ["result"],
    (set) => [
      [{ result: "ok" }, sum(set, (s) => s.usage.stats().flushes)],
      [{ result: "failed" }, sum(set, (s) => s.usage.stats().flushFailures)],
    ],
  );
  gauge(
    "nchat_usage_pending_tenant_months",
    "Tenant-months with counts waiting for the next flush",
    [],
    one((s) => s.usage.stats().pendingTenantMonths),
  );
  gauge(
    "nchat_usage_pending_recounts",
    "Tenants whose levels (users, storage, files) wait to be recounted",
    [],
    one((s) => s.usage.stats().pendingRecounts),
  );

  // ─── Realtime ────────────────────────────────────────────────────────────────────────────────────
  const rt = (s: MeteredServices) => s.realtime.stats();
  gauge(
    "nchat_realtime_feeds",
    "Tenant feeds open (one pub/sub subscription each when live)",
    [],
    one((s) => rt(s).feeds),
  );
  gauge(
    "nchat_realtime_feeds_without_pubsub",
    "Feeds without a live subscription, polling PostgreSQL",
    [],
    one((s) => rt(s).feedsWithoutPubSub),
  );
  gauge(
    "nchat_realtime_subscribers",
    "Event streams listening to those feeds",
    [],
    one((s) => rt(s).subscribers ?? 0),
  );
  counter(
    "nchat_realtime_deliveries_total",
    "Events handed to event streams (one per event per stream)",
    [],
    one((s) => rt(s).deliveries ?? 0),
  );
  counter(
    "nchat_realtime_without_pubsub_seconds_total",
    "Time spent without working pub/sub",
    [],
    one((s) => rt(s).withoutPubSubMs / 1000),
  );
  counter(
    "nchat_realtime_publish_failures_total",
    "Publishes that failed (events announced again once publishing works)",
    [],
    one((s) => rt(s).publishFailures),
  );
  counter(
    "nchat_realtime_resumes_total",
    "Subscriptions that came back after their connection dropped",
    [],
    one((s) => rt(s).resumes),
  );
  counter(
    "nchat_realtime_catchups_total",
    "Catch-ups from PostgreSQL, by trigger",
    ["reason"],
    byLabel("reason", (s) => rt(s).catchUps),
  );
  counter(
    "nchat_realtime_catchup_queries_total",
    "Queries run by catch-ups",
    [],
    one((s) => rt(s).catchUpQueries),
  );
  gauge(
    "nchat_realtime_catchups_running",
    "Catch-up queries running now",
    [],
    one((s) => rt(s).catchUpsRunning),
  );
  gauge(
    "nchat_realtime_catchups_waiting",
    "Catch-up queries waiting for their turn",
    [],
    one((s) => rt(s).catchUpsWaiting),
  );
  counter(
    "nchat_realtime_events_recovered_total",
    "Events delivered from PostgreSQL that pub/sub lost",
    [],
    one((s) => rt(s).eventsRecovered),
  );
  counter(
    "nchat_realtime_events_filled_total",
    "Events read from PostgreSQL for gaps and references",
    [],
    one((s) => rt(s).eventsFilled),
  );
  counter(
    "nchat_realtime_read_timeouts_total",
    "Feed reads given up",
    [],
    one((s) => rt(s).readTimeouts),
  );

  // ─── Billing ─────────────────────────────────────────────────────────────────────────────────────
  counter(
    "nchat_stripe_webhooks_total",
    "Stripe webhook deliveries by outcome: processed, duplicate, ignored, failed (500, Stripe retries), invalid (bad signature)",
    ["outcome"],
    byLabel("outcome", (s) => s.billing.webhookOutcomes),
  );

  return { registry, requests, duration, services };
}

export type MetricsAccess = {
  /** METRICS_TOKEN: scrapers send `Authorization: Bearer <token>`. */
  token?: string;
  nodeEnv: "development" | "test" | "production";
};

function bearerMatches(header: string | null, token: string): boolean {
  const given = /^bearer\s+(.+)$/i.exec(header ?? "")?.[1]?.trim() ?? "";
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /api/metrics`: the Prometheus text format. With METRICS_TOKEN set, only for
 * `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise). Without it: 404 in production (metrics
 * are off), open in development and test.
 */
export async function metricsResponse(request: Request, access: MetricsAccess): Promise<Response> {
  const noStore = { "cache-control": "no-store" };
  if (access.token) {
    if (!bearerMatches(request.headers.get("authorization"), access.token))
      return new Response("Unauthorized\n", {
        status: 401,
        headers: { ...noStore, "www-authenticate": 'Bearer realm="metrics"' },
      });
  } else if (access.nodeEnv === "production") {
    return new Response("Not found\n", { status: 404, headers: noStore });
  }
  const registry = metricsRegistry();
  return new Response(await registry.metrics(), {
    headers: { ...noStore, "content-type": registry.contentType },
  });
}

/** `metricsResponse` with the process environment (METRICS_TOKEN, NODE_ENV): the apps' route. */
export function metricsRoute(request: Request): Promise<Response> {
  const e = env();
  return metricsResponse(request, { token: e.METRICS_TOKEN, nodeEnv: e.NODE_ENV });
}
