import { type Database, type PublicTx, type TenantRef, type TenantTables, withTenant } from "@nchat/db";
import { type TrackedEnvelope, tracked } from "@trpc/server";
import { and, asc, gt, inArray, isNull, lte, max, or } from "drizzle-orm";
import type { TrackedChatEvent } from "../chat/events";
import { AppError } from "../errors";
import type { FeedItem, FeedSource, StreamUser } from "./feed";
import { AsyncQueue } from "./queue";
import {
  accessAllows,
  canSeeChannel,
  channelVisibleTo,
  currentViewer,
  type Viewer,
  visibleChannelIds,
} from "./visibility";
import { eventFromRow, isDurableEvent } from "./wire";

/**
 * Stream markers, tracked at a position of the tenant's event stream:
 * - `ready`: replay is done; live events follow. Its id is the stream position at connect time, so
 *   a client that saw no event yet still resumes from the right place.
 * - `resync`: events were missed that will not be replayed (more than the replay limit, a client
 *   position from another database, a client too slow to keep up): refetch the state, then carry on.
 */
export type StreamMarker = { type: "ready" | "resync"; id: number };

/** What a client receives: chat events (durable ones carry their id) and markers. */
export type RealtimeEvent = TrackedChatEvent | StreamMarker;

/** Durable events and markers are tracked (SSE `id:`, the client's `lastEventId`); ephemeral ones not. */
export type StreamItem = TrackedEnvelope<RealtimeEvent> | RealtimeEvent;

export type StreamOptions = {
  /** Resume after this event id: events after it are replayed first. */
  lastEventId?: number | null;
  /** Ends the stream (the client left). Without it the stream ends only through `return()`. */
  signal?: AbortSignal;
};

export type StreamDeps = {
  db: Pick<Database, "tenantPools" | "availability">;
  bus: FeedSource;
  replayLimit: number;
  visibilityRefreshMs: number;
  maxQueue: number;
};

/** The tenant's stream position: the highest event id (0 before the first event). */
export async function maxEventId(tx: PublicTx, t: TenantTables): Promise<number> {
  const [row] = await tx.select({ id: max(t.events.id) }).from(t.events);
  return Number(row?.id ?? 0);
}

/**
 * One user's realtime stream over all the channels they can see.
 *
 * 1. Listens first (the tenant feed is subscribed before anything is read), so nothing committed
 *    from then on can fall between the replay and the live part.
 * 2. Reads the position P, then replays stored events in (lastEventId, P] of visible channels, in
 *    id order, at most `replayLimit` (else one `resync`), then `ready` at P.
 * 3. Streams live events: durable ones only above the last id handled (no repeats, no going back),
 *    of visible channels; typing not echoed to its sender. Membership is rechecked on every
 *    `channel.updated` and the whole visible set reread every `visibilityRefreshMs`; a user
 *    deactivated meanwhile ends the stream.
 * Presence: `online` when it opens, `offline` when it ends.
 */
