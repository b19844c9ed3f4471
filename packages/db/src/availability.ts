/**
 * Fail fast while PostgreSQL is unreachable, and never queue without bound.
 *
 * Without this, a request during an outage waits for postgres.js to connect (up to its connect
 * timeout) behind every other waiting request — seconds of hanging, then an error. Instead:
 * - the first unit of work that fails to reach the server marks the database down; from then on
 *   units of work fail at once with `DatabaseUnavailableError` (503 + Retry-After upstream);
 * - one unit of work per `probeIntervalMs` is let through as a probe; the first that succeeds marks
 *   the database up again, so the process recovers by itself;
 * - at most `maxInFlight` units of work wait for or hold a connection; more fail at once;
 * - a unit of work that has not begun (no connection yet) when the database is marked down, or after
 *   `maxWaitMs`, is abandoned: its caller gets the error at once, and if postgres.js hands it a
 *   connection later its `claim()` answers false, so it does nothing (the caller was told it failed).
 */

/** A unit of work's handle: `claim()` as its first step; false means it was abandoned. */
export type WorkTicket = { claim(): boolean };

/**
 * Errors meaning "no connection could be made", not "the query was wrong" — nor "a connection in use
 * was lost" (pg_terminate_backend, a failover mid-query): the outcome of that work is unknown, so it
 * keeps its own error, and one lost backend does not make the whole database count as down.
 */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "57P03", // cannot_connect_now (starting up, shutting down, in recovery)
  "08001", // sqlclient_unable_to_establish_sqlconnection
  "08004", // sqlserver_rejected_establishment_of_sqlconnection
]);

/**
 * The server answered but has no connection slot left (too_many_connections, "remaining connection
 * slots are reserved"): it is up and busy. With a pool per tenant role a new tenant's first
 * connection can be refused while every other connection works, so this fails that unit of work as
 * busy and never marks the database down for everyone.
 */
const FULL = new Set(["53300"]);

function hasCode(err: unknown, codes: Set<string>): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (typeof e.code === "string" && codes.has(e.code)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

export function isUnreachable(err: unknown): boolean {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (e instanceof DatabaseUnavailableError) return true;
    e = e.cause as typeof e;
  }
  return hasCode(err, UNREACHABLE);
}

export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
  readonly code = "DATABASE_UNAVAILABLE";
  constructor(
    /**
     * down: unreachable; busy: no connection in time; lost: the connection broke during the work,
     * before its COMMIT was sent — nothing of it was saved, so it may simply be tried again.
     */
    readonly reason: "down" | "busy" | "lost",
    /** Seconds after which a retry may succeed. */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(
      reason === "down"
        ? "The database is unreachable; try again shortly."
        : reason === "lost"
          ? "The connection to the database was lost before anything was saved; try again."
          : "The database is overloaded; try again shortly.",
      options,
    );
  }
}

export type AvailabilityStats = {
  up: boolean;
  inFlight: number;
  /** Of those, units of work still waiting for a connection (not begun). */
  waiting: number;
  /** Units of work refused at once because the database was down / too many were waiting. */
  refusedDown: number;
  refusedBusy: number;
  /** Times the database was marked down. */
  outages: number;
  /** Units of work tried again after a failed connect while the server answered other work. */
  connectRetries: number;
};

export class DatabaseAvailability {
  private down = false;
  private nextProbeAt = 0;
  private probing = false;
  private inFlight = 0;
  /** Units of work the server answered (successes and SQL errors alike). */
  private answers = 0;
  private notBegun = 0;
  private readonly waiting = new Set<(err: DatabaseUnavailableError) => boolean>();
  private readonly counters = { refusedDown: 0, refusedBusy: 0, outages: 0, connectRetries: 0 };

  constructor(
    private readonly opts: {
      maxInFlight: number;
      /** Longest wait for a connection before a unit of work is abandoned (default 10 s). */
      maxWaitMs?: number;
      probeIntervalMs?: number;
      now?: () => number;
      onChange?: (up: boolean, err?: unknown) => void;
      /** A unit of work got no connection within `maxWaitMs` and was refused as busy. */
      onWaitedTooLong?: (stats: AvailabilityStats) => void;
    },
  ) {}

  get up(): boolean {
    return !this.down;
  }

  stats(): AvailabilityStats {
    return { up: !this.down, inFlight: this.inFlight, waiting: this.notBegun, ...this.counters };
  }

