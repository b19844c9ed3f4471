import type { ChatEvent, DurableChatEvent, TrackedChatEvent } from "../chat/events";

/**
 * What travels between processes on a tenant's pub/sub channel (one JSON text per message):
 *
 *   { "v": 1, "event": TrackedChatEvent }                    the whole event
 *   { "v": 1, "ref": { "id", "type", "channelId" } }         a durable event too big for NOTIFY:
 *                                                            receivers load it from `events` by id
 *
 * PostgreSQL NOTIFY payloads must stay under 8,000 bytes; the same bound applies with Redis so both
 * transports behave alike (and the signal path is exercised everywhere).
 */
export type WireMessage =
  | { v: 1; event: TrackedChatEvent }
  | { v: 1; ref: { id: number; type: DurableChatEvent["type"]; channelId: string | null } };

/** Bytes of one pub/sub message, below PostgreSQL's NOTIFY limit with room to spare. */
export const MAX_WIRE_BYTES = 7_500;

/**
 * The pub/sub channel of one tenant's realtime events: `<namespace>_rt_<tenant id, hex only>`.
 * A PostgreSQL identifier (lowercase, ≤ 63 bytes: 12 + 4 + 32 = 48 at most).
 */
export function realtimeChannel(namespace: string, tenantId: string): string {
  const hex = tenantId.toLowerCase().replaceAll("-", "");
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error("realtime: a tenant id is a uuid");
  if (!/^[a-z][a-z0-9_]{0,20}$/.test(namespace)) throw new Error("realtime: invalid namespace");
  return `${namespace}_rt_${hex}`;
}

/** The message for an event, or null when an ephemeral event is too big to send at all. */
export function encodeWire(event: TrackedChatEvent, maxBytes = MAX_WIRE_BYTES): string | null {
  const full = JSON.stringify({ v: 1, event } satisfies WireMessage);
  if (Buffer.byteLength(full) <= maxBytes) return full;
  if (!isDurableEvent(event)) return null;
  const ref = { id: event.id, type: event.type, channelId: event.channelId };
  return JSON.stringify({ v: 1, ref } satisfies WireMessage);
}

const DURABLE_TYPES = new Set<string>([
  "message.created",
  "message.updated",
  "message.deleted",
  "reactions.changed",
  "thread.updated",
  "channel.updated",
  "pins.changed",
]);
const EPHEMERAL_TYPES = new Set<string>(["typing", "presence", "read.updated", "tenant.updated"]);

export const isDurableType = (type: string): type is DurableChatEvent["type"] => DURABLE_TYPES.has(type);

/** A stored event with its id (as opposed to an ephemeral one). */
export const isDurableEvent = (e: TrackedChatEvent): e is DurableChatEvent & { id: number } =>
  DURABLE_TYPES.has(e.type) && e.id !== null;

const isId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/**
 * Parses a message from the wire; null for anything malformed. Durable events must carry an id,
 * ephemeral ones must not (a message cannot pass an ephemeral event off as a stored one).
 */
export function decodeWire(raw: string): WireMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isObj(m) || m.v !== 1) return null;
  if (isObj(m.ref)) {
    const { id, type, channelId } = m.ref;
    if (!isId(id) || typeof type !== "string" || !isDurableType(type)) return null;
    if (channelId !== null && typeof channelId !== "string") return null;
    return { v: 1, ref: { id, type, channelId } };
  }
  if (!isObj(m.event)) return null;
  const e = m.event as Record<string, unknown>;
  if (typeof e.type !== "string") return null;
  if (
    DURABLE_TYPES.has(e.type) ? !isId(e.id) || typeof e.channelId !== "string" : !EPHEMERAL_TYPES.has(e.type)
  )
    return null;
  if (EPHEMERAL_TYPES.has(e.type) && e.id !== null) return null;
  return { v: 1, event: e as TrackedChatEvent };
}

/** A stored row of `events` as the event clients get. */
export function eventFromRow(row: { id: number; payload: unknown }): TrackedChatEvent {
  return { ...(row.payload as ChatEvent), id: row.id } as TrackedChatEvent;
}
