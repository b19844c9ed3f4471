import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";
import {
  addMember,
  createChannel,
  emit,
  generalChannel,
  messageCreated,
  type Received,
  Subscription,
  setMember,
  until,
} from "./testkit";

let services: Services;
const open: Subscription[] = [];
beforeAll(async () => {
  services = await testServices();
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.stop()));
  await services.close();
});

type Owner = Awaited<ReturnType<typeof tenantWithOwner>>;

async function subscribe(client: Owner["client"], input: { lastEventId?: number | string | null } = {}) {
  const sub = await Subscription.open(services, client, input);
  open.push(sub);
  return sub;
}

const ids = (items: { id: number }[]) => items.map((e) => e.id);
const isMarker = (r: Received) => r.event.type === "ready" || r.event.type === "resync";

describe("realtime.events: live", () => {
  it("starts with a tracked `ready` at the stream position, then delivers durable events tracked by id", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rt"));
    const general = await generalChannel(services, owner.tenant);
    const before = await emit(services, owner.tenant, { type: "channel.updated", channelId: general });

    const sub = await subscribe(owner.client);
    const ready = await sub.ready();
    expect(ready).toEqual({ tracked: String(before.id), event: { type: "ready", id: before.id } });

    const e1 = await emit(services, owner.tenant, messageCreated(general, "hello"));
    const e2 = await emit(services, owner.tenant, { type: "channel.updated", channelId: general });
    await sub.waitForEvent(e2.id);
    expect(sub.items.filter((r) => !isMarker(r) && r.event.type !== "presence")).toEqual([
      { tracked: String(e1.id), event: e1 },
      { tracked: String(e2.id), event: e2 },
    ]);
    // Nothing from before the subscription was replayed without a lastEventId.
    expect(sub.hasEvent(before.id)).toBe(false);
  });

  it("ephemeral events are untracked; typing is not echoed to its sender; presence online/offline", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rt"));
    const general = await generalChannel(services, owner.tenant);
    const ownerSub = await subscribe(owner.client);
    await ownerSub.ready();

    const other = await addMember(services, owner);
    const otherSub = await subscribe(other.client);
    await otherSub.ready();
    const online = await ownerSub.waitFor(
      (r) => r.event.type === "presence" && r.event.user.id === other.user.id,
      "presence online",
    );
    expect(online).toEqual({
      tracked: null,
      event: {
        type: "presence",
        user: { id: other.user.id, name: other.user.name },
        status: "online",
        id: null,
      },
    });

    const ownerUser = { id: owner.ownerId, name: "Owner" };
    await services.realtime.publish(owner.tenant, {
      type: "typing",
      channelId: general,
      user: ownerUser,
      id: null,
    });
    await services.realtime.publish(owner.tenant, {
      type: "typing",
      channelId: general,
      user: { id: other.user.id, name: other.user.name },
      id: null,
    });
    const typing = await otherSub.waitFor((r) => r.event.type === "typing", "the owner typing");
    expect(typing).toEqual({
      tracked: null,
      event: { type: "typing", channelId: general, user: ownerUser, id: null },
    });
    // The owner gets the other's typing — and, published before it, never their own.
    await ownerSub.waitFor(
      (r) => r.event.type === "typing" && r.event.user.id === other.user.id,
      "the other typing",
    );
    expect(ownerSub.items.filter((r) => r.event.type === "typing").map((r) => r.event)).toEqual([
      { type: "typing", channelId: general, user: { id: other.user.id, name: other.user.name }, id: null },
    ]);
    expect(otherSub.items.filter((r) => r.event.type === "typing")).toHaveLength(1);

    await otherSub.stop();
    await ownerSub.waitFor(
      (r) => r.event.type === "presence" && r.event.user.id === other.user.id && r.event.status === "offline",
      "presence offline",
    );
  });

  it("the signal ends the generator, and the last stream of a tenant unsubscribes the process", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rt"));
    const a = await subscribe(owner.client);
    const b = await subscribe(owner.client);
    await Promise.all([a.ready(), b.ready()]);
    expect(services.realtime.isListening(owner.tenant.id)).toBe(true);

    await a.stop(); // resolves only once the generator has returned
    expect(a.error).toBeNull();
    expect(services.realtime.isListening(owner.tenant.id)).toBe(true); // b still open
    const general = await generalChannel(services, owner.tenant);
    const e = await emit(services, owner.tenant, messageCreated(general, "after a left"));
    await b.waitForEvent(e.id);
    expect(a.hasEvent(e.id)).toBe(false);

    await b.stop();
    expect(services.realtime.isListening(owner.tenant.id)).toBe(false);
  });

  it("refuses signed-out clients and cross-site pages", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rt"));
    const anon = new TestClient(services, owner.client.host);
    await expect(Subscription.open(services, anon)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const evil = new TestClient(services, owner.client.host, "web", { origin: "http://evil.example" });
    for (const [k, v] of owner.client.cookies) evil.cookies.set(k, v);
    await expect(Subscription.open(services, evil)).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("realtime.events: resume", () => {
  it("replays exactly the events missed while away (given lastEventId), then continues live without repeats", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rt"));
    const general = await generalChannel(services, owner.tenant);
    const first = await subscribe(owner.client);
    await first.ready();
    const e1 = await emit(services, owner.tenant, messageCreated(general, "one"));
    const e2 = await emit(services, owner.tenant, messageCreated(general, "two"));
    await first.waitForEvent(e2.id);
    await first.stop();
    const lastSeen = first.lastEventId!;
    expect(lastSeen).toBe(e2.id);

    // Away: three events, published while nobody listens.
    const missed = [
      await emit(services, owner.tenant, messageCreated(general, "three")),
      await emit(services, owner.tenant, { type: "channel.updated", channelId: general }),
      await emit(services, owner.tenant, messageCreated(general, "five")),
    ];

    // tRPC passes the SSE Last-Event-ID as a string.
    const second = await subscribe(owner.client, { lastEventId: String(lastSeen) });
    const ready = await second.ready();
    expect(ready).toEqual({ tracked: null, event: { type: "ready", id: missed[2]!.id } }); // already at that id
    expect(second.items.filter((r) => !isMarker(r) && r.event.type !== "presence")).toEqual(
      missed.map((e) => ({ tracked: String(e.id), event: e })),
    );

    // A late duplicate of a replayed event is dropped; the next live event arrives once.
    await services.realtime.publish(owner.tenant, missed[1]!);
    const e6 = await emit(services, owner.tenant, messageCreated(general, "six"));
    await second.waitForEvent(e6.id);
    expect(ids(second.durable)).toEqual([...ids(missed), e6.id]);
    expect(ids(first.durable)).toEqual([e1.id, e2.id]);
  });

  it("under concurrent writes and repeated reconnects, every event arrives exactly once, in order", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rt"));
    const general = await generalChannel(services, owner.tenant);
    const total = 40;
    // A client that connected once (it knows its position), then loses its connection after every
    // few events and reconnects with the last id it saw — while a writer keeps adding events.
    const first = await subscribe(owner.client);
    await first.ready();
    await first.stop();
    let lastEventId = first.lastEventId;

    const written: number[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < total; i++) {
        written.push((await emit(services, owner.tenant, messageCreated(general, `m${i}`))).id);
        if (i % 3 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      writing = false;
    })();

    const received: number[] = [];
    let rounds = 0;
    while (writing || received.length < total) {
      rounds++;
      const sub = await subscribe(owner.client, { lastEventId });
      await sub.ready();
      const want = Math.min(received.length + 5, total);
      await until(() => received.length + sub.durable.length >= want || !writing, "a few events");
      await sub.stop();
      received.push(...ids(sub.durable));
      lastEventId = sub.lastEventId ?? lastEventId;
      if (rounds > 40) throw new Error(`no progress: ${received.length} of ${total} events`);
    }
    await writer;
    expect(received).toEqual(written);
  });

  it("more missed events than the replay limit: one `resync` at the current position instead", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rt"));
    const general = await generalChannel(services, owner.tenant);
    const from = await emit(services, owner.tenant, messageCreated(general, "seen"), false);
    const { withTenant } = await import("@nchat/db");
    await withTenant(services.db, owner.tenant, async ({ db, t }) => {
      await db.insert(t.events).values(
        Array.from({ length: 501 }, () => ({
          channelId: general,
          type: "channel.updated",
          payload: { type: "channel.updated", channelId: general },
        })),
      );
    });
    const last = await emit(services, owner.tenant, messageCreated(general, "latest"), false);
    const sub = await subscribe(owner.client, { lastEventId: from.id });
    await sub.ready();
    expect(sub.items.filter((r) => r.event.type !== "presence")).toEqual([
      { tracked: String(last.id), event: { type: "resync", id: last.id } },
      { tracked: null, event: { type: "ready", id: last.id } },
    ]);
    // A client position from another database (beyond the stream) also means resync.
    const lost = await subscribe(owner.client, { lastEventId: last.id + 1_000 });
    await lost.ready();
    expect(lost.items[0]).toEqual({ tracked: String(last.id), event: { type: "resync", id: last.id } });
  });
});

