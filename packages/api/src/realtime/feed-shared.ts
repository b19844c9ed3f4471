import type { Database } from "@nchat/db";
import type { PubSub } from "../infra/pubsub";
import type { PresenceStore } from "./presence";

/**
 * What the tenant feeds of one bus (tenant-feed.ts) are given and what they share: the bus's
 * dependencies and settings, its statistics, and the limit on catch-up queries running at once.
 */

export type RealtimeBusDeps = {
  db: Pick<Database, "tenantPools" | "availability">;
  pubsub: PubSub;
  /** Keeps the channels of deployments (and test runs) sharing a Redis or a database apart. */
  namespace: string;
  /** Bigger messages travel as a reference to the `events` row (default 7,500 bytes). */
  maxWireBytes?: number;
  /**
   * How often each tenant feed also reads `events` past the last id it delivered, for messages
   * the pub/sub lost (Redis is fire-and-forget; LISTEN misses what is sent while it reconnects).
   * A feed also catches up at once when its subscription resumes after a dropped connection, and
   * events whose publish failed are announced again once publishing works: this is the backstop.
   * 0 turns it off. Default 30 s.
   */
  catchUpIntervalMs?: number;
  /** How often durable events whose publish failed are announced again. Default 1 s. */
  republishIntervalMs?: number;
  /**
   * How long a new tenant feed waits for its pub/sub subscription before it opens without one
   * (pub/sub down): it then reads `events` every `pollIntervalMs` and subscribes again in the
   * background (backing off up to `resubscribeMaxMs`), and goes live once that works. Default 250 ms.
   */
  subscribeWaitMs?: number;
  /** How often a feed without a live subscription reads `events`. Default 2 s. */
  pollIntervalMs?: number;
  /** Longest pause between two subscribe attempts of a feed without a subscription. Default 10 s. */
  resubscribeMaxMs?: number;
  /**
   * Catch-up queries of all feeds of this process at once (after a pub/sub reconnect every feed
   * catches up: thousands of tenants must not hit the database together). Default 4.
   */
  catchUpConcurrency?: number;
  /** Catch-ups after a reconnect, by polling or by the periodic backstop start within this spread. Default 1 s. */
  catchUpJitterMs?: number;
  /** A feed's database read that takes longer is given up (the tenant's delivery goes on). Default 10 s. */
  readTimeoutMs?: number;
  /** Most durable events replayed on resume; beyond that the client gets `resync`. Default 500. */
  replayLimit?: number;
  /** How often a stream rereads which channels its user can see. Default 60 s. */
  visibilityRefreshMs?: number;
  /** Events a slow client may have waiting before it is told to resync. Default 10,000. */
  maxQueue?: number;
  /**
   * Who is online, shared by every process (Redis, or `users.last_seen_at`): what a page reads when
   * it loads. Without it only this process's streams count.
   */
  presence?: PresenceStore;
  /** How often the users of this process's open streams are marked as seen again. Default 20 s. */
  presenceHeartbeatMs?: number;
  log?: (msg: string, err?: unknown) => void;
};

export type CatchUpReason = "resume" | "poll" | "periodic" | "gap" | "reference";

/** What the bus reports about its fallbacks (see `RealtimeBus.stats`). */
export type RealtimeBusStats = {
  /** Tenant feeds open in this process (one pub/sub subscription each, when live). */
  feeds: number;
  /** Feeds without a live subscription: they poll the database until pub/sub works again. */
  feedsWithoutPubSub: number;
  /**
   * Milliseconds this process spent without working pub/sub: some feed without a subscription, or
   * publishing failing (from a failed publish until the next one that went out). Only grows.
   */
  withoutPubSubMs: number;
  /** Publishes that failed (their events are in `events`; announced again once publishing works). */
  publishFailures: number;
  /** Subscriptions that came back after their connection dropped (each triggers a catch-up). */
  resumes: number;
  /** Catch-ups run, by what triggered them. */
  catchUps: Record<CatchUpReason, number>;
  /** Queries those catch-ups ran (one per batch of up to 500 events). */
  catchUpQueries: number;
  /** Catch-up queries running now, and waiting for their turn (see `catchUpConcurrency`). */
  catchUpsRunning: number;
  catchUpsWaiting: number;
  /** Durable events delivered from the database that pub/sub lost (resume, poll, periodic catch-ups). */
  eventsRecovered: number;
  /** Durable events delivered from the database for gaps and references (too big for the wire). */
  eventsFilled: number;
  /** Feed reads given up after `readTimeoutMs`. */
  readTimeouts: number;
  /** Local listeners (users' event streams) of those feeds. */
  subscribers: number;
  /** Events handed to local listeners (one per event per listener). */
  deliveries: number;
};

/** State the feeds of one bus share: the catch-up limit and the counters. */
export class FeedShared {
  readonly counters = {
    resumes: 0,
    catchUps: { resume: 0, poll: 0, periodic: 0, gap: 0, reference: 0 } as Record<CatchUpReason, number>,
    catchUpQueries: 0,
    eventsRecovered: 0,
    eventsFilled: 0,
    readTimeouts: 0,
    deliveries: 0,
  };
  running = 0;
  lastWarning = 0;
  private readonly waiting: (() => void)[] = [];
  /** Reasons pub/sub is down now (feeds without a subscription, failing publishes), and since when. */
  private down = 0;
  private downSince = 0;
  private downMs = 0;

  constructor(private readonly concurrency: number) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` when fewer than `concurrency` catch-up queries are running. */
  async limit<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes on
      else this.running--;
    }
  }

  pubsubDown() {
    if (this.down++ === 0) this.downSince = Date.now();
  }

  pubsubBack() {
    if (this.down === 0) return;
    if (--this.down === 0) this.downMs += Date.now() - this.downSince;
  }

  get withoutPubSubMs(): number {
    return this.downMs + (this.down > 0 ? Date.now() - this.downSince : 0);
  }
}
