import { withTenant } from "@nchat/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generalId, type Person, person, rejects, type Workspace, workspace } from "../chat/test-kit";
import type { Services } from "../server";
import { TestClient, testServices } from "../testing";
import { found } from "./test-kit";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

/** Every message with "zebra" in a channel, found by whoever may read the channel and nobody else. */
async function sameAsHistory(people: Person[], channels: { id: string; msg: number }[]) {
  for (const p of people) {
    const visible: number[] = [];
    for (const c of channels) {
      const history = await p.client
        .call((x) => x.chat.list({ channelId: c.id }))
        .then(
          (page) => page.messages.some((m) => m.id === c.msg),
          () => false,
        );
      if (history) visible.push(c.msg);
    }
    expect((await found(p.client, { q: "zebra ", limit: 50 })).toSorted(), p.user.name).toEqual(
      visible.toSorted(),
    );
  }
}

describe("search visibility: chat's rule, never a second one", () => {
  it("never finds private channels one is not in or left, others' DMs; archived channels as history", async () => {
    const ws = await workspace(services, "srch-vis", "pro");
    const ann = await person(services, ws, "member", "Ann");
    const bob = await person(services, ws, "member", "Bob");
    const adm = await person(services, ws, "admin", "Ada");
    const general = await generalId(services, ws);
    const say = async (who: { actor: Workspace["actor"] }, channelId: string, body: string) =>
      (await services.chat.send(ws.tenant, who.actor, { channelId, body })).id;

    const secret = await services.chat.createChannel(ws.tenant, ws.actor, {
      name: "secret",
      kind: "private",
    });
    const left = await services.chat.createChannel(ws.tenant, ws.actor, { name: "left", kind: "private" });
    await services.chat.addMembers(ws.tenant, ws.actor, { channelId: left.id, userIds: [ann.user.id] });
    const random = await services.chat.createChannel(ws.tenant, ws.actor, { name: "random" });
    const oldPublic = await services.chat.createChannel(ws.tenant, ws.actor, { name: "old-public" });
    const oldPrivate = await services.chat.createChannel(ws.tenant, ws.actor, {
      name: "old-private",
      kind: "private",
    });
    await services.chat.addMembers(ws.tenant, ws.actor, { channelId: oldPrivate.id, userIds: [bob.user.id] });
    const dm = await services.chat.openDm(ws.tenant, ws.actor, { userIds: [bob.user.id] });

    const msgs = {
      general: await say(ann, general, "zebra in general"),
      secret: await say(ws, secret.id, "zebra secret plans"),
      left: await say(ann, left.id, "zebra before leaving"),
      random: await say(ws, random.id, "zebra in random, Ann never joined"),
      oldPublic: await say(ws, oldPublic.id, "zebra archived public"),
      oldPrivate: await say(bob, oldPrivate.id, "zebra archived private"),
      dm: await say(bob, dm.id, "zebra between owner and Bob"),
    };
    await services.chat.leaveChannel(ws.tenant, ann.actor, { channelId: left.id });
    await say(ws, left.id, "zebra after Ann left");
    await services.chat.archiveChannel(ws.tenant, ws.actor, { channelId: oldPublic.id });
    await services.chat.archiveChannel(ws.tenant, ws.actor, { channelId: oldPrivate.id });

    expect((await found(ann.client, "zebra ")).toSorted()).toEqual(
      [msgs.general, msgs.random, msgs.oldPublic].toSorted(),
    );
    // An admin gets no view into private channels or DMs they are not in.
    expect((await found(adm.client, "zebra ")).toSorted()).toEqual(
      [msgs.general, msgs.random, msgs.oldPublic].toSorted(),
    );
    expect(await found(bob.client, "zebra in:#old-private ")).toEqual([msgs.oldPrivate]);
    expect(await found(bob.client, "zebra between ")).toEqual([msgs.dm]);
    // in:@person: one's DMs with them; nobody else's.
    expect(await found(bob.client, "zebra in:@owner ")).toEqual([msgs.dm]);
    expect(await found(ann.client, "zebra in:@bob ")).toEqual([]);
    expect(await found(ann.client, "zebra in:@owner ")).toEqual([]);
    // Naming a channel one cannot see finds nothing (and says nothing about it).
    expect(await found(ann.client, "zebra in:#secret ")).toEqual([]);
    expect(await found(ann.client, "in:#left")).toEqual([]);

    const channels = [
      { id: general, msg: msgs.general },
      { id: secret.id, msg: msgs.secret },
      { id: left.id, msg: msgs.left },
      { id: random.id, msg: msgs.random },
      { id: oldPublic.id, msg: msgs.oldPublic },
      { id: oldPrivate.id, msg: msgs.oldPrivate },
      { id: dm.id, msg: msgs.dm },
    ];
    await sameAsHistory([ann, bob, adm], channels);
  });

  it("a guest finds only the channels they are in, and only their people in the switcher", async () => {
    const ws = await workspace(services, "srch-guest", "pro");
    const guest = await person(services, ws, "guest", "Gus");
    const ann = await person(services, ws, "member", "Ann");
    const general = await generalId(services, ws);
    const project = await services.chat.createChannel(ws.tenant, ws.actor, { name: "project" });
    await services.chat.addMembers(ws.tenant, ws.actor, { channelId: project.id, userIds: [guest.user.id] });
    const lobby = await services.chat.createChannel(ws.tenant, ws.actor, { name: "lobby" });
    await services.chat.joinChannel(ws.tenant, ann.actor, { channelId: lobby.id });
    const inProject = (
      await services.chat.send(ws.tenant, ws.actor, { channelId: project.id, body: "zebra p" })
    ).id;
    const inLobby = (await services.chat.send(ws.tenant, ann.actor, { channelId: lobby.id, body: "zebra l" }))
      .id;
    const inGeneral = (
      await services.chat.send(ws.tenant, ann.actor, { channelId: general, body: "zebra g" })
    ).id;

    const guestChannels = (await services.chat.listChannels(ws.tenant, guest.actor)).channels.map(
      (c) => c.id,
    );
    const expected = [inProject, ...(guestChannels.includes(general) ? [inGeneral] : [])];
    expect((await found(guest.client, "zebra ")).toSorted()).toEqual(expected.toSorted());
    expect(await found(guest.client, "zebra in:#lobby ")).toEqual([]);
    expect(inLobby).toBeGreaterThan(0);
    await sameAsHistory(
      [guest],
      [
        { id: project.id, msg: inProject },
        { id: lobby.id, msg: inLobby },
        { id: general, msg: inGeneral },
      ],
    );

    // The switcher: the guest's channels only; people who share a channel with them.
    const items = await guest.client.call((c) => c.search.switcher({ q: "", limit: 20 }));
    const names = items.filter((i) => i.type === "channel").map((i) => i.name);
    expect(names).toContain("project");
    expect(names).not.toContain("lobby");
    const people = items.filter((i) => i.type === "person").map((i) => i.id);
    expect(people).toContain(ws.ownerId);
    if (!guestChannels.includes(general)) expect(people).not.toContain(ann.user.id);
    // A member sees every public channel and everyone.
    const annItems = await ann.client.call((c) => c.search.switcher({ q: "lob" }));
    expect(annItems).toMatchObject([{ type: "channel", name: "lobby", isMember: true }]);
    const gus = await ann.client.call((c) => c.search.switcher({ q: "gus" }));
    expect(gus).toMatchObject([{ type: "person", id: guest.user.id, name: "Gus" }]);
  });

  it("another tenant's messages are never found, and its search column is out of reach in SQL", async () => {
    const a = await workspace(services, "srch-ta");
    const b = await workspace(services, "srch-tb");
    const aMsg = await services.chat.send(a.tenant, a.actor, {
      channelId: await generalId(services, a),
      body: "zebra of A",
    });
    const bMsg = await services.chat.send(b.tenant, b.actor, {
      channelId: await generalId(services, b),
      body: "zebra of B",
    });
    expect(await found(a.client, "zebra ")).toEqual([aMsg.id]);
    expect(await found(b.client, "zebra ")).toEqual([bMsg.id]);
    // B's session on A's host is nobody there.
    const intruder = new TestClient(services, a.client.host);
    for (const [k, v] of b.client.cookies) intruder.cookies.set(k, v);
    expect(await rejects(intruder.call((c) => c.search.messages({ q: "zebra" })))).toMatchObject({
      appCode: "UNAUTHORIZED",
    });
    // Under A's role, B's schema cannot be read at all, search column included.
    const attempt = withTenant(services.db, a.tenant, ({ db }) =>
      db.execute(sql`select id from ${sql.identifier(b.tenant.schemaName)}.messages
        where search_vector @@ plainto_tsquery('simple', 'zebra')`),
    );
    const err = await attempt.then(
      () => null,
      (e: Error & { cause?: { code?: string } }) => e,
    );
    expect(err?.cause?.code).toBe("42501"); // insufficient_privilege
  });
});
