import { PLANS } from "@nchat/billing/plans";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";
import { addMember, emit, generalChannel, messageCreated, Subscription, until } from "./testkit";

/**
 * Soak: channels are created (public and private) and joined while several people send, through two
 * service instances, each person's stream open on one of them. Every message must reach every stream
 * entitled to it exactly once, and within a generous deadline (a stalled feed shows up as a miss).
 */

const redisUrl = inject("redisUrl");
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** Per event: how long after its send returned it may arrive. Far below the feeds' 30 s backstop. */
const DEADLINE_MS = 10_000;
const SOAK_MS = 6_000;

type Person = { id: string; role: "owner" | "member" | "guest"; on: TestClient[] };
type Channel = {
  id: string;
  kind: "public" | "private";
  members: Set<string>;
  joining: Set<string>;
  /** When each person who joined during the soak started joining (before that, nothing may reach them). */
  joinStarted: Map<string, number>;
};
type Sent = {
  body: string;
  channel: Channel;
  /** Streams of these people must receive it (members or, public, non-guests, when it was sent). */
  required: Set<string>;
  /** Anyone else receiving it is a leak — except those whose join was under way meanwhile. */
  allowed: Set<string>;
  doneAt: number;
};

const MODES: ["PostgreSQL LISTEN/NOTIFY" | "Redis pub/sub", Record<string, string>][] = [
  ["PostgreSQL LISTEN/NOTIFY", { REDIS_URL: "" }],
  ...(redisUrl ? [["Redis pub/sub", {}] as ["Redis pub/sub", Record<string, string>]] : []),
];

