import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TrackedChatEvent } from "../chat/events";
import { LocalPubSub } from "../infra/pubsub";
import type { Services } from "../server";
import { TEST_BASE_DOMAIN, tenantWithOwner, testServices } from "../testing";
import { RealtimeBus } from "./bus";
import { emit, generalChannel, messageCreated, normalize, type Received, until } from "./testkit";
import { decodeWire, encodeWire, realtimeChannel } from "./wire";

const redisUrl = inject("redisUrl");
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Services whose pub/sub is Redis ("redis", only when the run has one) or LISTEN/NOTIFY ("pg"). */
async function servicesWith(mode: "pg" | "redis"): Promise<Services> {
  const s = await testServices(mode === "pg" ? { REDIS_URL: "" } : {});
  cleanups.push(() => s.close());
  return s;
}

describe("wire format", () => {
  it("names one lowercase channel per tenant, within PostgreSQL's identifier limit", () => {
    const id = "0F8FAD5B-D9CB-469F-A165-70867728950E";
    const name = realtimeChannel("abcdefghijkl", id);
    expect(name).toBe("abcdefghijkl_rt_0f8fad5bd9cb469fa16570867728950e");
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(() => realtimeChannel("x", "../etc")).toThrow();
  });

  it("sends big durable events as a reference, drops big ephemeral ones, refuses malformed messages", () => {
    const small: TrackedChatEvent = { type: "channel.updated", channelId: "c", id: 7 };
    expect(decodeWire(encodeWire(small)!)).toEqual({ v: 1, event: small });
    const big: TrackedChatEvent = {
      ...messageCreated("c", "x".repeat(10_000)),
      id: 8,
    } as TrackedChatEvent;
    const ref = encodeWire(big)!;
    expect(JSON.parse(ref)).toEqual({ v: 1, ref: { id: 8, type: "message.created", channelId: "c" } });
    expect(Buffer.byteLength(ref)).toBeLessThan(8_000);
    const bigTyping: TrackedChatEvent = {
      type: "typing",
      channelId: "c",
      user: { id: "u", name: "n".repeat(10_000) },
      id: null,
    };
    expect(encodeWire(bigTyping)).toBeNull();
    for (const bad of [
      "not json",
      "{}",
      JSON.stringify({ v: 2, event: small }),
      JSON.stringify({ v: 1, event: { ...small, id: null } }), // a durable type must have an id
      JSON.stringify({ v: 1, event: { type: "typing", channelId: "c", user: {}, id: 3 } }), // ephemeral: none
      JSON.stringify({ v: 1, event: { type: "unknown", id: null } }),
      JSON.stringify({ v: 1, ref: { id: -1, type: "message.created", channelId: "c" } }),
    ]) {
      expect(decodeWire(bad)).toBeNull();
    }
  });
});

