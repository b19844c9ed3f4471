import { type Database, type TenantRef, withTenant } from "@nchat/db";
import { and, asc, gt, lte } from "drizzle-orm";
import type { Role } from "../auth/permissions";
import type { ChatEventPublisher, DurableChatEvent, TrackedChatEvent } from "../chat/events";
import type { PubSub, Unsubscribe } from "../infra/pubsub";
import { eventStream, maxEventId, type StreamItem, type StreamOptions } from "./stream";
import { type ChannelAccess, channelAccess } from "./visibility";
import {
  decodeWire,
  encodeWire,
  eventFromRow,
  isDurableEvent,
  MAX_WIRE_BYTES,
  realtimeChannel,
  type WireMessage,
} from "./wire";

/** An event as a tenant feed hands it to local streams; `access` comes with `channel.updated`. */
export type FeedItem = { event: TrackedChatEvent; access?: ChannelAccess };

/** A local consumer of a tenant's events (one per open stream). */
export type FeedListener = { userId: string; push(item: FeedItem): void };

/** The user a stream belongs to. */
export type StreamUser = { id: string; name: string; role: Role };

export type RealtimeBusDeps = {
  db: Pick<Database, "appDbFor">;
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
  /** Most durable events replayed on resume; beyond that the client gets `resync`. Default 500. */
  replayLimit?: number;
  /** How often a stream rereads which channels its user can see. Default 60 s. */
  visibilityRefreshMs?: number;
  /** Events a slow client may have waiting before it is told to resync. Default 10,000. */
  maxQueue?: number;
  log?: (msg: string, err?: unknown) => void;
};

const BATCH = 500;
/** How long an early event waits for the ones before it before the gap is read from the database. */
const GAP_WAIT_MS = 25;

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
 */
class TenantFeed {
  readonly listeners = new Set<FeedListener>();
  /** Highest durable id delivered to the listeners. */
  highest = 0;
  ready: Promise<void> = Promise.resolve();
  private chain: Promise<void>;
  private release!: () => void;
  private unsubscribe?: Unsubscribe;
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** Events that arrived ahead of the next id, by id. */
  private readonly early = new Map<number, TrackedChatEvent>();
  private gapTimer?: NodeJS.Timeout;

