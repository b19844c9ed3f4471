import { EventEmitter } from "node:events";
import type { Sql } from "@nchat/db";
import type { Redis } from "ioredis";

export type Unsubscribe = () => Promise<void>;

/** Fire-and-forget messages between processes (cache invalidation, realtime signals). */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe>;
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

/** Redis pub/sub: a dedicated subscriber connection, the shared client for publishing. */
export class RedisPubSub implements PubSub {
  private readonly handlers = new Map<string, Set<(m: string) => void>>();
  private readonly subscriber: Redis;

  constructor(private readonly client: Redis) {
    this.subscriber = client.duplicate({ enableOfflineQueue: true });
    this.subscriber.on("error", () => {});
    this.subscriber.on("message", (channel: string, message: string) => {
      for (const h of this.handlers.get(channel) ?? []) h(message);
    });
  }

  async publish(channel: string, message: string) {
    await this.client.publish(channel, message);
  }

  async subscribe(channel: string, handler: (m: string) => void) {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await this.subscriber.subscribe(channel);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0) {
        this.handlers.delete(channel);
        await this.subscriber.unsubscribe(channel).catch(() => {});
      }
    };
  }

  async close() {
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

  async subscribe(channel: string, handler: (m: string) => void) {
    const l = await this.sql.listen(channel, handler);
    this.listeners.push(l);
    return async () => {
      this.listeners.splice(this.listeners.indexOf(l) >>> 0, 1);
      await l.unlisten();
    };
  }

  async close() {
    await Promise.allSettled(this.listeners.map((l) => l.unlisten()));
  }
}
