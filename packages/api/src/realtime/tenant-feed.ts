import { type TenantRef, withTenant } from "@nchat/db";
import { and, asc, gt, lte } from "drizzle-orm";
import type { TrackedChatEvent } from "../chat/events";
import type { Unsubscribe } from "../infra/pubsub";
import type { FeedItem, FeedListener } from "./feed";
import type { CatchUpReason, FeedShared, RealtimeBusDeps } from "./feed-shared";
import { maxEventId } from "./stream";
import { type ChannelAccess, channelAccess } from "./visibility";
import { decodeWire, eventFromRow, type WireMessage } from "./wire";

/**
 * The feed of one tenant in this process: live events from pub/sub, gaps and lost events read from
 * the database, every step in one chain (bus.ts opens and closes them; what the feeds of one bus share
 * is in feed-shared.ts). TenantFeed's steps (live delivery, gap fill, poll, resume, subscribe retries)
 * share its private state and run in one promise chain — that chain is what guarantees ids only move
 * forward, so the class stays whole.
 */

const BATCH = 500;
/** How long an early event waits for the ones before it before the gap is read from the database. */
const GAP_WAIT_MS = 25;
/** A gap whose read failed is read again after this long (not only when the next event arrives). */
const GAP_RETRY_MS = 1_000;

/**
 * One tenant's events in this process: ONE pub/sub subscription shared by all local streams of the
 * tenant. Durable events are delivered in id order, each once: duplicates (id ≤ the highest
 * delivered) are dropped, and a gap (an id beyond the next one, or a reference to an event too big
 * for the wire) is filled from the tenant's `events` table — ids commit in order (recordEvent's
 * per-tenant lock), so when event N arrives every event below N has committed.
 *
 * Events of concurrent senders in several processes often arrive slightly out of order: an event
 * beyond the next one waits up to GAP_WAIT_MS for the missing ones to arrive on the wire before the
 * gap is read from the database (one read per gap instead of one per early event).
 *
 * Without pub/sub (it is down when the feed starts, or a subscribe fails) the feed opens anyway: it
 * reads `events` every `pollIntervalMs` and subscribes again in the background; once subscribed it
 * catches up once more and goes on live. Every step of the feed runs in one chain, so whatever
 * delivers an event (wire, gap, poll, resume), ids only move forward: no loss, no repeats. Catch-ups
 * of all feeds share one concurrency limit, and every database read has a time limit, so neither a
 * reconnect of thousands of feeds nor one stuck read holds up a tenant's delivery for long.
 */
export class TenantFeed {
  readonly listeners = new Set<FeedListener>();
  /** Highest durable id delivered to the listeners. */
  highest = 0;
  ready: Promise<void> = Promise.resolve();
  private chain: Promise<void>;
  private release!: () => void;
  private unsubscribe?: Unsubscribe;
  /** "pending" until the first subscribe settles or the feed stops waiting for it. */
  private pubsub: "pending" | "live" | "down" = "pending";
  /** Until the start stops waiting for its subscription (a later one must catch up). */
  private waiting = true;
  private subscribeAttempts = 0;
  private retryTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private timer?: NodeJS.Timeout;
  /** A catch-up (not a gap fill) is scheduled or queued and has not started reading yet. */
  private catchUpPending = false;
  private catchUpReason: CatchUpReason = "periodic";
  private catchUpTimer?: NodeJS.Timeout;
  private closed = false;
  /** Events that arrived ahead of the next id, by id. */
  private readonly early = new Map<number, TrackedChatEvent>();
  private gapTimer?: NodeJS.Timeout;