  constructor(
    private readonly deps: RealtimeBusDeps,
    readonly tenant: TenantRef,
    readonly channel: string,
  ) {
    // Nothing durable is handled before `highest` is known.
    this.chain = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  async start(): Promise<void> {
    try {
      const unsubscribe = await this.deps.pubsub.subscribe(this.channel, (raw) => this.onMessage(raw), {
        // The connection dropped and is back: whatever was published meanwhile is lost on the wire
        // but stored. Deliver it now rather than with the next event or the periodic catch-up.
        onResume: () => this.enqueue(() => this.catchUp(null)),
      });
      if (this.closed) {
        await unsubscribe();
        return;
      }
      this.unsubscribe = unsubscribe;
      this.highest = await this.read(({ db, t }) => maxEventId(db, t));
      const every = this.deps.catchUpIntervalMs ?? 30_000;
      if (every > 0) {
        this.timer = setInterval(() => this.enqueue(() => this.catchUp(null)), every);
        this.timer.unref();
      }
    } catch (err) {
      this.closed = true;
      await this.unsubscribe?.().catch(() => {});
      this.unsubscribe = undefined;
      throw err;
    } finally {
      this.release();
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.gapTimer);
    await this.ready.catch(() => {});
    await this.unsubscribe?.().catch((err) => this.deps.log?.("realtime: unsubscribe failed", err));
    this.unsubscribe = undefined;
  }

  private onMessage(raw: string) {
    const m = decodeWire(raw);
    if (!m) {
      this.deps.log?.("realtime: dropped a malformed message");
      return;
    }
    if ("event" in m && m.event.id === null) {
      this.dispatch({ event: m.event }); // ephemeral: live only, no order to keep
      return;
    }
    this.enqueue(() => this.durable(m));
  }

  private enqueue(task: () => Promise<void>) {
    this.chain = this.chain
      .then(() => (this.closed ? undefined : task()))
      .catch((err) => this.deps.log?.("realtime: delivering events failed", err));
  }

  private async durable(m: WireMessage) {
    const id = "ref" in m ? m.ref.id : (m.event.id as number);
    if (id <= this.highest) return; // already delivered (a late or repeated message)
    if ("ref" in m) return this.catchUp(id);
    if (id === this.highest + 1) {
      await this.deliver(m.event);
      return this.deliverEarly();
    }
    this.early.set(id, m.event);
    this.gapTimer ??= setTimeout(() => {
      this.gapTimer = undefined;
      this.enqueue(() => this.fillGap());
    }, GAP_WAIT_MS);
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
    await this.catchUp(upTo);
    // What the table does not hold up to there (a channel deleted since, a bogus message) never comes.
    for (const id of this.early.keys()) if (id <= upTo) this.early.delete(id);
  }

  /**
   * Delivers stored events after `highest` (up to `upTo`, or all), in id order. Only what the
   * tenant's own `events` table holds: a message naming an id that is not stored (its channel was
   * deleted since — or a bogus message) delivers nothing and moves nothing forward.
   */
  private async catchUp(upTo: number | null) {
    for (;;) {
      const from = this.highest;
      const rows = await this.read(({ db, t }) =>
        db
          .select({ id: t.events.id, payload: t.events.payload })
          .from(t.events)
          .where(upTo === null ? gt(t.events.id, from) : and(gt(t.events.id, from), lte(t.events.id, upTo)))
          .orderBy(asc(t.events.id))
          .limit(BATCH),
      );
      for (const row of rows) await this.deliver(eventFromRow(row));
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
      try {
        l.push(item);
      } catch (err) {
        this.deps.log?.("realtime: a listener failed", err);
      }
    }
  }

  private read<T>(fn: Parameters<typeof withTenant<T>>[2]): Promise<T> {
    return withTenant(this.deps.db, this.tenant, fn);
  }
}

/**
 * Realtime fan-out of chat events to every process. `publish` sends an event on the tenant's own
 * pub/sub channel (Redis with REDIS_URL, else PostgreSQL LISTEN/NOTIFY); each process keeps one
 * subscription per tenant with open streams, shared by all of them and dropped with the last.
 * `stream` is one user's event stream (see ./stream.ts).
 */
export class RealtimeBus implements ChatEventPublisher {
  private readonly feeds = new Map<string, TenantFeed>();
  private readonly presence = new Map<string, number>();
  /** Per tenant, the highest durable event whose publish failed: announced again (see `publish`). */
  private readonly unsent = new Map<string, DurableChatEvent & { id: number }>();
  private republishTimer?: NodeJS.Timeout;
  private failedPublishes = 0;
  private lastWarning = 0;

  constructor(private readonly deps: RealtimeBusDeps) {}

  /** The pub/sub channel of a tenant. */
  channel(tenantId: string): string {
    return realtimeChannel(this.deps.namespace, tenantId);
  }

  /**
   * Sends an event to every process. Call it after the change committed. Never throws: a durable
   * event is in `events` already. If its send fails (the pub/sub is down), the tenant's highest
   * such event is announced again — as a reference, which makes every feed behind it catch up from
   * `events` — every `republishIntervalMs` until a send succeeds.
   */
  async publish(tenant: TenantRef, event: TrackedChatEvent): Promise<void> {
    try {
      const message = encodeWire(event, this.deps.maxWireBytes ?? MAX_WIRE_BYTES);
      if (message === null) {
        this.deps.log?.(`realtime: ${event.type} event too big to send; dropped`);
        return;
      }
      await this.deps.pubsub.publish(this.channel(tenant.id), message);
      // A later event that went out makes the feeds behind it catch up: no need to announce again.
      const unsent = this.unsent.get(tenant.id);
      if (unsent && isDurableEvent(event) && event.id >= unsent.id) this.unsent.delete(tenant.id);
    } catch (err) {
      if (isDurableEvent(event)) {
        const before = this.unsent.get(tenant.id);
        if (!before || before.id < event.id) this.unsent.set(tenant.id, event);
        this.republishLater();
      }
      this.failedPublishes++;
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.deps.log?.(
          `realtime: publish failed (${this.failedPublishes} so far); will announce again`,
          err,
        );
      }
    }
  }

