import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { testServices } from "../testing";
import { person, rejects, type Workspace, workspace } from "./test-kit";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

const _NO_SUCH = "00000000-0000-4000-8000-000000000000";

describe("direct messages", () => {
  it("find-or-create by the set of people; groups of up to 8; others cannot see them", async () => {
    const ws: Workspace = await workspace(services, "dm", "pro"); // 11 people: more than Free's 10
    const ann = await person(services, ws, "member", "Ann");
    const bob = await person(services, ws, "member", "Bob");
    const eve = await person(services, ws, "member", "Eve");

    const first = await ann.client.call((c) => c.chat.openDm({ userIds: [bob.user.id] }));
    expect(first).toMatchObject({ kind: "dm", name: "Bob", memberCount: 2, isMember: true });
    expect(first.dmMembers?.map((m) => m.name)).toEqual(["Ann", "Bob"]);
    // Bob gets the same DM, named after Ann; listing oneself changes nothing.
    const same = await bob.client.call((c) => c.chat.openDm({ userIds: [ann.user.id, bob.user.id] }));
    expect(same.id).toBe(first.id);
    expect(same.name).toBe("Ann");
    // Concurrent opens of one set of people give one DM.
    const group = await Promise.all([
      ann.client.call((c) => c.chat.openDm({ userIds: [bob.user.id, ws.ownerId] })),
      bob.client.call((c) => c.chat.openDm({ userIds: [ws.ownerId, ann.user.id] })),
      ws.client.call((c) => c.chat.openDm({ userIds: [ann.user.id, bob.user.id] })),
    ]);
    expect(new Set(group.map((g) => g.id)).size).toBe(1);
    expect(group[0]!.id).not.toBe(first.id);
    expect(group[0]!.memberCount).toBe(3);

    await ann.client.call((c) => c.chat.send({ channelId: first.id, body: "just us" }));
    expect(
      (await ann.client.call((c) => c.chat.channels())).channels.filter((c) => c.kind === "dm"),
    ).toHaveLength(2);

    // Eve is in neither.
    expect((await eve.client.call((c) => c.chat.channels())).channels.map((c) => c.id)).not.toContain(
      first.id,
    );
    for (const call of [
      () => eve.client.call((c) => c.chat.channel({ channelId: first.id })),
      () => eve.client.call((c) => c.chat.list({ channelId: first.id })),
      () => eve.client.call((c) => c.chat.joinChannel({ channelId: first.id })),
      () => eve.client.call((c) => c.chat.send({ channelId: first.id, body: "hey" })),
    ])
      expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });

    // Fixed people: no leaving, adding, renaming, archiving.
    for (const call of [
      () => ann.client.call((c) => c.chat.leaveChannel({ channelId: first.id })),
      () => ann.client.call((c) => c.chat.addMembers({ channelId: first.id, userIds: [eve.user.id] })),
      () => ann.client.call((c) => c.chat.updateChannel({ channelId: first.id, name: "us" })),
      () => ws.client.call((c) => c.chat.archiveChannel({ channelId: group[0]!.id })),
    ])
      expect(await rejects(call)).toMatchObject({ appCode: "FORBIDDEN" });

    // 2..8 people, me included; only active members of this workspace.
    expect(await rejects(ann.client.call((c) => c.chat.openDm({ userIds: [ann.user.id] })))).toMatchObject({
      appCode: "VALIDATION_FAILED",
    });
    const many = await Promise.all(Array.from({ length: 7 }, () => person(services, ws, "member")));
    const eight = await ann.client.call((c) => c.chat.openDm({ userIds: many.map((p) => p.user.id) }));
    expect(eight.memberCount).toBe(8);
    expect(
      await rejects(
        ann.client.call((c) => c.chat.openDm({ userIds: [...many.map((p) => p.user.id), eve.user.id] })),
      ),
    ).toMatchObject({ appCode: "VALIDATION_FAILED" });
    expect(
      await rejects(
        ann.client.call((c) => c.chat.openDm({ userIds: ["00000000-0000-4000-8000-000000000000"] })),
      ),
    ).toMatchObject({ appCode: "NOT_FOUND" });

    // DMs are not channels for the plan's limit.
    const [limits] = await services.db.admin<{ used: string }[]>`
      select used from public.check_tenant_limits(${ws.tenant.id}) where resource = 'channels'`;
    expect(Number(limits?.used)).toBe(1);
  });
});
