// Helpers for the realtime tests (not used by the product).
import { type TenantRef, withTenant } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { isTrackedEnvelope } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { expect, vi } from "vitest";
import {
  type DurableChatEvent,
  type MessagePayload,
  recordEvent,
  type TrackedChatEvent,
} from "../chat/events";
import { createCaller } from "../root";
import type { Services } from "../server";
import { allowGuests, TestClient } from "../testing";
import { createContext } from "../trpc";
import type { RealtimeEvent } from "./stream";

/** A stream item as a client sees it: the SSE id for tracked items (else null), and the data. */
export type Received = { tracked: string | null; event: RealtimeEvent };

export const normalize = (item: unknown): Received =>
  isTrackedEnvelope<RealtimeEvent>(item)
    ? { tracked: item[0], event: item[1] }
    : { tracked: null, event: item as RealtimeEvent };

/** Polls until `check` holds; fails the test with `what` when it does not in time (no timing claims). */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One open `realtime.events` subscription of a client, drained in the background. */
export class Subscription {
  readonly items: Received[] = [];
  readonly abort = new AbortController();
  done!: Promise<void>;
  error: unknown = null;

  static async open(
    services: Services,
    client: TestClient,
    input: { lastEventId?: number | string | null } = {},
  ) {
    const sub = new Subscription();
    const ctx = await createContext({ services, headers: client.headers(), app: "web" });
    const iterable = await createCaller(ctx, { signal: sub.abort.signal }).realtime.events(input);
    sub.done = (async () => {
      try {
        for await (const item of iterable) sub.items.push(normalize(item));
      } catch (err) {
        sub.error = err;
      }
    })();
    return sub;
  }

  /** Durable chat events received (tracked, with an id), in order. */
  get durable(): (TrackedChatEvent & { id: number })[] {
    return this.items
      .filter((i) => i.tracked !== null && i.event.type !== "ready" && i.event.type !== "resync")
      .map((i) => i.event as TrackedChatEvent & { id: number });
  }

  /** The last SSE id received: what a browser would send as Last-Event-ID. */
  get lastEventId(): number | null {
    const t = this.items.filter((i) => i.tracked !== null).at(-1);
    return t ? Number(t.tracked) : null;
  }

  async waitFor(pred: (r: Received) => boolean, what: string): Promise<Received> {
    await until(() => this.items.some(pred) || this.error !== null, what);
    if (this.error) throw this.error;
    return this.items.find(pred)!;
  }

  ready(): Promise<Received> {
    return this.waitFor((r) => r.event.type === "ready", "the ready marker");
  }

  hasEvent(id: number): boolean {
    return this.items.some((r) => r.event.id === id && r.event.type !== "ready" && r.event.type !== "resync");
  }

  waitForEvent(id: number): Promise<Received> {
    return this.waitFor(
      (r) => r.event.id === id && r.event.type !== "ready" && r.event.type !== "resync",
      `event ${id}`,
    );
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

/** A fabricated message payload (events only need to be well-formed; no message row is required). */
export function messagePayload(channelId: string, body: string, id = 1): MessagePayload {
  return {
    id,
    channelId,
    parentId: null,
    author: null,
    body,
    replyCount: 0,
    lastReplyAt: null,
    editedAt: null,
    deletedAt: null,
    createdAt: new Date().toISOString(),
    attachments: [],
  };
}

export const messageCreated = (channelId: string, body: string): DurableChatEvent => ({
  type: "message.created",
  channelId,
  message: messagePayload(channelId, body),
});

/** Records a durable event in its own transaction and (unless told not to) publishes it, as the chat service does. */
export async function emit(
  services: Services,
  tenant: TenantRef,
  event: DurableChatEvent,
  publish = true,
): Promise<TrackedChatEvent & { id: number }> {
  const tracked = await withTenant(services.db, tenant, ({ db, t }) => recordEvent(db, t, tenant, event));
  if (publish) await services.realtime.publish(tenant, tracked);
  return tracked as TrackedChatEvent & { id: number };
}

/** The tenant's default channel ("general"). */
export async function generalChannel(services: Services, tenant: TenantRef): Promise<string> {
  return withTenant(services.db, tenant, async ({ db, t }) => {
    const [c] = await db.select({ id: t.channels.id }).from(t.channels);
    return c!.id;
  });
}

/** A channel created directly in the tenant's schema, with these members. */
export async function createChannel(
  services: Services,
  tenant: TenantRef,
  kind: "public" | "private",
  memberIds: string[],
): Promise<string> {
  return withTenant(services.db, tenant, async ({ db, t }) => {
    const [c] = await db
      .insert(t.channels)
      .values({ name: uniqueSlug(kind), kind })
      .returning({ id: t.channels.id });
    if (memberIds.length)
      await db.insert(t.channelMembers).values(memberIds.map((userId) => ({ channelId: c!.id, userId })));
    return c!.id;
  });
}

export async function setMember(
  services: Services,
  tenant: TenantRef,
  channelId: string,
  userId: string,
  member: boolean,
): Promise<void> {
  await withTenant(services.db, tenant, async ({ db, t }) => {
    if (member) await db.insert(t.channelMembers).values({ channelId, userId }).onConflictDoNothing();
    else
      await db
        .delete(t.channelMembers)
        .where(and(eq(t.channelMembers.channelId, channelId), eq(t.channelMembers.userId, userId)));
  });
}

/** Invites and accepts: a signed-in client of a new member (or guest) of the owner's tenant. */
export async function addMember(
  services: Services,
  owner: { client: TestClient },
  role: "member" | "guest" = "member",
): Promise<{ client: TestClient; user: { id: string; name: string } }> {
  const email = `${role}-${uniqueSlug("u")}@people.test`;
  const info = vi.spyOn(console, "info").mockImplementation(() => {});
  try {
    if (role === "guest") await allowGuests(services, owner.client);
    const { token } = await owner.client.call((c) => c.members.invite({ email, role }));
    const client = new TestClient(services, owner.client.host);
    const { user } = await client.call((c) =>
      c.members.acceptInvitation({ token, name: `Person ${role}`, password: "member-password-1" }),
    );
    expect(user.role).toBe(role);
    return { client, user };
  } finally {
    info.mockRestore();
  }
}