describe("RealtimeBus in one process", () => {
  let services: Services;
  beforeAll(async () => {
    services = await servicesWith("pg");
  });

  /** A bus over a pub/sub that counts subscriptions. */
  function countingBus(opts: Partial<ConstructorParameters<typeof RealtimeBus>[0]> = {}) {
    const pubsub = new LocalPubSub();
    const counts = { subscribe: 0, unsubscribe: 0 };
    const counted = {
      publish: (c: string, m: string) => pubsub.publish(c, m),
      subscribe: async (c: string, h: (m: string) => void) => {
        counts.subscribe++;
        const off = await pubsub.subscribe(c, h);
        return async () => {
          counts.unsubscribe++;
          await off();
        };
      },
      close: () => pubsub.close(),
    };
    const bus = new RealtimeBus({
      db: services.db,
      pubsub: counted,
      namespace: inject("testDb").rolePrefix,
      ...opts,
    });
    cleanups.push(() => bus.close());
    return { bus, counts, pubsub: counted };
  }

  async function drain(gen: AsyncGenerator<unknown>, into: Received[]) {
    for await (const item of gen) into.push(normalize(item));
  }

  it("shares one pub/sub subscription per tenant among all local streams, dropped with the last", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("bus"));
    const { bus, counts } = countingBus();
    const user = { id: owner.ownerId, name: "Owner", role: "owner" as const };
    const streams = Array.from({ length: 5 }, () => {
      const abort = new AbortController();
      const items: Received[] = [];
      const done = drain(bus.stream(owner.tenant, user, { signal: abort.signal }), items);
      return { abort, items, done };
    });
    await until(() => streams.every((s) => s.items.some((i) => i.event.type === "ready")), "5 streams ready");
    expect(counts).toEqual({ subscribe: 1, unsubscribe: 0 });
    for (const s of streams.slice(0, 4)) {
      s.abort.abort();
      await s.done;
    }
    expect(counts).toEqual({ subscribe: 1, unsubscribe: 0 });
    streams[4]!.abort.abort();
    await streams[4]!.done;
    expect(counts).toEqual({ subscribe: 1, unsubscribe: 1 });
    expect(bus.isListening(owner.tenant.id)).toBe(false);
  });

  it("delivers out-of-order and repeated messages once each, in id order (gaps filled from `events`)", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("bus"));
    const general = await generalChannel(services, owner.tenant);
    const { bus } = countingBus();
    const abort = new AbortController();
    const items: Received[] = [];
    const done = drain(
      bus.stream(owner.tenant, { id: owner.ownerId, name: "Owner", role: "owner" }, { signal: abort.signal }),
      items,
    );
    await until(() => items.some((i) => i.event.type === "ready"), "ready");
    // Stored in order, published late, reversed and twice.
    const events = [];
    for (let i = 0; i < 4; i++)
      events.push(await emit(services, owner.tenant, messageCreated(general, `n${i}`), false));
    for (const e of [...events].reverse()) await bus.publish(owner.tenant, e);
    for (const e of events) await bus.publish(owner.tenant, e);
    await until(
      () => items.filter((i) => i.tracked !== null && i.event.type === "message.created").length >= 4,
      "4 events",
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(items.filter((i) => i.event.type === "message.created").map((i) => i.event.id)).toEqual(
      events.map((e) => e.id),
    );
    abort.abort();
    await done;
  });

  it("puts events that arrive slightly out of order back in order from the wire, without reading them", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("bus"));
    const general = await generalChannel(services, owner.tenant);
    const { bus, pubsub } = countingBus();
    const abort = new AbortController();
    const items: Received[] = [];
    const done = drain(
      bus.stream(owner.tenant, { id: owner.ownerId, name: "Owner", role: "owner" }, { signal: abort.signal }),
      items,
    );
    await until(() => items.some((i) => i.event.type === "ready"), "ready");
    // Two events the table does NOT hold, next in line, arriving second-first: read from the
    // database they would be lost (it has neither); waited for, both are delivered in order.
    const anchor = await emit(services, owner.tenant, messageCreated(general, "anchor"), false);
    await bus.publish(owner.tenant, anchor);
    const next = anchor.id + 1;
    await until(() => items.some((i) => i.event.id === next - 1), "anchor");
    const wire = (id: number) =>
      encodeWire({ ...messageCreated(general, `wire-${id}`), id } as Parameters<typeof encodeWire>[0])!;
    const channel = realtimeChannel(inject("testDb").rolePrefix, owner.tenant.id);
    await pubsub.publish(channel, wire(next + 1));
    await pubsub.publish(channel, wire(next));
    await until(() => items.some((i) => i.event.id === next + 1), "both wire events");
    expect(items.filter((i) => (i.event.id ?? 0) >= next).map((i) => i.event.id)).toEqual([next, next + 1]);
    abort.abort();
    await done;
  });

  it("a client too slow to keep up is told to resync instead of buffering without bound", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("bus"));
    const general = await generalChannel(services, owner.tenant);
    const { bus } = countingBus({ maxQueue: 3 });
    const abort = new AbortController();
    const gen = bus.stream(
      owner.tenant,
      { id: owner.ownerId, name: "Owner", role: "owner" },
      { signal: abort.signal },
    );
    expect(normalize((await gen.next()).value).event.type).toBe("ready");
    // The consumer does not read while 10 events arrive.
    const published = [];
    for (let i = 0; i < 10; i++)
      published.push(await emit(services, owner.tenant, messageCreated(general, `s${i}`), false));
    for (const e of published) await bus.publish(owner.tenant, e);
    await new Promise((r) => setTimeout(r, 300));
    const next = normalize((await gen.next()).value);
    expect(next.event.type).toBe("resync");
    expect(next.tracked).toBe(String(published.at(-1)!.id));
    abort.abort();
    expect(await gen.next()).toEqual({ done: true, value: undefined });
  });
});

