import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

/**
 * Structured logs: one pino logger per process, JSON lines on stdout (a synchronous destination: no
 * worker thread, nothing that breaks under Next.js's bundling). `NODE_ENV=development` prints a
 * short readable line instead. Components log through child loggers (`component` field); lines
 * written while a request is served carry its `reqId`, `tenantId` and `userId` (see `runRequest`).
 *
 * Secrets never reach the output: known secret fields are redacted wherever they appear (headers,
 * cookies, passwords, tokens, API keys, Stripe secrets, database URLs), credentials in URLs and
 * token-looking strings are masked in messages and string fields, and errors are reduced to their
 * type, code, first message line and stack frames (drizzle puts the query's parameters on the
 * second line of its message; PostgreSQL quotes the offending value).
 */

export type { Logger };
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
/** What services take: a message and, optionally, the error that caused it. */
export type LogFn = (msg: string, err?: unknown) => void;

export type LoggerConfig = {
  level?: LogLevel;
  /** Readable lines instead of JSON (development). */
  pretty?: boolean;
  /** Where lines go (default: stdout). Tests pass a stream to read them. */
  destination?: DestinationStream;
};

const CENSOR = "[redacted]";

/** Field paths whose values are never written (one level of nesting each way). */
const REDACT = [
  "password",
  "passwd",
  "token",
  "secret",
  "apiKey",
  "cookie",
  "authorization",
  "*.password",
  "*.passwd",
  "*.token",
  "*.secret",
  "*.apiKey",
  "*.cookie",
  "*.authorization",
  "*.accessToken",
  "*.refreshToken",
  "*.ownerPassword",
  "headers.cookie",
  'headers["set-cookie"]',
  "headers.authorization",
  'headers["x-tenant-context"]',
  "*.headers.cookie",
  '*.headers["set-cookie"]',
  "*.headers.authorization",
  '*.headers["x-tenant-context"]',
  "*.webhookSecret",
  "*.secretKey",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "MASTER_ENCRYPTION_KEY",
  "DATABASE_URL",
  "DATABASE_APP_URL",
  "DATABASE_LISTEN_URL",
  "DATABASE_APP_PASSWORD",
  "REDIS_URL",
  "METRICS_TOKEN",
  "*.STRIPE_SECRET_KEY",
  "*.STRIPE_WEBHOOK_SECRET",
  "*.MASTER_ENCRYPTION_KEY",
  "*.DATABASE_URL",
  "*.DATABASE_APP_URL",
  "*.DATABASE_LISTEN_URL",
  "*.DATABASE_APP_PASSWORD",
  "*.REDIS_URL",
  "*.METRICS_TOKEN",
];

