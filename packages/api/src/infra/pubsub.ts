import { EventEmitter } from "node:events";
import type { Sql } from "@nchat/db";
import type { Redis } from "ioredis";

export type Unsubscribe = () => Promise<void>;

export type SubscribeOptions = {
  /**
   * Called each time the subscription is back after its connection dropped (it is not called for
   * the first subscribe). Messages sent meanwhile are lost — pub/sub is fire-and-forget — so a
   * subscriber with a source of truth catches up from it here.
   */
  onResume?: () => void;
};

/** Fire-and-forget messages between processes (cache invalidation, realtime signals). */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once subscribed (rejects if it could not subscribe: nothing is left subscribed then). */
  subscribe(
    channel: string,
    handler: (message: string) => void,
    opts?: SubscribeOptions,
  ): Promise<Unsubscribe>;
  close(): Promise<void>;
}

/** One process only (tests, scripts). */
export class LocalPubSub implements PubSub {
  private readonly bus = new EventEmitter().setMaxListeners(0);
  async publish(channel: string, message: string) {
    this.bus.emit(channel, message);
  }
  async subscribe(channel: string, handler: (m: string) => void) {
    this.bus.on(channel, handler);
    return async () => void this.bus.off(channel, handler);
  }
  async close() {
    this.bus.removeAllListeners();
  }
}

type RedisSub = { handler: (m: string) => void; onResume?: () => void };
type RedisChannel = { subs: Set<RedisSub>; subscribed: Promise<unknown>; live: boolean };

/**
 * Redis pub/sub: a dedicated subscriber connection, the shared client for publishing.
 *
 * The channels to be subscribed to are the ones in `channels` (not ioredis's own record, which only
 * holds channels whose SUBSCRIBE was answered): after a reconnect they are all subscribed again,
 * and once Redis confirms, their `onResume` callbacks run. A SUBSCRIBE that fails (Redis down)
 * fails the `subscribe` call and leaves the channel out, so a later call subscribes it afresh.
 */
export class RedisPubSub implements PubSub {
  private readonly channels = new Map<string, RedisChannel>();
  private readonly subscriber: Redis;
  private closed = false;
  private resumeTimer?: NodeJS.Timeout;

  constructor(private readonly client: Redis) {
    this.subscriber = client.duplicate({ enableOfflineQueue: true, autoResubscribe: false });
    this.subscriber.on("error", () => {});
    this.subscriber.on("message", (channel: string, message: string) => {
      for (const s of this.channels.get(channel)?.subs ?? []) s.handler(message);
    });
    // No channel is live at the first "ready"; every later one follows a dropped connection.
    this.subscriber.on("ready", () => void this.resume());
  }

  async publish(channel: string, message: string) {
    await this.client.publish(channel, message);
  }

  async subscribe(channel: string, handler: (m: string) => void, opts: SubscribeOptions = {}) {
    let entry = this.channels.get(channel);
    if (!entry) {
      const created: RedisChannel = {
        subs: new Set(),
        subscribed: this.subscriber.subscribe(channel),
        live: false,
      };
      created.subscribed.then(
        () => {
          created.live = true;
        },
        () => {},
      );
      this.channels.set(channel, created);
      entry = created;
    }
    const e = entry;
    const sub: RedisSub = { handler, onResume: opts.onResume };
    e.subs.add(sub);
    try {
      await e.subscribed;
    } catch (err) {
      e.subs.delete(sub);
      if (e.subs.size === 0 && this.channels.get(channel) === e) this.channels.delete(channel);
      throw err;
    }
    return async () => {
      if (!e.subs.delete(sub)) return;
      if (e.subs.size === 0 && this.channels.get(channel) === e) {
        this.channels.delete(channel);
        await this.subscriber.unsubscribe(channel).catch(() => {});
      }
    };
  }

  /** Subscribes the live channels again on a new connection, then tells their subscribers. */
  private async resume() {
    clearTimeout(this.resumeTimer);
    const live = [...this.channels].filter(([, e]) => e.live);
    if (this.closed || live.length === 0) return;
    try {
      await this.subscriber.subscribe(...live.map(([c]) => c));
    } catch {
      // Not answered in time: try again while the connection lasts (a new one resumes anyway).
      if (!this.closed && this.subscriber.status === "ready") {
        this.resumeTimer = setTimeout(() => void this.resume(), 1_000);
        this.resumeTimer.unref();
      }
      return;
    }
    for (const [channel, e] of live) {
      if (this.channels.get(channel) !== e) continue;
      for (const s of e.subs) s.onResume?.();
    }
  }

  async close() {
    this.closed = true;
    clearTimeout(this.resumeTimer);
    this.subscriber.disconnect();
  }
}

/**
 * PostgreSQL LISTEN/NOTIFY, for deployments without Redis. Payloads are small signals (≤ 8000 bytes).
 * Channel names are PostgreSQL identifiers: [a-z0-9_].
 */
export class PgPubSub implements PubSub {
  private readonly listeners: { unlisten: () => Promise<void> }[] = [];
  constructor(private readonly sql: Sql) {}

  async publish(channel: string, message: string) {
    // One retry: a pooled connection the server closed fails on first use (nothing was sent then).
    await this.sql`select pg_notify(${channel}, ${message})`.catch(
      () => this.sql`select pg_notify(${channel}, ${message})`,
    );
  }

  async subscribe(channel: string, handler: (m: string) => void, opts: SubscribeOptions = {}) {
    // postgres.js calls `onlisten` once listening, and again after each reconnect (LISTEN again).
    // After a reconnect its `unlisten` no longer removes the re-created listener: `active` mutes it.
    let listening = false;
    let active = true;
    const l = await this.sql.listen(
      channel,
      (m) => active && handler(m),
      () => {
        if (active && listening) opts.onResume?.();
        listening = true;
      },
    );
    this.listeners.push(l);
    return async () => {
      active = false;
      this.listeners.splice(this.listeners.indexOf(l) >>> 0, 1);
      await l.unlisten();
    };
  }

  async close() {
    await Promise.allSettled(this.listeners.map((l) => l.unlisten()));
  }
}