const childScript = fileURLToPath(new URL("./stream-child.ts", import.meta.url));

/** A subscriber in another OS process, printing what its stream yields. */
async function childSubscriber(mode: "pg" | "redis", client: { host: string; cookies: Map<string, string> }) {
  const cfg = inject("testDb");
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--import", "tsx", childScript], {
    env: {
      ...process.env,
      REALTIME_CHILD_CONFIG: JSON.stringify({
        ...cfg,
        redisUrl: mode === "redis" ? redisUrl : null,
        masterKey: Buffer.alloc(32, 7).toString("base64"),
        baseDomain: TEST_BASE_DOMAIN,
        host: client.host,
        cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        lastEventId: null,
      }),
    },
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  cleanups.push(() => void child.kill());
  const lines: Record<string, unknown>[] = [];
  void (async () => {
    // The child's services may print other lines (a captured mail of another test's queued job): only its JSON reports count.
    for await (const line of createInterface({ input: child.stdout }))
      if (line.startsWith("{")) lines.push(JSON.parse(line));
  })();
  const received = () => lines.filter((l) => "event" in l) as unknown as Received[];
  const waitFor = async (pred: (r: Received) => boolean, what: string) => {
    await until(
      () => received().some(pred) || lines.some((l) => "error" in l),
      `${what} in the child (stderr: ${stderr.slice(-500)})`,
      60_000,
    );
    const err = lines.find((l) => "error" in l);
    if (err) throw new Error(`child: ${String(err.error)}`);
    return received().find(pred)!;
  };
  return {
    received,
    waitFor,
    /** Closing stdin aborts the child's stream; it prints `ended` and exits. */
    async stop() {
      child.stdin.end();
      const code = await exited;
      return { code, ended: lines.some((l) => l.ended === true) };
    },
  };
}

const PUBSUB_MODES: ["PostgreSQL LISTEN/NOTIFY" | "Redis pub/sub", "pg" | "redis"][] = [
  ["PostgreSQL LISTEN/NOTIFY", "pg"],
  ...(redisUrl ? [["Redis pub/sub", "redis"] as ["Redis pub/sub", "redis"]] : []),
];

describe.each(PUBSUB_MODES)("across processes via %s", (_name, mode) => {
  it("a subscriber in another process receives events published here, big ones whole", {
    timeout: 120_000,
  }, async () => {
    const services = await servicesWith(mode);
    const owner = await tenantWithOwner(services, uniqueSlug("xp"));
    const general = await generalChannel(services, owner.tenant);
    const other = await childSubscriber(mode, owner.client);
    await other.waitFor((r) => r.event.type === "ready", "the ready marker");

    const small = await emit(services, owner.tenant, messageCreated(general, "from the parent"));
    const big = await emit(services, owner.tenant, messageCreated(general, "ü".repeat(9_000)));
    await services.realtime.publish(owner.tenant, {
      type: "read.updated",
      channelId: general,
      userId: owner.ownerId,
      lastReadMessageId: 1,
      id: null,
    });
    expect(await other.waitFor((r) => r.event.id === small.id, "the small event")).toEqual({
      tracked: String(small.id),
      event: small,
    });
    expect(await other.waitFor((r) => r.event.id === big.id, "the big event")).toEqual({
      tracked: String(big.id),
      event: big,
    });
    expect(await other.waitFor((r) => r.event.type === "read.updated", "the read update")).toEqual({
      tracked: null,
      event: {
        type: "read.updated",
        channelId: general,
        userId: owner.ownerId,
        lastReadMessageId: 1,
        id: null,
      },
    });
    expect(
      other
        .received()
        .filter((r) => r.event.type === "message.created")
        .map((r) => r.event.id),
    ).toEqual([small.id, big.id]);

    // Closing its input aborts the child's stream: the generator ends and the process exits cleanly.
    expect(await other.stop()).toEqual({ code: 0, ended: true });
  });
});
