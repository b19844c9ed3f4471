import type { TenantRef } from "@nchat/db";
import type { ChatEventPublisher, DurableChatEvent, TrackedChatEvent } from "../chat/events";
import type { FeedListener, FeedSource, StreamUser } from "./feed";
import { FeedShared, type RealtimeBusDeps, type RealtimeBusStats } from "./feed-shared";
import { eventStream, type StreamItem, type StreamOptions } from "./stream";
import { TenantFeed } from "./tenant-feed";
import { encodeWire, isDurableEvent, MAX_WIRE_BYTES, realtimeChannel, type WireMessage } from "./wire";

export type { FeedItem, FeedListener, StreamUser } from "./feed";
export type { RealtimeBusDeps, RealtimeBusStats } from "./feed-shared";

/**
 * Realtime fan-out of chat events to every process. `publish` sends an event on the tenant's own
 * pub/sub channel (Redis with REDIS_URL, else PostgreSQL LISTEN/NOTIFY); each process keeps one
 * subscription per tenant with open streams, shared by all of them and dropped with the last.
 * `stream` is one user's event stream (see ./stream.ts).
 */
export class RealtimeBus implements ChatEventPublisher, FeedSource {
  private readonly feeds = new Map<string, TenantFeed>();
  /** Users with open streams in this process, by `tenant id:user id`, with how many. */
  private readonly presence = new Map<
    string,
    { n: number; tenant: TenantRef; user: { id: string; name: string } }
  >();
  private heartbeatTimer?: NodeJS.Timeout;
  private beating = false;
  /** Per tenant, the highest durable event whose publish failed: announced again (see `publish`). */
  private readonly unsent = new Map<string, DurableChatEvent & { id: number }>();
  private republishTimer?: NodeJS.Timeout;
  private failedPublishes = 0;
  private lastWarning = 0;
  /** Publishing failed and nothing went out since. */
  private publishingDown = false;
  private readonly shared: FeedShared;

  constructor(private readonly deps: RealtimeBusDeps) {
    this.shared = new FeedShared(Math.max(1, deps.catchUpConcurrency ?? 4));
  }

  /**
   * Counters of the pub/sub fallbacks, for metrics: feeds without pub/sub and the time spent so,
   * catch-ups by trigger and the queries they ran, events recovered from the database, failed
   * publishes, resumes, reads given up. Counters only grow; `feeds`, `feedsWithoutPubSub`,
   * `catchUpsRunning` and `catchUpsWaiting` are current values.
   */
  stats(): RealtimeBusStats {
    const c = this.shared.counters;
    let feedsWithoutPubSub = 0;
    let subscribers = 0;
    for (const f of this.feeds.values()) {
      if (!f.live) feedsWithoutPubSub++;
      subscribers += f.listeners.size;
    }
    return {
      feeds: this.feeds.size,
      feedsWithoutPubSub,
      withoutPubSubMs: this.shared.withoutPubSubMs,
      publishFailures: this.failedPublishes,
      resumes: c.resumes,
      catchUps: { ...c.catchUps },
      catchUpQueries: c.catchUpQueries,
      catchUpsRunning: this.shared.running,
      catchUpsWaiting: this.shared.queued,
      eventsRecovered: c.eventsRecovered,
      eventsFilled: c.eventsFilled,
      readTimeouts: c.readTimeouts,
      subscribers,
      deliveries: c.deliveries,
    };
  }

  private publishWorked() {
    if (!this.publishingDown) return;
    this.publishingDown = false;
    this.shared.pubsubBack();
  }

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
      this.publishWorked();
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
      if (!this.publishingDown) {
        this.publishingDown = true;
        this.shared.pubsubDown();
      }
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
        this.publishWorked();
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
      const created = new TenantFeed(this.deps, this.shared, tenant, this.channel(tenant.id), (t, e) =>
        this.admitEphemeral(t, e),
      );
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
   * `offline` when their last one here closes. Open streams mark their users in the shared presence
   * store (at once, then every heartbeat), so a page that loads reads who is online (`onlineUsers`).
   * A user may have streams in several processes: a process that still holds a stream of a user
   * another process announced `offline` keeps that event from its own streams and announces the
   * user `online` again.
   */
  async online(tenant: TenantRef, user: { id: string; name: string }): Promise<void> {
    const key = `${tenant.id}:${user.id}`;
    const entry = this.presence.get(key);
    if (entry) {
      entry.n++;
      return;
    }
    this.presence.set(key, { n: 1, tenant, user: { id: user.id, name: user.name } });
    this.startHeartbeat();
    await this.markSeen(tenant, [user.id]);
    await this.publish(tenant, presenceEvent(user, "online"));
  }