describe.each(MODES)("soak via %s", (_name, env) => {
  it("channels created and joined while people send on two instances: every event reaches every entitled stream once, without stalls", {
    timeout: 120_000,
  }, async () => {
    const instances: Services[] = [await testServices(env), await testServices(env)];
    cleanups.push(() => Promise.all(instances.map((s) => s.close())).then(() => {}));
    const [a, b] = instances as [Services, Services];

    const owner = await tenantWithOwner(a, uniqueSlug("soak"));
    await a.tenants.updateTenant(
      owner.tenant.id,
      {
        billingPlan: "custom",
        limits: {
          ...owner.tenant.limits,
          ...PLANS.custom.limits,
          requestsPerMinute: 100_000,
          requestsPerHour: 1_000_000,
        },
      },
      { type: "super_admin", id: "sa" },
    );
    for (const s of instances) await s.resolver.invalidate({ slug: owner.tenant.slug });
    const general = await generalChannel(a, owner.tenant);

    /** A signed-in client of the same person on each instance. */
    const onBoth = (client: TestClient): TestClient[] => {
      const other = new TestClient(b, client.host);
      for (const [k, v] of client.cookies) other.cookies.set(k, v);
      return [client, other];
    };
    const people: Person[] = [{ id: owner.ownerId, role: "owner", on: onBoth(owner.client) }];
    for (const role of ["member", "member", "member", "guest"] as const) {
      const m = await addMember(a, owner, role);
      people.push({ id: m.user.id, role, on: onBoth(m.client) });
    }
    const guest = people.find((p) => p.role === "guest")!;
    const nonGuests = people.filter((p) => p.role !== "guest");

    // Each person's stream on one instance, the owner's second tab on the other; two tabs keep
    // reconnecting (resuming from their last event id) while channels come and go.
    const tabs = people.map((p, i) => ({ person: p, instance: i % 2, reconnects: i === 1 || i === 4 }));
    tabs.push({ person: people[0]!, instance: 1, reconnects: false });
    const streams = await Promise.all(
      tabs.map(async (tab) => {
        const open = async (lastEventId: number | null) => {
          const sub = await Subscription.open(instances[tab.instance]!, tab.person.on[tab.instance]!, {
            lastEventId,
          });
          cleanups.push(() => sub.stop());
          await sub.ready();
          return sub;
        };
        return { ...tab, open, subs: [await open(null)], arrivals: new Map<string, number[]>() };
      }),
    );
    /** The durable events a tab received over all its connections, in order. */
    const durable = (s: (typeof streams)[number]) => s.subs.flatMap((sub) => sub.durable);
    // Arrival times, by message body, as seen by each tab (polled: the subscriptions buffer).
    let watching = true;
    const seen = new Map<Subscription, number>();
    const watcher = (async () => {
      while (watching) {
        const now = Date.now();
        for (const s of streams)
          for (const sub of s.subs) {
            let i = seen.get(sub) ?? 0;
            for (; i < sub.items.length; i++) {
              const e = sub.items[i]!.event;
              if (e.type !== "message.created") continue;
              const at = s.arrivals.get(e.message.body) ?? [];
              at.push(now);
              s.arrivals.set(e.message.body, at);
            }
            seen.set(sub, i);
          }
        await sleep(5);
      }
    })();

    const everyone = new Set(people.map((p) => p.id));
    const channels: Channel[] = [
      { id: general, kind: "public", members: new Set(everyone), joining: new Set(), joinStarted: new Map() },
    ];
    const sent: Sent[] = [];
    const created: { channel: Channel; doneAt: number; required: Set<string> }[] = [];
    const failures: string[] = [];
    const deadline = Date.now() + SOAK_MS;
    let n = 0;
    const client = (p: Person) => pick(p.on);

    const canSee = (c: Channel, p: Person, members: Set<string>) =>
      members.has(p.id) || (c.kind === "public" && p.role !== "guest");

    const sender = async (p: Person) => {
      while (Date.now() < deadline) {
        const options = channels.filter((c) => c.members.has(p.id));
        const c = pick(options);
        const body = `soak ${n++} by ${p.id.slice(0, 8)}`;
        const required = new Set(people.filter((q) => canSee(c, q, c.members)).map((q) => q.id));
        try {
          await client(p).call((x) => x.chat.send({ channelId: c.id, body }));
        } catch (err) {
          failures.push(`send: ${(err as Error).message}`);
          continue;
        }
        const allowed = new Set([...required, ...c.joining, ...c.members]);
        sent.push({ body, channel: c, required, allowed, doneAt: Date.now() });
        await sleep(Math.random() * 20);
      }
    };

    const organizer = async (p: Person) => {
      while (Date.now() < deadline) {
        const roll = Math.random();
        try {
          if (roll < 0.4) {
            // A new channel, public or private, with some people in it from the start.
            const kind = Math.random() < 0.5 ? "public" : "private";
            const invited = people.filter((q) => q.id !== p.id && Math.random() < 0.5);
            const view = await client(p).call((x) =>
              x.chat.createChannel({
                name: uniqueSlug("c"),
                kind,
                memberIds: invited.map((q) => q.id),
              }),
            );
            const channel: Channel = {
              id: view.id,
              kind,
              members: new Set([p.id, ...invited.map((q) => q.id)]),
              joining: new Set(),
              joinStarted: new Map(),
            };
            const required = new Set(
              people.filter((q) => canSee(channel, q, channel.members)).map((q) => q.id),
            );
            created.push({ channel, doneAt: Date.now(), required });
            channels.push(channel);
          } else {
            // Someone joins a public channel, or is added to a private one by a member.
            const others = channels.filter((c) => c.id !== general);
            const c = others.length > 0 ? pick(others) : undefined;
            const outsiders = c ? people.filter((q) => !c.members.has(q.id) && !c.joining.has(q.id)) : [];
            if (!c || outsiders.length === 0) {
              await sleep(10);
              continue;
            }
            const q = pick(outsiders);
            c.joining.add(q.id);
            c.joinStarted.set(q.id, Date.now());
            try {
              if (c.kind === "public" && q.role !== "guest")
                await client(q).call((x) => x.chat.joinChannel({ channelId: c.id }));
              else if (c.members.has(p.id))
                await client(p).call((x) => x.chat.addMembers({ channelId: c.id, userIds: [q.id] }));
              else continue;
              c.members.add(q.id);
            } finally {
              c.joining.delete(q.id);
            }
          }
        } catch (err) {
          failures.push(`organize: ${(err as Error).message}`);
        }
        await sleep(Math.random() * 40);
      }
    };

    const reconnecting = async (s: (typeof streams)[number]) => {
      while (Date.now() < deadline) {
        await sleep(100 + Math.random() * 300);
        const current = s.subs.at(-1)!;
        await current.stop();
        s.subs.push(await s.open(current.lastEventId));
      }
    };

    await Promise.all([
      ...streams.filter((s) => s.reconnects).map((s) => reconnecting(s)),
      ...people.map((p) => sender(p)),
      organizer(people[0]!),
      organizer(pick(nonGuests.slice(1))),
    ]);
    expect(failures).toEqual([]);
    expect(sent.length).toBeGreaterThan(50);
    expect(created.some((c) => c.channel.kind === "private")).toBe(true);
    expect(guest).toBeDefined();

    // Everything required arrives — waited for up to the deadline after the last send.
    const complete = () =>
      sent.every((m) => streams.every((s) => !m.required.has(s.person.id) || s.arrivals.has(m.body)));
    await until(complete, "every message at every entitled stream", DEADLINE_MS + 5_000).catch(() => {});
    watching = false;
    await watcher;

    const report = streams.map((s) => {
      const missing = sent.filter((m) => m.required.has(s.person.id) && !s.arrivals.has(m.body));
      const late = sent.filter(
        (m) => m.required.has(s.person.id) && (s.arrivals.get(m.body)?.[0] ?? 0) - m.doneAt > DEADLINE_MS,
      );
      const repeated = [...s.arrivals].filter(([, at]) => at.length > 1).map(([body]) => body);
      // A resumed stream replays what its person can see now (a channel joined since included); a
      // live stream delivers by what its person can see when the event reaches it, so a message sent
      // just before someone joined may reach them — never one that arrived before their join began.
      const joinedBefore = (m: Sent) => {
        const started = m.channel.joinStarted.get(s.person.id);
        const arrived = s.arrivals.get(m.body)?.[0];
        return (
          started !== undefined &&
          arrived !== undefined &&
          m.channel.members.has(s.person.id) &&
          started <= arrived
        );
      };
      const allowed = (m: Sent) =>
        m.allowed.has(s.person.id) ||
        joinedBefore(m) ||
        (s.reconnects && canSee(m.channel, s.person, m.channel.members));
      const leaked = sent.filter((m) => !allowed(m) && s.arrivals.has(m.body));
      const ids = durable(s).map((e) => e.id);
      const outOfOrder = ids.filter((id, i) => i > 0 && id <= ids[i - 1]!).length;
      const createdMissing = created.filter(
        (c) =>
          c.required.has(s.person.id) &&
          !durable(s).some((e) => e.type === "channel.updated" && e.channelId === c.channel.id),
      );
      return {
        stream: `${s.person.role} on instance ${s.instance}${s.reconnects ? ", reconnecting" : ""}`,
        missing: missing.map((m) => m.body).slice(0, 5),
        late: late.map((m) => m.body).slice(0, 5),
        repeated: repeated.slice(0, 5),
        leaked: leaked.map((m) => m.body).slice(0, 5),
        outOfOrder,
        createdMissing: createdMissing.length,
        error: s.subs.map((sub) => sub.error).find((e) => e)
          ? String(s.subs.find((sub) => sub.error)!.error)
          : null,
      };
    });
    expect(report).toEqual(
      report.map((r) => ({
        stream: r.stream,
        missing: [],
        late: [],
        repeated: [],
        leaked: [],
        outOfOrder: 0,
        createdMissing: 0,
        error: null,
      })),
    );
    console.log(
      `soak: ${sent.length} messages, ${created.length} channels created, ${streams.length} streams on 2 instances, ${streams.reduce((n, s) => n + s.subs.length - 1, 0)} reconnects`,
    );
  });
});

