import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../auth/cookies";
import type { Services } from "../server";
import { TestClient, testServices } from "../testing";
import { count, eventRows, generalId, person, rejects, workspace } from "./test-kit";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

describe("tenant isolation", () => {
  it("tenant B's users, cookies and ids cannot read, post to, react to, edit or delete tenant A's chat", async () => {
    const a = await workspace(services, "isa");
    const b = await workspace(services, "isb");
    const aMember = await person(services, a, "member", "Ann");
    const bMember = await person(services, b, "member", "Bob");
    const aGeneral = await generalId(services, a);
    const aSide = await services.chat.createChannel(a.tenant, a.actor, { name: "side" });
    const m1 = await services.chat.send(a.tenant, aMember.actor, {
      channelId: aGeneral,
      body: "A's secret plans",
    });
    const m2 = await services.chat.send(a.tenant, a.actor, { channelId: aSide.id, body: "more of A" });
    await services.chat.react(a.tenant, a.actor, { messageId: m1.id, emoji: "👍" });
    await services.chat.markRead(a.tenant, aMember.actor, { channelId: aGeneral, messageId: m1.id });

    const snapshot = async () => ({
      general: await services.chat.list(a.tenant, a.actor, { channelId: aGeneral }),
      side: await services.chat.list(a.tenant, a.actor, { channelId: aSide.id }),
      channels: await services.chat.listChannels(a.tenant, a.actor),
      events: await eventRows(services, a),
      readState: await count(services, a.tenant.schemaName, "read_state"),
      members: await count(services, a.tenant.schemaName, "channel_members"),
    });
    const before = await snapshot();

    const attempts = (client: TestClient) => [
      () => client.call((c) => c.chat.channels()),
      () => client.call((c) => c.chat.channel({ channelId: aGeneral })),
      () => client.call((c) => c.chat.channelMembers({ channelId: aGeneral })),
      () => client.call((c) => c.chat.list({ channelId: aGeneral })),
      () => client.call((c) => c.chat.list({ channelId: aGeneral, around: m1.id })),
      () => client.call((c) => c.chat.thread({ parentId: m1.id })),
      () => client.call((c) => c.chat.send({ channelId: aGeneral, body: "from B" })),
      () => client.call((c) => c.chat.joinChannel({ channelId: aSide.id })),
      () => client.call((c) => c.chat.addMembers({ channelId: aSide.id, userIds: [bMember.user.id] })),
      () => client.call((c) => c.chat.updateChannel({ channelId: aSide.id, name: "pwned" })),
      () => client.call((c) => c.chat.archiveChannel({ channelId: aSide.id })),
      () => client.call((c) => c.chat.react({ messageId: m1.id, emoji: "💀" })),
      () => client.call((c) => c.chat.edit({ messageId: m1.id, body: "edited by B" })),
      () => client.call((c) => c.chat.delete({ messageId: m2.id })),
      () => client.call((c) => c.chat.markRead({ channelId: aGeneral, messageId: m1.id })),
      () => client.call((c) => c.chat.typing({ channelId: aGeneral })),
      () => client.call((c) => c.chat.openDm({ userIds: [aMember.user.id] })),
      () => client.call((c) => c.chat.notifications()),
      () => client.call((c) => c.chat.unreadCounts()),
    ];

    // B's session cookie on A's host is no session at all.
    const intruder = new TestClient(services, a.client.host);
    intruder.cookies.set(SESSION_COOKIE, bMember.client.cookies.get(SESSION_COOKIE)!);
    for (const call of attempts(intruder))
      expect(await rejects(call)).toMatchObject({ code: "UNAUTHORIZED", appCode: "UNAUTHORIZED" });

    // On B's own host, A's ids do not exist (B has no messages of its own, so no id collides).
    const onB = attempts(bMember.client).slice(1, -2);
    for (const call of onB)
      expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
    // What B can list is B's own.
    const bChannels = await bMember.client.call((c) => c.chat.channels());
    expect(bChannels.channels.map((c) => c.id)).not.toContain(aGeneral);
    expect((await bMember.client.call((c) => c.chat.notifications())).items).toEqual([]);

    // The service, handed tenant A with B's user (or the reverse), finds no such user.
    for (const call of [
      () => services.chat.list(a.tenant, bMember.actor, { channelId: aGeneral }),
      () => services.chat.send(a.tenant, bMember.actor, { channelId: aGeneral, body: "x" }),
      () => services.chat.delete(a.tenant, b.actor, { messageId: m1.id }),
      () => services.chat.send(b.tenant, aMember.actor, { channelId: aGeneral, body: "x" }),
    ])
      await expect(call()).rejects.toMatchObject({ code: "UNAUTHORIZED" });

    expect(await snapshot()).toEqual(before);
    expect(await count(services, b.tenant.schemaName, "messages")).toBe(0);
    expect(await count(services, b.tenant.schemaName, "events")).toBe(0);
  });
});