  constructor(
    private readonly deps: RealtimeBusDeps,
    private readonly shared: FeedShared,
    readonly tenant: TenantRef,
    readonly channel: string,
    /** Ephemeral events pass through it first: false keeps one from the local streams. */
    private readonly admit: (tenant: TenantRef, event: TrackedChatEvent) => boolean = () => true,
  ) {
    // Nothing durable is handled before `highest` is known.
    this.chain = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  /** Whether the feed has a live subscription (else it polls the database). */
  get live(): boolean {
    return this.pubsub === "live";
  }

  async start(): Promise<void> {
    try {
      // Listen first when pub/sub answers in time; if it does not, the position is read anyway and
      // the subscription, once it works, catches up from there.
      const attempt = this.subscribeOnce();
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([
        attempt,
        new Promise<void>((resolve) => {
          waited = setTimeout(resolve, this.deps.subscribeWaitMs ?? 250);
        }),
      ]);
      clearTimeout(waited);
      this.waiting = false;
      if (this.closed) return;
      this.highest = await this.read(({ db, t }) => maxEventId(db, t));
      if (this.pubsub === "pending") this.pubsubDown();
      const every = this.deps.catchUpIntervalMs ?? 30_000;
      if (every > 0) {
        this.timer = setInterval(() => this.scheduleCatchUp("periodic"), every);
        this.timer.unref();
      }
    } catch (err) {
      await this.close();
      throw err;
    } finally {
      this.release();
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.ready.catch(() => {});
    await this.close();
  }

  private async close() {
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.pollTimer);
    clearTimeout(this.gapTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.catchUpTimer);
    if (this.pubsub === "down") this.shared.pubsubBack();
    this.pubsub = "pending";
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.().catch((err) => this.deps.log?.("realtime: unsubscribe failed", err));
  }

  /** One subscribe attempt; on failure the next is scheduled. Never rejects. */
  private async subscribeOnce(): Promise<void> {
    this.subscribeAttempts++;
    let unsubscribe: Unsubscribe;
    try {
      unsubscribe = await this.deps.pubsub.subscribe(this.channel, (raw) => this.onMessage(raw), {
        // The connection dropped and is back: whatever was published meanwhile is lost on the wire
        // but stored. Deliver it now rather than with the next event or the periodic catch-up.
        onResume: () => {
          this.shared.counters.resumes++;
          this.scheduleCatchUp("resume");
        },
      });
    } catch (err) {
      if (this.closed) return;
      if (Date.now() - this.shared.lastWarning > 10_000) {
        this.shared.lastWarning = Date.now();
        this.deps.log?.("realtime: subscribe failed; feeds read the database until it works", err);
      }
      if (this.pubsub !== "pending") this.pubsubDown(); // (a first failure: `start` marks it)
      const max = this.deps.resubscribeMaxMs ?? 10_000;
      const backoff = Math.min(max, 250 * 2 ** Math.min(this.subscribeAttempts, 10));
      this.retryTimer = setTimeout(() => void this.subscribeOnce(), backoff * (0.5 + Math.random() / 2));
      this.retryTimer.unref();
      return;
    }
    if (this.closed) {
      await unsubscribe().catch(() => {});
      return;
    }
    this.unsubscribe = unsubscribe;
    const was = this.pubsub;
    this.pubsub = "live";
    if (was === "down") {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
      this.shared.pubsubBack();
    }
    // Subscribed after the position was read: what was stored since comes from the database once
    // more, then everything is live.
    if (!this.waiting) this.scheduleCatchUp("resume", 0);
  }

  /** No subscription: poll the database for the tenant's events until one works. */
  private pubsubDown() {
    if (this.closed || this.pubsub === "down") return;
    this.pubsub = "down";
    this.shared.pubsubDown();
    this.pollTimer = setInterval(() => this.scheduleCatchUp("poll"), this.deps.pollIntervalMs ?? 2_000);
    this.pollTimer.unref();
  }

  private onMessage(raw: string) {
    const m = decodeWire(raw);
    if (!m) {
      this.deps.log?.("realtime: dropped a malformed message");
      return;
    }
    if ("event" in m && m.event.id === null) {
      // ephemeral: live only, no order to keep
      if (this.admit(this.tenant, m.event)) this.dispatch({ event: m.event });
      return;
    }
    this.enqueue(() => this.durable(m));
  }

  private enqueue(task: () => Promise<void>) {
    this.chain = this.chain
      .then(() => (this.closed ? undefined : task()))
      .catch((err) => this.deps.log?.("realtime: delivering events failed", err));
  }

  /**
   * A catch-up of everything after `highest`, at most one pending per feed, started after a random
   * part of `catchUpJitterMs` (so that the feeds of a process do not all read at the same moment).
   * One that fails is tried again.
   */
  private scheduleCatchUp(reason: CatchUpReason, spreadMs = this.deps.catchUpJitterMs ?? 1_000) {
    if (this.closed) return;
    if (this.catchUpPending) {
      if (reason === "resume") this.catchUpReason = reason; // (counted as what it has become)
      return;
    }
    this.catchUpPending = true;
    this.catchUpReason = reason;
    this.catchUpTimer = setTimeout(() => {
      this.catchUpTimer = undefined;
      this.enqueue(async () => {
        this.catchUpPending = false;
        const why = this.catchUpReason;
        try {
          await this.catchUp(null, why);
        } catch (err) {
          this.scheduleCatchUp(why, Math.max(spreadMs, 1_000));
          throw err;
        }
      });
    }, Math.random() * spreadMs);
    this.catchUpTimer.unref();
  }

  private async durable(m: WireMessage) {
    const id = "ref" in m ? m.ref.id : (m.event.id as number);
    if (id <= this.highest) return; // already delivered (a late or repeated message)
    if ("ref" in m) return this.catchUp(id, "reference");
    if (id === this.highest + 1) {
      await this.deliver(m.event);
      return this.deliverEarly();
    }
    this.early.set(id, m.event);
    this.armGapTimer(GAP_WAIT_MS);
  }

  private armGapTimer(ms: number) {
    if (this.closed) return;
    this.gapTimer ??= setTimeout(() => {
      this.gapTimer = undefined;
      this.enqueue(() => this.fillGap());
    }, ms);
  }

  /** Delivers the early events that are next in order now. */
  private async deliverEarly() {
    for (let next = this.early.get(this.highest + 1); next; next = this.early.get(this.highest + 1)) {
      this.early.delete(next.id as number);
      await this.deliver(next);
    }
    if (this.early.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    }
  }

  /** The missing events did not arrive in time: read everything up to the latest early one. */
  private async fillGap() {
    if (this.early.size === 0) return;
    const upTo = Math.max(...this.early.keys());
    try {
      await this.catchUp(upTo, "gap");
    } catch (err) {
      // The early events must not wait for the next message (or the periodic catch-up): try again.
      this.armGapTimer(GAP_RETRY_MS);
      throw err;
    }
    // What the table does not hold up to there (a channel deleted since, a bogus message) never comes.
    for (const id of this.early.keys()) if (id <= upTo) this.early.delete(id);
  }

  /**
   * Delivers stored events after `highest` (up to `upTo`, or all), in id order. Only what the
   * tenant's own `events` table holds: a message naming an id that is not stored (its channel was
   * deleted since — or a bogus message) delivers nothing and moves nothing forward.
   */
  private async catchUp(upTo: number | null, reason: CatchUpReason) {
    const { counters } = this.shared;
    counters.catchUps[reason]++;
    for (;;) {
      const from = this.highest;
      const rows = await this.shared.limit(() => {
        counters.catchUpQueries++;
        return this.read(({ db, t }) =>
          db
            .select({ id: t.events.id, payload: t.events.payload })
            .from(t.events)
            .where(upTo === null ? gt(t.events.id, from) : and(gt(t.events.id, from), lte(t.events.id, upTo)))
            .orderBy(asc(t.events.id))
            .limit(BATCH),
        );
      });
      for (const row of rows) {
        if (reason === "gap" || reason === "reference") counters.eventsFilled++;
        else counters.eventsRecovered++;
        await this.deliver(eventFromRow(row));
      }
      if (rows.length < BATCH) break;
    }
    for (const id of this.early.keys()) if (id <= this.highest) this.early.delete(id);
    await this.deliverEarly();
  }

  private async deliver(event: TrackedChatEvent) {
    if (event.id !== null) this.highest = Math.max(this.highest, event.id);
    let access: ChannelAccess | undefined;
    if (event.type === "channel.updated" && this.listeners.size > 0) {
      // Membership may have changed: look it up once for every local stream of the tenant.
      const userIds = [...new Set([...this.listeners].map((l) => l.userId))];
      access = await this.read(({ db, t }) => channelAccess(db, t, event.channelId, userIds)).catch((err) => {
        this.deps.log?.("realtime: reading channel access failed", err);
        return undefined; // streams then check for themselves
      });
    }
    this.dispatch({ event, access });
  }

  private dispatch(item: FeedItem) {
    for (const l of this.listeners) {
      this.shared.counters.deliveries++;
      try {
        l.push(item);
      } catch (err) {
        this.deps.log?.("realtime: a listener failed", err);
      }
    }
  }

  /** A read in the tenant's role, given up after `readTimeoutMs` (the chain must not wait forever). */
  private read<T>(fn: Parameters<typeof withTenant<T>>[2]): Promise<T> {
    const ms = this.deps.readTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      withTenant(this.deps.db, this.tenant, fn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.shared.counters.readTimeouts++;
          reject(new Error(`realtime: a database read took more than ${ms} ms; given up`));
        }, ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
