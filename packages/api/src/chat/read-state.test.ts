import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { testServices } from "../testing";
import { ChatService } from "./chat-service";
import { mentionToken } from "./mentions";
import { count, eventRows, generalId, person, recordingPublisher, rejects, workspace } from "./test-kit";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

async function mentionRows(schema: string, messageId: number) {
  const sql = services.db.admin;
  return sql<{ user_id: string | null; kind: string }[]>`
    select user_id, kind from ${sql(schema)}.mentions where message_id = ${messageId} order by id`;
}

describe("mentions", () => {
  it("are parsed from the body, kept only for members of the channel, and listed as notifications", async () => {
    const ws = await workspace(services, "men");
    const ann = await person(services, ws, "member", "Ann");
    const bob = await person(services, ws, "member", "Bob");
    const general = await generalId(services, ws);
    const side = await services.chat.createChannel(ws.tenant, ws.actor, { name: "side" });
    await services.chat.addMembers(ws.tenant, ws.actor, { channelId: side.id, userIds: [ann.user.id] });
    const schema = ws.tenant.schemaName;

    // Ann is in #side, Bob is not; the author and unknown ids are never mentioned; code is not parsed.
    const body = [
      `Hey ${mentionToken(ann.user)} and ${mentionToken(bob.user)},`,
      `also @[Me](${ws.ownerId}) and @[Ghost](00000000-0000-4000-8000-000000000000)`,
      `\`@[Code](${ann.user.id})\` mail me@here.com`,
    ].join("\n");
    const m1 = await ws.client.call((c) => c.chat.send({ channelId: side.id, body }));
    expect(await mentionRows(schema, m1.id)).toEqual([{ user_id: ann.user.id, kind: "user" }]);

    const m2 = await ann.client.call((c) =>
      c.chat.send({ channelId: general, body: "@channel standup in 5" }),
    );
    expect(await mentionRows(schema, m2.id)).toEqual([{ user_id: null, kind: "channel" }]);
    const m3 = await bob.client.call((c) =>
      c.chat.send({ channelId: general, body: `@here ${mentionToken(ann.user)} look` }),
    );
    expect(await mentionRows(schema, m3.id)).toEqual([
      { user_id: ann.user.id, kind: "user" },
      { user_id: null, kind: "here" },
    ]);

    // Ann: mentioned in m1 (user), m3 (user + here: one item); m2 is her own @channel.
    const annN = await ann.client.call((c) => c.chat.notifications());
    expect(annN.items.map((i) => [i.message.id, i.kind, i.channel.name])).toEqual([
      [m3.id, "user", "general"],
      [m1.id, "user", "side"],
    ]);
    expect(annN.nextCursor).toBeNull();
    // Bob: @channel from Ann in #general; the #side mention never counted (not a member).
    const bobN = await bob.client.call((c) => c.chat.notifications());
    expect(bobN.items.map((i) => [i.message.id, i.kind])).toEqual([[m2.id, "channel"]]);
    // The owner: @channel and @here in #general.
    const ownerN = await ws.client.call((c) => c.chat.notifications({ limit: 1 }));
    expect(ownerN.items.map((i) => [i.message.id, i.kind])).toEqual([[m3.id, "here"]]);
    const ownerN2 = await ws.client.call((c) =>
      c.chat.notifications({ cursor: ownerN.nextCursor, limit: 1 }),
    );
    expect(ownerN2.items.map((i) => [i.message.id, i.kind])).toEqual([[m2.id, "channel"]]);
    expect(ownerN2.nextCursor).toBeNull();

    // Editing re-parses: Ann is no longer mentioned in m3; deleting removes the rest.
    await bob.client.call((c) => c.chat.edit({ messageId: m3.id, body: "never mind" }));
    expect(await mentionRows(schema, m3.id)).toEqual([]);
    await ann.client.call((c) => c.chat.delete({ messageId: m2.id }));
    expect(await mentionRows(schema, m2.id)).toEqual([]);
    expect((await bob.client.call((c) => c.chat.notifications())).items).toEqual([]);
    expect((await ann.client.call((c) => c.chat.notifications())).items.map((i) => i.message.id)).toEqual([
      m1.id,
    ]);
  });
});

