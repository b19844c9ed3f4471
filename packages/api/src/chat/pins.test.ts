import { withTenant } from "@nchat/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { testServices } from "../testing";
import { ChatService } from "./chat-service";
import { CHAT_LIMITS } from "./inputs";
import { count, eventRows, generalId, person, recordingPublisher, rejects, workspace } from "./test-kit";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

const pinEvents = async (ws: Parameters<typeof eventRows>[1]) =>
  (await eventRows(services, ws))
    .filter((e) => e.type === "pins.changed")
    .map((e) => e.payload as { messageId: number; pinned: boolean; by: { name: string } });

describe("pinned messages", () => {
  it("members pin and unpin; the list is newest pin first; each change is one live event", async () => {
    const ws = await workspace(services, "pin");
    const ann = await person(services, ws, "member", "Ann");
    const general = await generalId(services, ws);
    const m1 = await services.chat.send(ws.tenant, ws.actor, { channelId: general, body: "The plan" });
    const m2 = await services.chat.send(ws.tenant, ann.actor, { channelId: general, body: "The **date**" });

    expect(await ann.client.call((c) => c.chat.pin({ messageId: m1.id }))).toMatchObject({ pinned: true });
    await ws.client.call((c) => c.chat.pin({ messageId: m2.id }));
    // Pinning again changes nothing (no second event).
    await ann.client.call((c) => c.chat.pin({ messageId: m1.id }));

    const { pins } = await ann.client.call((c) => c.chat.pins({ channelId: general }));
    expect(pins.map((p) => [p.messageId, p.pinnedBy?.name, p.message.body])).toEqual([
      [m2.id, "Owner", "The **date**"],
      [m1.id, "Ann", "The plan"],
    ]);
    expect(await pinEvents(ws)).toEqual([
      expect.objectContaining({
        messageId: m1.id,
        pinned: true,
        by: expect.objectContaining({ name: "Ann" }),
      }),
      expect.objectContaining({ messageId: m2.id, pinned: true }),
    ]);

    // Anyone in the channel unpins (not only who pinned); unpinning twice changes nothing.
    expect(await ws.client.call((c) => c.chat.unpin({ messageId: m1.id }))).toEqual({ pinned: false });
    await ws.client.call((c) => c.chat.unpin({ messageId: m1.id }));
    expect(
      (await ws.client.call((c) => c.chat.pins({ channelId: general }))).pins.map((p) => p.messageId),
    ).toEqual([m2.id]);
    expect((await pinEvents(ws)).map((e) => [e.messageId, e.pinned])).toEqual([
      [m1.id, true],
      [m2.id, true],
      [m1.id, false],
    ]);

    // A deleted message loses its pin.
    await ws.client.call((c) => c.chat.delete({ messageId: m2.id }));
    expect((await ws.client.call((c) => c.chat.pins({ channelId: general }))).pins).toEqual([]);
    expect(await count(services, ws.tenant.schemaName, "pins")).toBe(0);
  });

  it("publishes pins.changed after commit", async () => {
    const ws = await workspace(services, "pinpub");
    const { publisher, published } = recordingPublisher();
    const chat = new ChatService({ db: services.db, events: publisher, usage: { record: () => {} } });
    const general = await generalId(services, ws);
    const m = await chat.send(ws.tenant, ws.actor, { channelId: general, body: "pin me" });
    await chat.pin(ws.tenant, ws.actor, { messageId: m.id });
    expect(published.at(-1)?.event).toMatchObject({ type: "pins.changed", channelId: general, pinned: true });
    expect(published.at(-1)?.event.id).toEqual(expect.any(Number));
  });

  it("only members of a channel they can post in; others get NOT_FOUND or FORBIDDEN", async () => {
    const ws = await workspace(services, "pinacl", "pro");
    const ann = await person(services, ws, "member", "Ann");
    const guest = await person(services, ws, "guest", "Gus");
    const general = await generalId(services, ws);
    const open = await services.chat.createChannel(ws.tenant, ws.actor, { name: "open" });
    const secret = await services.chat.createChannel(ws.tenant, ws.actor, {
      name: "secret",
      kind: "private",
    });
    const inOpen = await services.chat.send(ws.tenant, ws.actor, { channelId: open.id, body: "public talk" });
    const inSecret = await services.chat.send(ws.tenant, ws.actor, { channelId: secret.id, body: "hush" });
    const inGeneral = await services.chat.send(ws.tenant, ws.actor, { channelId: general, body: "hi" });

    // Ann reads #open (public) but is not in it: she may list, not pin.
    expect((await ann.client.call((c) => c.chat.pins({ channelId: open.id }))).pins).toEqual([]);
    expect(await rejects(ann.client.call((c) => c.chat.pin({ messageId: inOpen.id })))).toMatchObject({
      appCode: "FORBIDDEN",
    });
    // The private channel does not exist for her.
    for (const call of [
      () => ann.client.call((c) => c.chat.pin({ messageId: inSecret.id })),
      () => ann.client.call((c) => c.chat.unpin({ messageId: inSecret.id })),
      () => ann.client.call((c) => c.chat.pins({ channelId: secret.id })),
      () => guest.client.call((c) => c.chat.pins({ channelId: open.id })),
      () => ann.client.call((c) => c.chat.pin({ messageId: 987_654_321 })),
      () => ann.client.call((c) => c.chat.pins({ channelId: "not-a-uuid" })),
    ])
      expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
    // Bad input is refused by the schema.
    expect(
      await rejects(ann.client.call((c) => c.chat.pin({ messageId: "1" as unknown as number }))),
    ).toMatchObject({ appCode: "VALIDATION_FAILED" });

    // Archived: read-only, no pinning (the list stays readable).
    await services.chat.pin(ws.tenant, ws.actor, { messageId: inOpen.id });
    await services.chat.archiveChannel(ws.tenant, ws.actor, { channelId: open.id });
    expect(await rejects(ws.client.call((c) => c.chat.unpin({ messageId: inOpen.id })))).toMatchObject({
      appCode: "FORBIDDEN",
    });
    expect((await ws.client.call((c) => c.chat.pins({ channelId: open.id }))).pins).toHaveLength(1);

    // A guest in #general may pin there (guests post where they were added).
    await services.chat.addMembers(ws.tenant, ws.actor, { channelId: general, userIds: [guest.user.id] });
    await guest.client.call((c) => c.chat.pin({ messageId: inGeneral.id }));
    expect(await count(services, ws.tenant.schemaName, "pins", `message_id = ${inGeneral.id}`)).toBe(1);
  });

  it(`holds at most ${CHAT_LIMITS.pinsPerChannel} pins per channel`, async () => {
    const ws = await workspace(services, "pinmax");
    const general = await generalId(services, ws);
    const sqlAdmin = services.db.admin;
    const schema = ws.tenant.schemaName;
    // Fill the channel straight in the database (a hundred sends would spend the plan's quota).
    await sqlAdmin.unsafe(
      `insert into "${schema}".messages (channel_id, user_id, body)
       select $1, $2, 'm' || g from generate_series(1, ${CHAT_LIMITS.pinsPerChannel + 1}) g`,
      [general, ws.ownerId],
    );
    await sqlAdmin.unsafe(
      `insert into "${schema}".pins (message_id, channel_id)
       select id, channel_id from "${schema}".messages order by id limit ${CHAT_LIMITS.pinsPerChannel}`,
    );
    const [last] = await sqlAdmin.unsafe<{ id: string }[]>(
      `select max(id)::text as id from "${schema}".messages`,
    );
    expect(await rejects(ws.client.call((c) => c.chat.pin({ messageId: Number(last!.id) })))).toMatchObject({
      appCode: "LIMIT_EXCEEDED",
      details: { limit: CHAT_LIMITS.pinsPerChannel },
    });
  });

  it("another tenant cannot pin, unpin or list; its role cannot read the pins table", async () => {
    const a = await workspace(services, "pina");
    const b = await workspace(services, "pinb");
    const aGeneral = await generalId(services, a);
    const m = await services.chat.send(a.tenant, a.actor, { channelId: aGeneral, body: "A only" });
    await services.chat.pin(a.tenant, a.actor, { messageId: m.id });
    const before = await eventRows(services, a);

    for (const call of [
      () => b.client.call((c) => c.chat.pin({ messageId: m.id })),
      () => b.client.call((c) => c.chat.unpin({ messageId: m.id })),
      () => b.client.call((c) => c.chat.pins({ channelId: aGeneral })),
    ])
      expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND" });
    // A's user handed to B's tenant (or B's owner to A's) is nobody there.
    await expect(services.chat.unpin(b.tenant, a.actor, { messageId: m.id })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect(services.chat.pins(a.tenant, b.actor, { channelId: aGeneral })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    // PostgreSQL: B's role has no access to A's schema at all.
    const denied = await withTenant(services.db, b.tenant, ({ db }) =>
      db.execute(sql.raw(`delete from "${a.tenant.schemaName}".pins`)),
    ).then(
      () => null,
      (err: Error) => err,
    );
    expect(String(denied?.cause ?? denied)).toMatch(/permission denied/);

    expect(await eventRows(services, a)).toEqual(before);
    expect(await count(services, a.tenant.schemaName, "pins")).toBe(1);
  });
});