describe("realtime.events: who sees what", () => {
  it("a subscriber of tenant B never receives tenant A's events", async () => {
    const a = await tenantWithOwner(services, uniqueSlug("rta"));
    const b = await tenantWithOwner(services, uniqueSlug("rtb"));
    expect(services.realtime.channel(a.tenant.id)).not.toBe(services.realtime.channel(b.tenant.id));
    const aGeneral = await generalChannel(services, a.tenant);
    const bGeneral = await generalChannel(services, b.tenant);
    const subA = await subscribe(a.client);
    const subB = await subscribe(b.client);
    await Promise.all([subA.ready(), subB.ready()]);

    const sentInA: number[] = [];
    for (let i = 0; i < 50; i++) {
      sentInA.push((await emit(services, a.tenant, messageCreated(aGeneral, `secret ${i}`))).id);
      await services.realtime.publish(a.tenant, {
        type: "typing",
        channelId: aGeneral,
        user: { id: a.ownerId, name: "A" },
        id: null,
      });
    }
    // Even a forged reference on B's channel to one of A's ids reads B's own `events` table.
    await services.pubsub.publish(
      services.realtime.channel(b.tenant.id),
      JSON.stringify({ v: 1, ref: { id: sentInA.at(-1), type: "message.created", channelId: aGeneral } }),
    );
    const marker = await emit(services, b.tenant, messageCreated(bGeneral, "B's own"));
    await subB.waitForEvent(marker.id);
    await subA.waitForEvent(sentInA.at(-1)!);
    await new Promise((r) => setTimeout(r, 200)); // room for stragglers (which must not exist)

    const leaked = subB.items.filter(
      (r) =>
        JSON.stringify(r.event).includes("secret") ||
        JSON.stringify(r.event).includes(aGeneral) ||
        JSON.stringify(r.event).includes(a.ownerId),
    );
    expect(leaked).toEqual([]);
    expect(subB.durable.every((e) => "channelId" in e && e.channelId === bGeneral)).toBe(true);
    expect(ids(subA.durable)).toEqual(sentInA);
  });

  it("private channels reach members only; membership changes take effect on channel.updated", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rt"));
    const general = await generalChannel(services, owner.tenant);
    const member = await addMember(services, owner);
    const guest = await addMember(services, owner, "guest");
    const secret = await createChannel(services, owner.tenant, "private", [owner.ownerId]);
    const open = await createChannel(services, owner.tenant, "public", []);

    const before = await emit(services, owner.tenant, messageCreated(secret, "before"), false);
    const ownerSub = await subscribe(owner.client);
    const memberSub = await subscribe(member.client, { lastEventId: before.id - 1 });
    const guestSub = await subscribe(guest.client);
    await Promise.all([ownerSub.ready(), memberSub.ready(), guestSub.ready()]);
    expect(memberSub.hasEvent(before.id)).toBe(false); // not replayed either

    const hidden = await emit(services, owner.tenant, messageCreated(secret, "hidden"));
    const inOpen = await emit(services, owner.tenant, messageCreated(open, "public, not joined"));
    const marker = await emit(services, owner.tenant, messageCreated(general, "marker"));
    await Promise.all([memberSub.waitForEvent(marker.id), ownerSub.waitForEvent(marker.id)]);
    expect(ids(ownerSub.durable)).toEqual([hidden.id, inOpen.id, marker.id]);
    expect(ids(memberSub.durable)).toEqual([inOpen.id, marker.id]); // public channels are visible
    // The guest is in no channel but the default one.
    await guestSub.waitForEvent(marker.id);
    expect(ids(guestSub.durable)).toEqual([marker.id]);

    // Added: the change and what follows arrive.
    await setMember(services, owner.tenant, secret, member.user.id, true);
    const added = await emit(services, owner.tenant, { type: "channel.updated", channelId: secret });
    const now = await emit(services, owner.tenant, messageCreated(secret, "now you see it"));
    await memberSub.waitForEvent(now.id);
    expect(ids(memberSub.durable).slice(-2)).toEqual([added.id, now.id]);

    // Removed: they learn it (channel.updated), then see nothing more of it.
    await setMember(services, owner.tenant, secret, member.user.id, false);
    const removed = await emit(services, owner.tenant, { type: "channel.updated", channelId: secret });
    const after = await emit(services, owner.tenant, messageCreated(secret, "gone again"));
    const marker2 = await emit(services, owner.tenant, messageCreated(general, "marker 2"));
    await memberSub.waitForEvent(marker2.id);
    expect(ids(memberSub.durable).slice(-2)).toEqual([removed.id, marker2.id]);
    expect(memberSub.hasEvent(after.id)).toBe(false);
    expect(guestSub.hasEvent(removed.id)).toBe(false);

    // A resumed stream replays only what the user can see now.
    const replay = await subscribe(member.client, { lastEventId: before.id - 1 });
    await replay.ready();
    expect(ids(replay.durable)).toEqual([inOpen.id, marker.id, marker2.id]);
  });

  it("events too big for NOTIFY travel as a reference and arrive whole", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rt"));
    const general = await generalChannel(services, owner.tenant);
    const sub = await subscribe(owner.client);
    await sub.ready();
    const big = await emit(services, owner.tenant, messageCreated(general, "é".repeat(20_000)));
    const got = await sub.waitForEvent(big.id);
    expect(got).toEqual({ tracked: String(big.id), event: big });
  });
});