const SCRUBS: [RegExp, string][] = [
  // postgres://user:password@host, redis://:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi, `$1${CENSOR}@`],
  [/\bnck_[A-Za-z0-9_-]+/g, `nck_${CENSOR}`],
  [/\b(sk|rk)_(live|test)_[A-Za-z0-9]+/g, `$1_$2_${CENSOR}`],
  [/\bwhsec_[A-Za-z0-9]+/g, `whsec_${CENSOR}`],
  [/\b(bearer\s+)[^\s,;"]+/gi, `$1${CENSOR}`],
  [/\b(password|passwd|pwd|secret|token|api_key|apikey)=([^&\s;"]+)/gi, `$1=${CENSOR}`],
];

/** Masks credentials in URLs, API keys, Stripe secrets and bearer tokens within a text. */
export function scrub(text: string): string {
  let out = text;
  for (const [re, to] of SCRUBS) out = out.replace(re, to);
  return out;
}

export type SerializedError = {
  type: string;
  message: string;
  code?: string;
  /** Stack frames of the outermost error only ("at …" lines, no message text). */
  stack?: string;
  /** The `cause` chain, outermost first. */
  causes?: { type: string; message: string; code?: string }[];
};

function errorLine(e: Error): { type: string; message: string; code?: string } {
  // drizzle: "Failed query: <sql>\nparams: <values>" — the first line only. PostgreSQL messages may
  // end with the value that failed (`invalid input syntax for type uuid: "…"`).
  let message = (e.message.split("\n")[0] ?? "").slice(0, 300);
  if (e.name === "PostgresError") message = message.replace(/:\s*"(?:[^"\\]|\\.)*"\s*$/, `: "${CENSOR}"`);
  const code = (e as { code?: unknown }).code;
  return { type: e.name, message: scrub(message), ...(typeof code === "string" ? { code } : {}) };
}

/** An error as a log field: type, code, first message line, stack frames and the cause chain. */
export function serializeError(err: unknown): SerializedError | undefined {
  if (err === undefined || err === null) return undefined;
  if (!(err instanceof Error)) return { type: typeof err, message: scrub(String(err)).slice(0, 300) };
  const frames = (err.stack ?? "")
    .split("\n")
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 12)
    .map((l) => l.trim());
  const causes: SerializedError["causes"] = [];
  for (let e = err.cause, i = 0; e !== undefined && e !== null && i < 5; e = (e as Error).cause, i++) {
    causes.push(
      e instanceof Error ? errorLine(e) : { type: typeof e, message: scrub(String(e)).slice(0, 300) },
    );
    if (!(e instanceof Error)) break;
  }
  return {
    ...errorLine(err),
    ...(frames.length ? { stack: frames.join("\n") } : {}),
    ...(causes.length ? { causes } : {}),
  };
}

/** The messages of an error and its causes in one short line ("a: b: c"). */
export function errorText(err: unknown): string {
  const s = serializeError(err);
  if (!s) return "";
  return [s.message, ...(s.causes ?? []).map((c) => c.message)].filter(Boolean).join(": ");
}

// ─── Request context ──────────────────────────────────────────────────────────────────────────────

/** What the log lines written while serving a request carry. Filled in as the request proceeds. */
export type RequestFields = {
  reqId: string;
  app?: string;
  tenantId?: string;
  userId?: string;
};

// One store per process: Next.js may load this module once per module graph.
const ALS_KEY = Symbol.for("nchat.requestContext");
const alsScope = globalThis as { [ALS_KEY]?: AsyncLocalStorage<RequestFields> };
alsScope[ALS_KEY] ??= new AsyncLocalStorage<RequestFields>();
const requestStore: AsyncLocalStorage<RequestFields> = alsScope[ALS_KEY];

/** Runs `fn` as the request `fields` describes (log lines within carry its ids). */
export function runRequest<T>(fields: RequestFields, fn: () => T): T {
  return requestStore.run(fields, fn);
}

/** The request being served, if any. */
export function currentRequest(): RequestFields | undefined {
  return requestStore.getStore();
}

/** Adds the tenant or user to the current request's log fields (no-op outside a request). */
export function annotateRequest(fields: { tenantId?: string | null; userId?: string | null }): void {
  const store = requestStore.getStore();
  if (!store) return;
  if (fields.tenantId) store.tenantId = fields.tenantId;
  if (fields.userId) store.userId = fields.userId;
}

const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The inbound `x-request-id` when it is a sane token (≤ 128 of [A-Za-z0-9._:-]), else a new UUID. */
export function requestIdFrom(headers: Headers): string {
  const inbound = headers.get("x-request-id")?.trim();
  return inbound && SANE_REQUEST_ID.test(inbound) ? inbound : randomUUID();
}

// ─── Loggers ──────────────────────────────────────────────────────────────────────────────────────

const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/**
 * Development output: `12:00:01.234 WARN  [component] message key=value …` and the error below.
 * Synchronous, in-process (pino-pretty's transport runs in a worker thread, which bundlers break).
 */
export function devDestination(out: { write(s: string): unknown } = process.stdout): DestinationStream {
  return {
    write(line: string) {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line);
      } catch {
        out.write(line);
        return;
      }
      const { level, time, msg, component, err, pid: _pid, hostname: _host, ...rest } = o;
      const t = new Date(typeof time === "number" ? time : Date.now()).toISOString().slice(11, 23);
      const name = (LEVEL_NAMES[level as number] ?? String(level)).padEnd(5);
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      let text = `${t} ${name} ${component ? `[${component}] ` : ""}${msg ?? ""}${fields ? ` ${fields}` : ""}\n`;
      if (err && typeof err === "object") {
        const e = err as SerializedError;
        text += `    ${e.type}: ${e.message}${e.code ? ` (${e.code})` : ""}\n`;
        for (const c of e.causes ?? [])
          text += `    caused by ${c.type}: ${c.message}${c.code ? ` (${c.code})` : ""}\n`;
        if (e.stack && (level as number) >= 50) text += `${e.stack.replace(/^/gm, "      ")}\n`;
      }
      out.write(text);
    },
  };
}

/** A logger as configured (the process has one, see `processLogger`; tests make their own). */
export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? "info",
    redact: { paths: REDACT, censor: CENSOR },
    serializers: { err: serializeError },
    // Lines written while a request is served carry its ids.
    mixin(merge) {
      const r = requestStore.getStore();
      if (!r || "reqId" in merge) return {};
      return {
        reqId: r.reqId,
        ...(r.tenantId ? { tenantId: r.tenantId } : {}),
        ...(r.userId ? { userId: r.userId } : {}),
      };
    },
    formatters: {
      log(obj) {
        let out = obj;
        for (const [k, v] of Object.entries(obj)) {
          if (typeof v !== "string") continue;
          const clean = scrub(v);
          if (clean !== v) {
            if (out === obj) out = { ...obj };
            out[k] = clean;
          }
        }
        return out;
      },
    },
    hooks: {
      logMethod(args, method) {
        const clean = args.map((a) => (typeof a === "string" ? scrub(a) : a)) as typeof args;
        method.apply(this, clean);
      },
    },
  };
  const destination =
    config.destination ?? (config.pretty ? devDestination() : pino.destination({ dest: 1, sync: true }));
  return pino(options, destination);
}

