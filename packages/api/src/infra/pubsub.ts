import { createHmac, timingSafeEqual } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Database, Sql } from "@nchat/db";
import type { Redis } from "ioredis";
import { isCluster, type RedisClient, subscriberConnection } from "./redis";

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
 *
 * On a Redis Cluster, classic PUBLISH reaches the subscribers of every node: the subscriber
 * connection goes to one node; when that node stays unreachable, a new connection to another node
 * takes over (and resumes the channels the same way).
 */
export class RedisPubSub implements PubSub {
  private readonly channels = new Map<string, RedisChannel>();
  private subscriber!: Redis;
  private closed = false;
  private resumeTimer?: NodeJS.Timeout;

  constructor(private readonly client: RedisClient) {
    this.attach(subscriberConnection(client));
  }

  private attach(subscriber: Redis) {
    this.subscriber = subscriber;
    subscriber.on("error", () => {});
    subscriber.on("message", (channel: string, message: string) => {
      if (subscriber !== this.subscriber) return;
      for (const s of this.channels.get(channel)?.subs ?? []) s.handler(message);
    });
    // No channel is live at the first "ready" of the first connection; every later one follows a
    // dropped connection (or a new one on another cluster node).
    subscriber.on("ready", () => void this.resume());
    if (isCluster(this.client)) {
      subscriber.once("end", () => {
        if (this.closed || subscriber !== this.subscriber) return;
        this.attach(subscriberConnection(this.client, subscriber));
      });
    }
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

/** Length of the signature in front of each PostgreSQL notification (base64url of 16 bytes). */
const SIGNATURE_CHARS = 22;

/**
 * PostgreSQL LISTEN/NOTIFY, for deployments without Redis. Payloads are small signals (≤ 8000 bytes).
 * Channel names are PostgreSQL identifiers: [a-z0-9_].
 *
 * Any role may NOTIFY any channel — a tenant's SQL included — so every message is signed (HMAC of
 * channel and message under a key derived from DATABASE_APP_PASSWORD, which no SQL can read) and
 * a notification without a valid signature is dropped: a tenant cannot inject events into another
 * tenant's streams or invalidate its caches.
 */
export class PgPubSub implements PubSub {
  private readonly listeners: { unlisten: () => Promise<void> }[] = [];
  private readonly sql: Sql;
  private readonly listener: Sql;
  private readonly key: Buffer;
  /**
   * Notifications go out on the app pool; LISTEN sessions live on `db.listener`, which is never a
   * transaction pool (a pooler would hand the session's backend to others between statements).
   */
  constructor(db: Pick<Database, "app" | "listener" | "config">) {
    this.sql = db.app;
    this.listener = db.listener;
    this.key = createHmac("sha256", db.config.appPassword).update("nchat-notify").digest();
  }

  async publish(channel: string, message: string) {
    const signed = this.sign(channel, message) + message;
    // One retry: a pooled connection the server closed fails on first use (nothing was sent then).
    await this.sql`select pg_notify(${channel}, ${signed})`.catch(
      () => this.sql`select pg_notify(${channel}, ${signed})`,
    );
  }

  private sign(channel: string, message: string): string {
    return createHmac("sha256", this.key)
      .update(`${channel}\n${message}`)
      .digest()
      .subarray(0, 16)
      .toString("base64url");
  }

  /** The message of a notification signed by `publish`, or null. */
  private verify(channel: string, payload: string): string | null {
    const message = payload.slice(SIGNATURE_CHARS);
    const given = Buffer.from(payload.slice(0, SIGNATURE_CHARS));
    const expected = Buffer.from(this.sign(channel, message));
    return given.length === expected.length && timingSafeEqual(given, expected) ? message : null;
  }

  async subscribe(channel: string, handler: (m: string) => void, opts: SubscribeOptions = {}) {
    // postgres.js calls `onlisten` once listening, and again after each reconnect (LISTEN again).
    // After a reconnect its `unlisten` no longer removes the re-created listener: `active` mutes it.
    let listening = false;
    let active = true;
    const l = await this.listener.listen(
      channel,
      (payload) => {
        const m = active ? this.verify(channel, payload) : null;
        if (m !== null) handler(m);
      },
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