describe("read state", () => {
  it("unread and mention counts per channel; markRead only moves forward", async () => {
    const ws = await workspace(services, "rd");
    const ann = await person(services, ws, "member", "Ann");
    const bob = await person(services, ws, "member", "Bob");
    const general = await generalId(services, ws);
    const side = await services.chat.createChannel(ws.tenant, ws.actor, { name: "side" });
    await services.chat.addMembers(ws.tenant, ws.actor, { channelId: side.id, userIds: [ann.user.id] });

    const send = (who: typeof ann | null, channelId: string, body: string) =>
      services.chat.send(ws.tenant, who ? who.actor : ws.actor, { channelId, body });
    const counts = async (who: typeof ann) =>
      Object.fromEntries(
        (await who.client.call((c) => c.chat.unreadCounts())).channels.map((c) => [
          c.channelId,
          [c.unread, c.mentions, c.lastReadMessageId],
        ]),
      );

    const g1 = await send(bob, general, "morning");
    await send(bob, general, `${mentionToken(ann.user)} ping`);
    const g3 = await send(null, general, "@channel all hands at 10");
    const mine = await send(ann, general, "my own message does not count");
    const deleted = await send(bob, general, "oops");
    await services.chat.delete(ws.tenant, bob.actor, { messageId: deleted.id });
    const s1 = await send(null, side.id, "side chat");

    expect(await counts(ann)).toEqual({ [general]: [3, 2, 0], [side.id]: [1, 0, 0] });
    expect(await counts(bob)).toEqual({ [general]: [2, 1, 0] });

    const moved = await ann.client.call((c) => c.chat.markRead({ channelId: general, messageId: g3.id }));
    expect(moved).toEqual({ lastReadMessageId: g3.id });
    expect(await counts(ann)).toEqual({ [general]: [0, 0, g3.id], [side.id]: [1, 0, 0] });
    // Never backwards.
    expect(await ann.client.call((c) => c.chat.markRead({ channelId: general, messageId: g1.id }))).toEqual({
      lastReadMessageId: g3.id,
    });
    expect((await counts(ann))[general]).toEqual([0, 0, g3.id]);

    // New activity after the read position counts again.
    const g7 = await send(bob, general, `again ${mentionToken(ann.user)}`);
    expect((await counts(ann))[general]).toEqual([1, 1, g3.id]);
    await ann.client.call((c) => c.chat.markRead({ channelId: general, messageId: g7.id }));
    await ann.client.call((c) => c.chat.markRead({ channelId: side.id, messageId: s1.id }));
    expect(await counts(ann)).toEqual({ [general]: [0, 0, g7.id], [side.id]: [0, 0, s1.id] });
    expect(mine.author?.id).toBe(ann.user.id);

    // A message of another channel is not a read position here.
    expect(
      await rejects(ann.client.call((c) => c.chat.markRead({ channelId: general, messageId: s1.id }))),
    ).toMatchObject({ appCode: "NOT_FOUND" });

    // Someone joining later starts with what was posted since they joined.
    const cat = await person(services, ws, "member", "Cat");
    expect((await counts(cat))[general]).toEqual([0, 0, 0]);
    await send(bob, general, "welcome Cat");
    expect((await counts(cat))[general]).toEqual([1, 0, 0]);
  });

  it("markRead and typing publish ephemeral events; durable changes publish after commit", async () => {
    const ws = await workspace(services, "pub");
    const ann = await person(services, ws, "member", "Ann");
    const general = await generalId(services, ws);
    const { publisher, published } = recordingPublisher();
    const chat = new ChatService({ db: services.db, events: publisher, usage: services.usage });

    const msg = await chat.send(ws.tenant, ann.actor, { channelId: general, body: "hello" });
    expect(published).toHaveLength(1);
    const [created] = published;
    expect(created?.tenantId).toBe(ws.tenant.id);
    expect(created?.event).toMatchObject({
      type: "message.created",
      channelId: general,
      message: { id: msg.id },
    });
    const stored = await eventRows(services, ws);
    expect(created?.event.id).toBe(stored.at(-1)?.id);
    expect(stored.at(-1)?.payload).toEqual({
      type: "message.created",
      channelId: general,
      message: {
        id: msg.id,
        channelId: general,
        parentId: null,
        author: { id: ann.user.id, name: "Ann" },
        body: "hello",
        replyCount: 0,
        lastReplyAt: null,
        editedAt: null,
        deletedAt: null,
        createdAt: msg.createdAt.toISOString(),
        attachments: [],
      },
    });

    const eventsBefore = await count(services, ws.tenant.schemaName, "events");
    await chat.typing(ws.tenant, ann.actor, { channelId: general });
    await chat.markRead(ws.tenant, ws.actor, { channelId: general, messageId: msg.id });
    await chat.markRead(ws.tenant, ws.actor, { channelId: general, messageId: msg.id }); // no move, no event
    expect(published.slice(1).map((p) => p.event)).toEqual([
      { type: "typing", channelId: general, user: { id: ann.user.id, name: "Ann" }, id: null },
      { type: "read.updated", channelId: general, userId: ws.ownerId, lastReadMessageId: msg.id, id: null },
    ]);
    expect(await count(services, ws.tenant.schemaName, "events")).toBe(eventsBefore);

    // A refused change publishes nothing and stores nothing.
    const side = await services.chat.createChannel(ws.tenant, ws.actor, { name: "side" });
    const n = published.length;
    await expect(chat.typing(ws.tenant, ann.actor, { channelId: side.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(chat.send(ws.tenant, ann.actor, { channelId: side.id, body: "x" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(published).toHaveLength(n);

    // Event ids increase with every durable change.
    await chat.edit(ws.tenant, ann.actor, { messageId: msg.id, body: "hello!" });
    await chat.react(ws.tenant, ann.actor, { messageId: msg.id, emoji: "🎉" });
    await chat.delete(ws.tenant, ann.actor, { messageId: msg.id });
    const tail = published.slice(n).map((p) => [p.event.type, p.event.id]);
    expect(tail.map((x) => x[0])).toEqual(["message.updated", "reactions.changed", "message.deleted"]);
    const ids = tail.map((x) => x[1] as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids[0]!).toBeGreaterThan(created!.event.id!);
    const rows = await eventRows(services, ws);
    expect(rows.slice(-3).map((r) => r.id)).toEqual(ids);
  });
});