describe("a stream opened while a channel is created", () => {
  it("gets the new channel's messages (its start reads the stream position before the channels it can see)", async () => {
    const services = await testServices();
    cleanups.push(() => services.close());
    const owner = await tenantWithOwner(services, uniqueSlug("race"));
    // A stream already open: the tenant's feed exists, so the next stream only runs its own start.
    const first = await Subscription.open(services, owner.client);
    cleanups.push(() => first.stop());
    await first.ready();

    const schema = owner.tenant.schemaName;
    let channelId = "";
    let second: Subscription | undefined;
    // Between the start's statements (each sees its own snapshot) a channel is created: the lock on
    // `events` holds the start right there, as a busy server might, while the channel commits.
    await services.db.admin.begin(async (tx) => {
      await tx`lock table ${tx(schema)}.events in access exclusive mode`;
      second = await Subscription.open(services, owner.client);
      cleanups.push(() => second!.stop());
      const waiting = async () =>
        (
          await services.db.admin`
            select 1 from pg_stat_activity
            where wait_event_type = 'Lock' and query ilike ${`%from "${schema}"."events"%`}`
        ).length > 0;
      for (let i = 0; i < 500 && !(await waiting()); i++) await sleep(10);
      expect(await waiting()).toBe(true);
      const [c] = await tx<{ id: string }[]>`
        insert into ${tx(schema)}.channels (name, kind) values (${uniqueSlug("new")}, 'public') returning id`;
      channelId = c!.id;
      await tx`insert into ${tx(schema)}.channel_members (channel_id, user_id) values (${channelId}, ${owner.ownerId})`;
      await tx`
        insert into ${tx(schema)}.events (channel_id, type, payload)
        values (${channelId}, 'channel.updated', ${JSON.stringify({ type: "channel.updated", channelId })}::jsonb)`;
    });
    await second!.ready();
    const message = await emit(services, owner.tenant, messageCreated(channelId, "in the new channel"));
    await first.waitForEvent(message.id);
    // Well before the stream's 60 s visibility refresh would let the channel in.
    await until(() => second!.hasEvent(message.id), "the new channel's message on the second stream", 5_000);
  });
});