  async offline(tenant: TenantRef, user: { id: string; name: string }): Promise<void> {
    const key = `${tenant.id}:${user.id}`;
    const entry = this.presence.get(key);
    if (entry && entry.n > 1) {
      entry.n--;
      return;
    }
    this.presence.delete(key);
    if (this.presence.size === 0) this.stopHeartbeat();
    const store = this.deps.presence;
    if (store)
      await bounded(store.leave(tenant, user.id), (err) =>
        this.deps.log?.("realtime: presence store failed", err),
      );
    await this.publish(tenant, presenceEvent(user, "offline"));
  }

  /** Who is online in a tenant: the shared store's answer, and this process's own streams. */
  async onlineUsers(tenant: TenantRef): Promise<string[]> {
    const ids = new Set<string>();
    for (const e of this.presence.values()) if (e.tenant.id === tenant.id) ids.add(e.user.id);
    if (this.deps.presence) {
      try {
        for (const id of await this.deps.presence.online(tenant)) ids.add(id);
      } catch (err) {
        this.deps.log?.("realtime: presence store failed", err);
      }
    }
    return [...ids];
  }

  /** Marks users as seen; a store that does not answer within a second does not hold up a stream. */
  private async markSeen(tenant: TenantRef, userIds: string[]) {
    const store = this.deps.presence;
    if (store)
      await bounded(store.touch(tenant, userIds), (err) =>
        this.deps.log?.("realtime: presence store failed", err),
      );
  }

  /** An `offline` of a user who still has a stream here (another process's last one closed). */
  private admitEphemeral(tenant: TenantRef, event: TrackedChatEvent): boolean {
    if (event.type !== "presence" || event.status !== "offline") return true;
    const entry = this.presence.get(`${tenant.id}:${event.user.id}`);
    if (!entry) return true;
    void this.markSeen(tenant, [entry.user.id]).then(() =>
      this.publish(tenant, presenceEvent(entry.user, "online")),
    );
    return false;
  }

  private startHeartbeat() {
    if (this.heartbeatTimer || !this.deps.presence) return;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.deps.presenceHeartbeatMs ?? 20_000);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Marks every user with an open stream here as seen now: one write per tenant. */
  private async heartbeat() {
    if (this.beating) return; // (the previous one is still at work: a slow store)
    this.beating = true;
    try {
      await this.beat();
    } finally {
      this.beating = false;
    }
  }

  private async beat() {
    const byTenant = new Map<string, { tenant: TenantRef; ids: string[] }>();
    for (const e of this.presence.values()) {
      const t = byTenant.get(e.tenant.id) ?? { tenant: e.tenant, ids: [] };
      t.ids.push(e.user.id);
      byTenant.set(e.tenant.id, t);
    }
    for (const { tenant, ids } of byTenant.values()) await this.markSeen(tenant, ids);
  }

  /** Tells every open stream of a tenant that the workspace changed (plan, limits, name, branding, status). */
  async tenantChanged(tenant: Pick<TenantRef, "id">): Promise<void> {
    await this.publish(tenant as TenantRef, { type: "tenant.updated", id: null });
  }

  /** Drops every tenant subscription of this process (open streams stop receiving). */
  async close(): Promise<void> {
    clearTimeout(this.republishTimer);
    this.stopHeartbeat();
    this.unsent.clear();
    this.publishWorked(); // (stops the clock)
    const feeds = [...this.feeds.values()];
    this.feeds.clear();
    await Promise.all(feeds.map((f) => f.stop()));
  }
}

/** Waits for `work` at most `ms` (it goes on in the background); its failure is reported, not thrown. */
async function bounded(work: Promise<unknown>, onError: (err: unknown) => void, ms = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.then(
      () => {},
      (err) => onError(err),
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
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