  /** Runs one unit of work under the rules above. */
  async run<T>(fn: (ticket: WorkTicket) => Promise<T>): Promise<T> {
    const now = (this.opts.now ?? Date.now)();
    const probeMs = this.opts.probeIntervalMs ?? 1_000;
    let probe = false;
    if (this.down) {
      if (this.probing || now < this.nextProbeAt) {
        this.counters.refusedDown++;
        throw new DatabaseUnavailableError("down", Math.max(1, Math.ceil((this.nextProbeAt - now) / 1000)));
      }
      probe = this.probing = true;
      this.nextProbeAt = now + probeMs;
    }
    if (this.inFlight >= this.opts.maxInFlight) {
      if (probe) this.probing = false;
      this.counters.refusedBusy++;
      throw new DatabaseUnavailableError("busy", 1);
    }
    this.inFlight++;
    const answersBefore = this.answers;
    this.notBegun++;
    let state: "waiting" | "begun" | "abandoned" = "waiting";
    let abandon!: (err: DatabaseUnavailableError) => boolean;
    const abandoned = new Promise<never>((_, reject) => {
      abandon = (err) => {
        if (state !== "waiting") return false;
        state = "abandoned";
        this.notBegun--;
        reject(err);
        return true;
      };
    });
    const timer = setTimeout(() => {
      if (!abandon(new DatabaseUnavailableError("busy", 1))) return;
      this.counters.refusedBusy++;
      this.opts.onWaitedTooLong?.(this.stats());
    }, this.opts.maxWaitMs ?? 10_000);
    timer.unref?.();
    this.waiting.add(abandon);
    const ticket: WorkTicket = {
      claim: () => {
        if (state === "abandoned") return false;
        if (state === "waiting") this.notBegun--;
        state = "begun";
        return true;
      },
    };
    const work = this.attempt(fn, ticket, () => state === "waiting" && this.answers > answersBefore);
    work.catch(() => {}); // an abandoned unit of work may still settle later
    try {
      const result = await Promise.race([work, abandoned]);
      this.markUp();
      return result;
    } catch (err) {
      // Neither says the server is down: one unit of work failed, the others go on.
      if (err instanceof DatabaseUnavailableError && err.reason !== "down") throw err;
      if (hasCode(err, FULL)) {
        this.counters.refusedBusy++;
        throw new DatabaseUnavailableError("busy", 1, { cause: err });
      }
      if (isUnreachable(err)) {
        // Stale news when the server answered other work since this began (one slow or refused
        // connection attempt while others succeed): this unit fails, the database stays up.
        const stale = this.answers > answersBefore && !(err instanceof DatabaseUnavailableError);
        if (!stale) this.markDown(err, probeMs);
        throw err instanceof DatabaseUnavailableError
          ? err
          : new DatabaseUnavailableError("down", Math.ceil(probeMs / 1000), { cause: err });
      }
      // Any answer from the server (a constraint, a syntax error) proves it is reachable.
      this.markUp();
      throw err;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(abandon);
      if (state === "waiting") this.notBegun--;
      this.inFlight--;
      if (probe) this.probing = false;
    }
  }

  /**
   * Runs `fn`; when its connection attempt failed (nothing of it ran: the ticket was never claimed)
   * while the server answered other work since it began, it is tried once more. That is a slow or
   * refused connect on a server that is up — e.g. right after a restart, when every pool reconnects at
   * once and a connect can wait out `connect_timeout` — and the caller should get its answer, not a 503.
   */
  private async attempt<T>(
    fn: (ticket: WorkTicket) => Promise<T>,
    ticket: WorkTicket,
    retryable: () => boolean,
  ): Promise<T> {
    try {
      return await fn(ticket);
    } catch (err) {
      if (err instanceof DatabaseUnavailableError || !isUnreachable(err) || !retryable()) throw err;
      this.counters.connectRetries++;
      return fn(ticket);
    }
  }

  private markDown(err: unknown, probeMs: number) {
    if (!this.down) {
      this.down = true;
      this.counters.outages++;
      this.opts.onChange?.(false, err);
    }
    // Work still waiting for a connection would wait out postgres.js's reconnect attempts.
    const retryAfter = Math.ceil(probeMs / 1000);
    for (const abandon of this.waiting)
      abandon(new DatabaseUnavailableError("down", retryAfter, { cause: err }));
    this.nextProbeAt = (this.opts.now ?? Date.now)() + probeMs;
  }

  private markUp() {
    this.answers++;
    if (!this.down) return;
    this.down = false;
    this.opts.onChange?.(true);
  }
}
