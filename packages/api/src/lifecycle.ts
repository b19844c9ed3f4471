import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/**
 * The life of a server process: serving, then draining (on SIGTERM/SIGINT), then closed.
 *
 * One per process, shared through `globalThis`: Next.js builds instrumentation, the proxy, route
 * handlers and pages as separate module graphs, each with its own copy of this module, and they all
 * must see the same `draining` state and close the same services. Hence plain data and functions
 * only (no `instanceof` across graphs).
 */
export type Lifecycle = {
  /** True from the first shutdown signal on: readiness answers 503, event streams end. */
  readonly draining: boolean;
  /** Runs `fn` when draining begins (at once when it has begun). Returns an unregister function. */
  onDrain(fn: () => void): () => void;
  /** Runs `fn` at shutdown, after requests have finished (services: flush, close pools). */
  onClose(fn: () => Promise<void>): () => void;
  /** Marks the process draining and tells the `onDrain` listeners. False when it already was. */
  beginDrain(): boolean;
  /** Requests being served now (counted once `installShutdown` ran; SSE streams included). */
  readonly inFlight: number;
};

export type ShutdownOptions = {
  /** Longest wait for in-flight requests to finish after the signal (SHUTDOWN_GRACE_MS). */
  graceMs: number;
  /**
   * How long new requests are still accepted (readiness answering 503) before the listener closes,
   * so load balancers notice and stop sending (SHUTDOWN_DELAY_MS). At most `graceMs`. Default 0.
   */
  delayMs?: number;
  /** No request in flight for this long counts as "all finished". Default 250 ms. */
  quietMs?: number;
  /** Longest wait for the `onClose` work (usage flush, pools, Redis). Default 10 s. */
  closeTimeoutMs?: number;
  /** A repeat of the signal within this window is the same signal delivered twice. Default 1 s. */
  repeatWindowMs?: number;
  signals?: NodeJS.Signals[];
  log?: (msg: string, err?: unknown) => void;
};

type State = Lifecycle & {
  installed: boolean;
  /** Starts counting the requests of the process's HTTP servers. */
  track(): void;
  shutdown(opts: ShutdownOptions): Promise<number>;
};

const KEY = Symbol.for("nchat.lifecycle");

/** The lifecycle of this process (created on first use). */
export function processLifecycle(): Lifecycle {
  return state();
}

function state(): State {
  const scope = globalThis as { [KEY]?: State };
  scope[KEY] ??= createLifecycle();
  return scope[KEY];
}

