import type { TenantRef } from "@nchat/db";
import type { Role } from "../auth/permissions";
import type { TrackedChatEvent } from "../chat/events";
import type { ChannelAccess } from "./visibility";

/**
 * What an event stream needs from the tenant feeds (bus.ts implements it): streams depend on this,
 * not on the bus, which itself starts streams.
 */

/** An event as a tenant feed hands it to local streams; `access` comes with `channel.updated`. */
export type FeedItem = { event: TrackedChatEvent; access?: ChannelAccess };

/** A local consumer of a tenant's events (one per open stream). */
export type FeedListener = { userId: string; push(item: FeedItem): void };

/** The user a stream belongs to. */
export type StreamUser = { id: string; name: string; role: Role };

export interface FeedSource {
  /** Delivers the tenant's events to `listener` until the returned function is called. */
  subscribe(tenant: TenantRef, listener: FeedListener): Promise<() => Promise<void>>;
  /** Presence: the user has a stream open / closed one. */
  online(tenant: TenantRef, user: { id: string; name: string }): Promise<void>;
  offline(tenant: TenantRef, user: { id: string; name: string }): Promise<void>;
}