/** LOG_LEVEL, else `info` (`warn` under NODE_ENV=test, where request lines would drown the output). */
export function defaultLevel(env: { LOG_LEVEL?: LogLevel; NODE_ENV?: string }): LogLevel {
  return env.LOG_LEVEL ?? (env.NODE_ENV === "test" ? "warn" : "info");
}

const LOGGER_KEY = Symbol.for("nchat.logger");

const LEVELS = new Set<string>(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/**
 * This process's logger, created once (shared by every module graph) from `env` — the validated
 * environment `createServices` passes — or from the process environment.
 */
export function processLogger(
  env: { LOG_LEVEL?: LogLevel; NODE_ENV?: string } = {
    LOG_LEVEL: LEVELS.has(process.env.LOG_LEVEL ?? "") ? (process.env.LOG_LEVEL as LogLevel) : undefined,
    NODE_ENV: process.env.NODE_ENV,
  },
): Logger {
  const scope = globalThis as { [LOGGER_KEY]?: Logger };
  scope[LOGGER_KEY] ??= createLogger({ level: defaultLevel(env), pretty: env.NODE_ENV === "development" });
  return scope[LOGGER_KEY];
}

/** A service's `log` callback: warnings of one component, with the error's cause chain. */
export function componentLog(logger: Logger, component: string): LogFn {
  const child = logger.child({ component });
  return (msg, err) => (err === undefined ? child.warn(msg) : child.warn({ err }, msg));
}

// ─── Fallbacks ────────────────────────────────────────────────────────────────────────────────────

/**
 * Counts decisions made without Redis (in-process rate limits, cache lookups that read PostgreSQL)
 * and says so at most once per `intervalMs`: the first at once, then how many since the last line,
 * e.g. "rate limiter: 137 decisions in-process in the last 10 s (redis: connect ECONNREFUSED)".
 */
export class FallbackReporter {
  /** Every fallback since start (for metrics). */
  total = 0;
  private pending = 0;
  private since = 0;
  private lastLine = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly opts: {
      /** The component, as the line starts: "rate limiter". */
      what: string;
      /** What happened n times: (n) => "137 decisions in-process". */
      describe: (n: number) => string;
      log?: LogFn;
      intervalMs?: number;
      now?: () => number;
    },
  ) {}

  report(err: unknown): void {
    this.total++;
    const now = (this.opts.now ?? Date.now)();
    if (this.pending === 0) this.since = now;
    this.pending++;
    if (now - this.lastLine < (this.opts.intervalMs ?? 10_000)) return;
    const seconds = Math.round((now - this.since) / 1000);
    const n = this.pending;
    this.pending = 0;
    this.lastLine = now;
    const window = seconds >= 1 ? ` in the last ${seconds} s` : "";
    this.opts.log?.(`${this.opts.what}: ${this.opts.describe(n)}${window} (redis: ${errorText(err)})`, err);
  }
}

/**
 * A `log` that writes each distinct message at most once per `intervalMs`: the first at once, later
 * ones as "<message> (137 times in the last 10 s)" — for warnings that repeat per request while a
 * dependency is down (the tenant cache reading PostgreSQL because Redis fails).
 */
export function throttle(log: LogFn, intervalMs = 10_000, now: () => number = Date.now): LogFn {
  const seen = new Map<string, { last: number; since: number; pending: number }>();
  return (msg, err) => {
    const t = now();
    let s = seen.get(msg);
    if (!s) {
      if (seen.size >= 1_000) seen.clear(); // messages with ids in them must not grow this forever
      s = { last: Number.NEGATIVE_INFINITY, since: t, pending: 0 };
      seen.set(msg, s);
    }
    if (s.pending === 0) s.since = t;
    s.pending++;
    if (t - s.last < intervalMs) return;
    const n = s.pending;
    const seconds = Math.round((t - s.since) / 1000);
    s.pending = 0;
    s.last = t;
    log(n > 1 ? `${msg} (${n} times in the last ${seconds} s)` : msg, err);
  };
}