/** A lifecycle of its own (tests; a process uses `processLifecycle()`). */
export function createLifecycle(): State {
  let draining = false;
  const drainListeners = new Set<() => void>();
  const closers = new Set<() => Promise<void>>();
  const tracking = { inFlight: 0, lastActivity: Date.now(), servers: new Set<Server>() };
  let tracked = false;

  /** Counts the requests of every HTTP server of the process (Next.js gives no handle on its own). */
  const track = () => {
    if (tracked) return;
    tracked = true;
    subscribe("http.server.request.start", (message) => {
      const { response, server } = message as {
        request: IncomingMessage;
        response: ServerResponse;
        server: Server;
      };
      tracking.servers.add(server);
      tracking.inFlight++;
      tracking.lastActivity = Date.now();
      response.once("close", () => {
        tracking.inFlight--;
        tracking.lastActivity = Date.now();
      });
    });
  };

  const lifecycle: State = {
    installed: false,
    track,
    get draining() {
      return draining;
    },
    get inFlight() {
      return tracking.inFlight;
    },
    onDrain(fn) {
      if (draining) {
        queueMicrotask(fn);
        return () => {};
      }
      drainListeners.add(fn);
      return () => drainListeners.delete(fn);
    },
    onClose(fn) {
      closers.add(fn);
      return () => closers.delete(fn);
    },
    beginDrain() {
      if (draining) return false;
      draining = true;
      for (const fn of [...drainListeners]) {
        try {
          fn();
        } catch {
          // one listener's failure must not keep the others from ending their streams
        }
      }
      drainListeners.clear();
      return true;
    },
    /**
     * Drain, wait for requests (bounded), stop listening, run the closers (bounded). Resolves to the
     * exit code: 0 when everything closed, 1 otherwise.
     */
    async shutdown(opts) {
      const log = opts.log ?? ((msg, err) => console.warn(msg, err ?? ""));
      const start = Date.now();
      const deadline = start + opts.graceMs;
      const quietMs = opts.quietMs ?? 250;
      lifecycle.beginDrain();
      log(`shutdown: draining (${tracking.inFlight} requests in flight, grace ${opts.graceMs} ms)`);
      const notBefore = start + Math.min(opts.delayMs ?? 0, opts.graceMs);
      for (;;) {
        const now = Date.now();
        const quiet = tracking.inFlight === 0 && now - tracking.lastActivity >= quietMs;
        if (now >= deadline || (quiet && now >= notBefore)) break;
        await sleep(Math.min(25, Math.max(1, deadline - now)));
      }
      if (tracking.inFlight > 0)
        log(`shutdown: grace period over with ${tracking.inFlight} requests still in flight`);
      for (const server of tracking.servers) {
        server.close();
        server.closeIdleConnections?.();
      }
      const closing = [...closers];
      closers.clear();
      const results = await Promise.race([
        Promise.allSettled(closing.map((fn) => fn())),
        sleep(opts.closeTimeoutMs ?? 10_000).then(() => "timeout" as const),
      ]);
      if (results === "timeout") {
        log("shutdown: closing the services did not finish in time");
        return 1;
      }
      const failed = results.filter((r) => r.status === "rejected");
      for (const f of failed) log("shutdown: closing failed", (f as PromiseRejectedResult).reason);
      log(`shutdown: done in ${Date.now() - start} ms`);
      return failed.length ? 1 : 0;
    },
  };
  return lifecycle;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Graceful shutdown of this process, installed once (later calls return the same lifecycle). On the
 * first SIGTERM/SIGINT: draining (readiness 503, event streams end with a reconnect hint), requests
 * in flight finish (at most `graceMs`), the listener closes, every `onClose` runs (usage flushed,
 * pools and Redis closed), then the process exits 0 (1 when closing failed). A second signal exits
 * at once.
 *
 * Another handler of the same signal calling `process.exit` meanwhile (`next start` does, once its
 * server has closed — unless NEXT_MANUAL_SIG_HANDLE=true) is held until this work is done.
 */
export function installShutdown(opts: ShutdownOptions): Lifecycle {
  const lc = state();
  if (lc.installed) return lc;
  lc.installed = true;
  lc.track();
  const log = opts.log ?? ((msg: string, err?: unknown) => console.warn(msg, err ?? ""));
  const exit = process.exit.bind(process);
  let first: { signal: NodeJS.Signals; at: number } | null = null;

  const onSignal = (signal: NodeJS.Signals) => {
    if (first) {
      if (Date.now() - first.at < (opts.repeatWindowMs ?? 1_000)) return; // the same signal twice
      log(`shutdown: ${signal} again, exiting now`);
      exit(signal === "SIGINT" ? 130 : 143);
      return;
    }
    first = { signal, at: Date.now() };
    log(`shutdown: ${signal} received`);
    process.exit = ((code?: number | string | null) => {
      log(`shutdown: exit(${code ?? ""}) held until the shutdown is done`);
    }) as typeof process.exit;
    lc.shutdown({ ...opts, log }).then(
      (code) => exit(code),
      (err) => {
        log("shutdown failed", err);
        exit(1);
      },
    );
  };
  for (const signal of opts.signals ?? ["SIGTERM", "SIGINT"]) process.on(signal, onSignal);
  return lc;
}