describe("realtime over HTTP (SSE)", () => {
  it("streams server-sent events with ids, and resumes from Last-Event-ID", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("rt"));
    const general = await generalChannel(services, owner.tenant);
    const input = encodeURIComponent(JSON.stringify({ json: {} }));

    const read = async (res: Response, until: (text: string) => boolean) => {
      const reader = res.body!.getReader();
      let text = "";
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      return text;
    };

    const res = await owner.client.http(`realtime.events?input=${input}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes('"ready"')) text += new TextDecoder().decode((await reader.read()).value);
    const e = await emit(services, owner.tenant, messageCreated(general, "over sse"));
    while (!text.includes(`id: ${e.id}\n`)) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain("over sse");

    const missed = await emit(services, owner.tenant, messageCreated(general, "missed while away"));
    const again = await owner.client.http(`realtime.events?input=${input}`, {
      headers: { "last-event-id": String(e.id) },
    });
    const replayed = await read(again, (t) => t.includes('"ready"') && t.includes(`id: ${missed.id}\n`));
    expect(replayed).toContain("missed while away");
    expect(replayed).toContain(`id: ${missed.id}\n`);
    expect(replayed).not.toContain("over sse");
    await until(() => !services.realtime.isListening(owner.tenant.id), "the stream to close");
  });
});