  private republishLater() {
    if (this.republishTimer) return;
    this.republishTimer = setTimeout(() => void this.republish(), this.deps.republishIntervalMs ?? 1_000);
    this.republishTimer.unref();
  }

  private async republish() {
    for (const [tenantId, unsent] of [...this.unsent]) {
      const { id, type, channelId } = unsent;
      try {
        const ref: WireMessage = { v: 1, ref: { id, type, channelId } };
        await this.deps.pubsub.publish(this.channel(tenantId), JSON.stringify(ref));
      } catch {
        break; // still down: all of them later
      }
      if (this.unsent.get(tenantId) === unsent) this.unsent.delete(tenantId);
    }
    this.republishTimer = undefined;
    if (this.unsent.size > 0) this.republishLater();
  }

  /**
   * Adds a local listener of a tenant's events; the first one subscribes the process to the tenant's
   * channel. Resolves once listening; returns the function that removes the listener again.
   */
  async subscribe(tenant: TenantRef, listener: FeedListener): Promise<() => Promise<void>> {
    let feed = this.feeds.get(tenant.id);
    if (!feed) {
      const created = new TenantFeed(this.deps, tenant, this.channel(tenant.id));
      created.ready = created.start().catch(async (err) => {
        if (this.feeds.get(tenant.id) === created) this.feeds.delete(tenant.id);
        throw err;
      });
      this.feeds.set(tenant.id, created);
      feed = created;
    }
    const f = feed;
    f.listeners.add(listener);
    try {
      await f.ready;
    } catch (err) {
      f.listeners.delete(listener);
      throw err;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      f.listeners.delete(listener);
      if (f.listeners.size === 0) {
        if (this.feeds.get(tenant.id) === f) this.feeds.delete(tenant.id);
        await f.stop();
      }
    };
  }

  /** Tenants this process listens to (one pub/sub subscription each). */
  get listeningTenants(): number {
    return this.feeds.size;
  }

  /** Whether this process is subscribed to a tenant's channel (it has open streams of it). */
  isListening(tenantId: string): boolean {
    return this.feeds.has(tenantId);
  }

  /** One user's stream: replay after `lastEventId`, then live events, until the signal aborts. */
  stream(tenant: TenantRef, user: StreamUser, opts: StreamOptions = {}): AsyncGenerator<StreamItem, void> {
    return eventStream(
      {
        db: this.deps.db,
        bus: this,
        replayLimit: this.deps.replayLimit ?? 500,
        visibilityRefreshMs: this.deps.visibilityRefreshMs ?? 60_000,
        maxQueue: this.deps.maxQueue ?? 10_000,
      },
      tenant,
      user,
      opts,
    );
  }

  /**
   * Presence, counted per user in this process: `online` when their first stream here opens,
   * `offline` when their last one here closes.
   */
  async online(tenant: TenantRef, user: { id: string; name: string }): Promise<void> {
    const key = `${tenant.id}:${user.id}`;
    const n = (this.presence.get(key) ?? 0) + 1;
    this.presence.set(key, n);
    if (n === 1) await this.publish(tenant, presenceEvent(user, "online"));
  }

  async offline(tenant: TenantRef, user: { id: string; name: string }): Promise<void> {
    const key = `${tenant.id}:${user.id}`;
    const n = (this.presence.get(key) ?? 1) - 1;
    if (n > 0) {
      this.presence.set(key, n);
      return;
    }
    this.presence.delete(key);
    await this.publish(tenant, presenceEvent(user, "offline"));
  }

  /** Drops every tenant subscription of this process (open streams stop receiving). */
  async close(): Promise<void> {
    clearTimeout(this.republishTimer);
    this.unsent.clear();
    const feeds = [...this.feeds.values()];
    this.feeds.clear();
    await Promise.all(feeds.map((f) => f.stop()));
  }
}

const presenceEvent = (
  user: { id: string; name: string },
  status: "online" | "offline",
): TrackedChatEvent => ({
  type: "presence",
  user: { id: user.id, name: user.name },
  status,
  id: null,
});