export async function* eventStream(
  deps: StreamDeps,
  tenant: TenantRef,
  user: StreamUser,
  opts: StreamOptions,
): AsyncGenerator<StreamItem, void> {
  const { signal } = opts;
  const lastEventId = opts.lastEventId ?? null;
  const queue = new AsyncQueue<FeedItem>(deps.maxQueue);
  const unsubscribe = await deps.bus.subscribe(tenant, { userId: user.id, push: (item) => queue.push(item) });
  const read = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(deps.db, tenant, fn);
  let announced = false;
  try {
    const start = await read(async ({ db, t }) => {
      // The position first: each statement sees its own snapshot, so what is read after it already
      // reflects every event up to it. (Read the other way round, a channel created or joined in
      // between was part of the position — its `channel.updated` never delivered — but not of the
      // visible set: its messages were filtered out until the next visibility refresh.)
      const position = await maxEventId(db, t);
      const viewer = await currentViewer(db, t, user.id);
      if (!viewer) return null;
      const visible = await visibleChannelIds(db, t, viewer);
      const replay =
        lastEventId !== null && lastEventId < position
          ? await db
              .select({ id: t.events.id, payload: t.events.payload })
              .from(t.events)
              .where(
                and(
                  gt(t.events.id, lastEventId),
                  lte(t.events.id, position),
                  or(
                    isNull(t.events.channelId),
                    inArray(
                      t.events.channelId,
                      db.select({ id: t.channels.id }).from(t.channels).where(channelVisibleTo(t, viewer)),
                    ),
                  ),
                ),
              )
              .orderBy(asc(t.events.id))
              .limit(deps.replayLimit + 1)
          : [];
      return { viewer, visible, position, replay };
    });
    if (!start) throw new AppError("UNAUTHORIZED", "Sign in to continue.");
    if (signal?.aborted) return;

    let viewer: Viewer = start.viewer;
    let visible = start.visible;
    let refreshedAt = Date.now();
    /** Highest durable id handled (yielded or filtered out). */
    let last = start.position;
    /** Highest id the client has been given as its `lastEventId`. */
    let trackedUpTo = lastEventId ?? -1;
    /** `ready` moves the client's position forward only; `resync` always sets it (even backwards). */
    const marker = (type: StreamMarker["type"], id: number): StreamItem => {
      if (type === "ready" && id <= trackedUpTo) return { type, id };
      trackedUpTo = id;
      return tracked(String(id), { type, id });
    };

    await deps.bus.online(tenant, user);
    announced = true;

    if (lastEventId !== null) {
      if (lastEventId > start.position || start.replay.length > deps.replayLimit) {
        yield marker("resync", start.position);
      } else {
        for (const row of start.replay) {
          const event = eventFromRow(row);
          trackedUpTo = row.id;
          yield tracked(String(row.id), event);
        }
      }
    }
    yield marker("ready", start.position);

    for (;;) {
      const item = await queue.next(signal);
      if (signal?.aborted) return;
      if (!item) {
        // Overflowed: the client fell too far behind. Skip to the present and say so.
        queue.overflowed = false;
        last = Math.max(last, await read(({ db, t }) => maxEventId(db, t)));
        yield marker("resync", last);
        continue;
      }
      if (Date.now() - refreshedAt > deps.visibilityRefreshMs) {
        const now = await read(async ({ db, t }) => {
          const v = await currentViewer(db, t, user.id);
          return v ? { viewer: v, visible: await visibleChannelIds(db, t, v) } : null;
        });
        if (!now) return; // deactivated or removed: no more events
        viewer = now.viewer;
        visible = now.visible;
        refreshedAt = Date.now();
      }

      const event = item.event;
      if (isDurableEvent(event)) {
        if (event.id <= last) continue;
        last = event.id;
        if (event.type === "channel.updated") {
          const before = visible.has(event.channelId);
          const v = viewer;
          const after = item.access
            ? accessAllows(item.access, v)
            : await read(({ db, t }) => canSeeChannel(db, t, v, event.channelId));
          if (after) visible.add(event.channelId);
          else visible.delete(event.channelId);
          // Those who lost the channel learn it too (and refetch: it is gone for them).
          if (!before && !after) continue;
        } else if (event.channelId && !visible.has(event.channelId)) {
          continue;
        }
        trackedUpTo = event.id;
        yield tracked(String(event.id), event);
        continue;
      }
      switch (event.type) {
        case "typing":
          if (event.user.id === user.id || !visible.has(event.channelId)) continue;
          break;
        case "read.updated":
          if (!visible.has(event.channelId)) continue;
          break;
        case "presence":
        case "tenant.updated":
          break;
        default:
          continue;
      }
      yield event;
    }
  } finally {
    await unsubscribe();
    if (announced) await deps.bus.offline(tenant, user);
  }
}
