import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { testServices } from "../testing";
import { count, eventRows, generalId, person, rejects, upgrade, workspace } from "./test-kit";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

const NO_SUCH = "00000000-0000-4000-8000-000000000000";

describe("channels", () => {
  it("create, list, rename, topic, join, leave, members, archive and unarchive", async () => {
    const ws = await workspace(services, "chl");
    const ann = await person(services, ws, "member", "Ann");
    const bob = await person(services, ws, "member", "Bob");

    const created = await ann.client.call((c) =>
      c.chat.createChannel({ name: "  Design Team ", topic: "Pixels", description: "All things visual" }),
    );
    expect(created).toMatchObject({
      name: "Design Team",
      kind: "public",
      topic: "Pixels",
      description: "All things visual",
      isDefault: false,
      createdBy: ann.user.id,
      archivedAt: null,
      memberCount: 1,
      isMember: true,
      myRole: "owner",
      dmMembers: null,
    });

    // Bob sees it as a public channel he may join; #general is his already.
    const bobList = await bob.client.call((c) => c.chat.channels());
    expect(bobList.channels.map((c) => [c.name, c.isMember])).toEqual([
      ["Design Team", false],
      ["general", true],
    ]);

    // Names are unique case-insensitively.
    expect(
      await rejects(bob.client.call((c) => c.chat.createChannel({ name: "design team" }))),
    ).toMatchObject({
      code: "CONFLICT",
      appCode: "CONFLICT",
    });
    expect(await rejects(bob.client.call((c) => c.chat.createChannel({ name: "GENERAL" })))).toMatchObject({
      appCode: "CONFLICT",
    });
    for (const name of ["", "   ", "x".repeat(81), "two\nlines"])
      expect(await rejects(bob.client.call((c) => c.chat.createChannel({ name })))).toMatchObject({
        code: "BAD_REQUEST",
        appCode: "VALIDATION_FAILED",
      });
    expect((await bob.client.call((c) => c.chat.createChannel({ name: "é".repeat(80) }))).name).toHaveLength(
      80,
    );

    // Only the channel's owner (or an admin) renames; a plain member may not.
    expect(
      await rejects(
        bob.client.call((c) => c.chat.updateChannel({ channelId: created.id, name: "Mine now" })),
      ),
    ).toMatchObject({ code: "FORBIDDEN", appCode: "FORBIDDEN" });
    const renamed = await ann.client.call((c) =>
      c.chat.updateChannel({ channelId: created.id, name: "Design", topic: "" }),
    );
    expect(renamed).toMatchObject({ name: "Design", topic: null, description: "All things visual" });
    const byOwner = await ws.client.call((c) =>
      c.chat.updateChannel({ channelId: created.id, description: "Owner was here" }),
    );
    expect(byOwner).toMatchObject({ name: "Design", description: "Owner was here" });
    expect(
      await rejects(ann.client.call((c) => c.chat.updateChannel({ channelId: created.id, name: "General" }))),
    ).toMatchObject({ appCode: "CONFLICT" });

    // Join, members, leave.
    const joined = await bob.client.call((c) => c.chat.joinChannel({ channelId: created.id }));
    expect(joined).toMatchObject({ isMember: true, myRole: "member", memberCount: 2 });
    expect((await bob.client.call((c) => c.chat.joinChannel({ channelId: created.id }))).memberCount).toBe(2);
    const { members } = await bob.client.call((c) => c.chat.channelMembers({ channelId: created.id }));
    expect(members.map((m) => [m.name, m.channelRole, m.role])).toEqual([
      ["Ann", "owner", "member"],
      ["Bob", "member", "member"],
    ]);
    expect(await bob.client.call((c) => c.chat.leaveChannel({ channelId: created.id }))).toEqual({
      ok: true,
    });
    expect((await bob.client.call((c) => c.chat.channel({ channelId: created.id }))).isMember).toBe(false);

    // Archive: the creator or an admin, not another member. Archived channels are read-only.
    await bob.client.call((c) => c.chat.joinChannel({ channelId: created.id }));
    expect(
      await rejects(bob.client.call((c) => c.chat.archiveChannel({ channelId: created.id }))),
    ).toMatchObject({ appCode: "FORBIDDEN" });
    const archived = await ann.client.call((c) => c.chat.archiveChannel({ channelId: created.id }));
    expect(archived.archivedAt).toBeInstanceOf(Date);
    expect(
      await rejects(bob.client.call((c) => c.chat.send({ channelId: created.id, body: "hello?" }))),
    ).toMatchObject({ code: "FORBIDDEN", appCode: "FORBIDDEN" });
    expect(
      await rejects(ann.client.call((c) => c.chat.updateChannel({ channelId: created.id, topic: "x" }))),
    ).toMatchObject({ appCode: "FORBIDDEN" });
    expect((await bob.client.call((c) => c.chat.channels())).channels.map((c) => c.name)).not.toContain(
      "Design",
    );
    expect(
      (await bob.client.call((c) => c.chat.channels({ includeArchived: true }))).channels.map((c) => c.name),
    ).toContain("Design");
    // Still readable.
    expect((await bob.client.call((c) => c.chat.list({ channelId: created.id }))).messages).toEqual([]);
    // Unarchiving is for the same people: another member cannot bring it back.
    expect(
      await rejects(bob.client.call((c) => c.chat.unarchiveChannel({ channelId: created.id }))),
    ).toMatchObject({ appCode: "FORBIDDEN" });
    const back = await ws.client.call((c) => c.chat.unarchiveChannel({ channelId: created.id }));
    expect(back.archivedAt).toBeNull();
    await bob.client.call((c) => c.chat.send({ channelId: created.id, body: "back in business" }));

    // One event per durable change, in the order of the changes (failed calls wrote none):
    // created, renamed, described, joined, left, joined, archived, unarchived, then the message.
    const events = (await eventRows(services, ws)).filter((e) => e.channel_id === created.id);
    expect(events.map((e) => e.type)).toEqual([...Array(8).fill("channel.updated"), "message.created"]);
    expect(events[0]!.payload).toEqual({ type: "channel.updated", channelId: created.id });
  });

  it("member counts leave out removed people, as the member list does", async () => {
    const ws = await workspace(services, "cnt");
    const people = [];
    for (const name of ["Ann", "Bob", "Cy"]) people.push(await person(services, ws, "member", name));
    const general = await generalId(services, ws);
    const countOf = async () =>
      (await ws.client.call((c) => c.chat.channel({ channelId: general }))).memberCount;
    expect(await countOf()).toBe(4);
    // Bob and Cy are removed from the workspace (deactivated: their channel rows stay).
    for (const p of people.slice(1)) await ws.client.call((c) => c.members.remove({ userId: p.user.id }));
    const listed = await ws.client.call((c) => c.chat.channelMembers({ channelId: general }));
    expect(listed.members).toHaveLength(2);
    expect(await countOf()).toBe(2);
    const inList = (await ws.client.call((c) => c.chat.channels())).channels.find((c) => c.id === general);
    expect(inList?.memberCount).toBe(2);
  });

  it("guests see and post only where they are members; they cannot browse, join or create", async () => {
    const ws = await workspace(services, "gst");
    const guest = await person(services, ws, "guest");
    const open = await services.chat.createChannel(ws.tenant, ws.actor, { name: "open" });
    const general = await generalId(services, ws);

    const listed = await guest.client.call((c) => c.chat.channels());
    expect(listed.channels.map((c) => c.name)).toEqual(["general"]);
    for (const call of [
      () => guest.client.call((c) => c.chat.channel({ channelId: open.id })),
      () => guest.client.call((c) => c.chat.joinChannel({ channelId: open.id })),
      () => guest.client.call((c) => c.chat.list({ channelId: open.id })),
      () => guest.client.call((c) => c.chat.send({ channelId: open.id, body: "hi" })),
    ])
      expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
    expect(
      await rejects(guest.client.call((c) => c.chat.createChannel({ name: "guest room" }))),
    ).toMatchObject({
      appCode: "FORBIDDEN",
    });
    expect((await guest.client.call((c) => c.chat.send({ channelId: general, body: "hi all" }))).body).toBe(
      "hi all",
    );

    // A mention in a channel they cannot see does not reach them either.
    await services.chat.send(ws.tenant, ws.actor, {
      channelId: open.id,
      body: `@[Guest](${guest.user.id}) @channel`,
    });
    expect((await guest.client.call((c) => c.chat.notifications())).items).toEqual([]);
    expect((await guest.client.call((c) => c.chat.unreadCounts())).channels.map((c) => c.channelId)).toEqual([
      general,
    ]);

    // Once added, the channel is theirs to read and post in.
    await services.chat.addMembers(ws.tenant, ws.actor, { channelId: open.id, userIds: [guest.user.id] });
    expect((await guest.client.call((c) => c.chat.channel({ channelId: open.id }))).isMember).toBe(true);
    await guest.client.call((c) => c.chat.send({ channelId: open.id, body: "thanks" }));
    // But guests do not add others.
    const other = await person(services, ws, "member");
    expect(
      await rejects(
        guest.client.call((c) => c.chat.addMembers({ channelId: open.id, userIds: [other.user.id] })),
      ),
    ).toMatchObject({ appCode: "FORBIDDEN" });
  });

  it("unknown, malformed and foreign ids are NOT_FOUND", async () => {
    const ws = await workspace(services, "nf", "pro"); // many calls: Pro's rate limit
    for (const channelId of [NO_SUCH, "not-a-uuid", "", "'; drop table channels; --"])
      for (const call of [
        () => ws.client.call((c) => c.chat.channel({ channelId })),
        () => ws.client.call((c) => c.chat.list({ channelId })),
        () => ws.client.call((c) => c.chat.send({ channelId, body: "x" })),
        () => ws.client.call((c) => c.chat.joinChannel({ channelId })),
        () => ws.client.call((c) => c.chat.channelMembers({ channelId })),
        () => ws.client.call((c) => c.chat.markRead({ channelId, messageId: 1 })),
        () => ws.client.call((c) => c.chat.typing({ channelId })),
      ])
        expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
    for (const messageId of [0, -1, 1.5, 999_999_999, Number.MAX_SAFE_INTEGER + 2])
      for (const call of [
        () => ws.client.call((c) => c.chat.edit({ messageId, body: "x" })),
        () => ws.client.call((c) => c.chat.delete({ messageId })),
        () => ws.client.call((c) => c.chat.thread({ parentId: messageId })),
        () => ws.client.call((c) => c.chat.react({ messageId, emoji: "👍" })),
      ])
        expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
  });

  it("private channels: a Pro feature, invisible to non-members (NOT_FOUND, never FORBIDDEN)", async () => {
    const ws = await workspace(services, "prv");
    const member = await person(services, ws, "member", "Mia");
    const outsider = await person(services, ws, "member", "Otto");
    const admin = await person(services, ws, "admin", "Ada");

    expect(
      await rejects(member.client.call((c) => c.chat.createChannel({ name: "secret", kind: "private" }))),
    ).toMatchObject({
      code: "FORBIDDEN",
      appCode: "FEATURE_NOT_IN_PLAN",
      details: { feature: "privateChannels" },
    });
    expect(await count(services, ws.tenant.schemaName, "channels")).toBe(1);

    await upgrade(services, ws, "pro");
    const secret = await member.client.call((c) =>
      c.chat.createChannel({ name: "secret", kind: "private", memberIds: [ws.ownerId] }),
    );
    expect(secret).toMatchObject({ kind: "private", memberCount: 2, myRole: "owner" });
    const message = await member.client.call((c) => c.chat.send({ channelId: secret.id, body: "psst" }));

    // Otto and even the admin (not members) cannot tell it exists.
    for (const p of [outsider, admin]) {
      expect((await p.client.call((c) => c.chat.channels())).channels.map((c) => c.id)).not.toContain(
        secret.id,
      );
      for (const call of [
        () => p.client.call((c) => c.chat.channel({ channelId: secret.id })),
        () => p.client.call((c) => c.chat.channelMembers({ channelId: secret.id })),
        () => p.client.call((c) => c.chat.list({ channelId: secret.id })),
        () => p.client.call((c) => c.chat.list({ channelId: secret.id, around: message.id })),
        () => p.client.call((c) => c.chat.joinChannel({ channelId: secret.id })),
        () => p.client.call((c) => c.chat.send({ channelId: secret.id, body: "let me in" })),
        () => p.client.call((c) => c.chat.updateChannel({ channelId: secret.id, name: "not so secret" })),
        () => p.client.call((c) => c.chat.archiveChannel({ channelId: secret.id })),
        () => p.client.call((c) => c.chat.addMembers({ channelId: secret.id, userIds: [p.user.id] })),
        () => p.client.call((c) => c.chat.markRead({ channelId: secret.id, messageId: message.id })),
        () => p.client.call((c) => c.chat.typing({ channelId: secret.id })),
        () => p.client.call((c) => c.chat.thread({ parentId: message.id })),
        () => p.client.call((c) => c.chat.react({ messageId: message.id, emoji: "👀" })),
        () => p.client.call((c) => c.chat.edit({ messageId: message.id, body: "hacked" })),
        () => p.client.call((c) => c.chat.delete({ messageId: message.id })),
      ])
        expect(await rejects(call)).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
    }

    // Members add people; the added person sees it; the owner removes them again.
    expect(
      await member.client.call((c) =>
        c.chat.addMembers({ channelId: secret.id, userIds: [outsider.user.id] }),
      ),
    ).toEqual({ added: [outsider.user.id] });
    expect((await outsider.client.call((c) => c.chat.list({ channelId: secret.id }))).messages[0]?.body).toBe(
      "psst",
    );
    expect(
      await rejects(
        outsider.client.call((c) => c.chat.removeMember({ channelId: secret.id, userId: ws.ownerId })),
      ),
    ).toMatchObject({ appCode: "FORBIDDEN" });
    await member.client.call((c) => c.chat.removeMember({ channelId: secret.id, userId: outsider.user.id }));
    expect(
      await rejects(outsider.client.call((c) => c.chat.channel({ channelId: secret.id }))),
    ).toMatchObject({ appCode: "NOT_FOUND" });
    expect(
      await rejects(
        member.client.call((c) => c.chat.removeMember({ channelId: secret.id, userId: outsider.user.id })),
      ),
    ).toMatchObject({ appCode: "NOT_FOUND" });
    expect(
      await rejects(
        member.client.call((c) => c.chat.addMembers({ channelId: secret.id, userIds: [NO_SUCH] })),
      ),
    ).toMatchObject({ appCode: "NOT_FOUND" });

    // The last member cannot leave (nobody could ever see it again).
    await ws.client.call((c) => c.chat.leaveChannel({ channelId: secret.id }));
    expect(
      await rejects(member.client.call((c) => c.chat.leaveChannel({ channelId: secret.id }))),
    ).toMatchObject({ appCode: "FORBIDDEN" });
  });

  it("a private channel's name does not leak: only names the actor can see are taken (create and rename)", async () => {
    const ws = await workspace(services, "prn", "pro");
    const mia = await person(services, ws, "member", "Mia");
    const otto = await person(services, ws, "member", "Otto");
    const admin = await person(services, ws, "admin", "Ada");
    const secret = await mia.client.call((c) =>
      c.chat.createChannel({ name: "secret-project", kind: "private" }),
    );

    // Non-members (the admin included) create channels of that name, public or private, as if it
    // did not exist: no CONFLICT tells them it does.
    const ottos = await otto.client.call((c) =>
      c.chat.createChannel({ name: "Secret-Project", kind: "private" }),
    );
    expect(ottos).toMatchObject({ name: "Secret-Project", kind: "private", myRole: "owner" });
    const adas = await admin.client.call((c) => c.chat.createChannel({ name: "SECRET-PROJECT" }));
    expect(adas).toMatchObject({ name: "SECRET-PROJECT", kind: "public" });
    expect(await count(services, ws.tenant.schemaName, "channels", "lower(name) = 'secret-project'")).toBe(3);

    // Names the actor can see are taken: a private channel of theirs, any public channel.
    for (const kind of ["private", "public"] as const) {
      expect(
        await rejects(mia.client.call((c) => c.chat.createChannel({ name: "SECRET-project", kind }))),
      ).toMatchObject({ code: "CONFLICT", appCode: "CONFLICT" });
      expect(
        await rejects(otto.client.call((c) => c.chat.createChannel({ name: "secret-PROJECT", kind }))),
      ).toMatchObject({ appCode: "CONFLICT" });
    }
    // Two public channels never share a name, even for writers that skip the service's check.
    const sql = services.db.admin;
    await expect(
      sql`insert into ${sql(ws.tenant.schemaName)}.channels (name, kind) values ('Secret-project', 'public')`,
    ).rejects.toMatchObject({ code: "23505", constraint_name: "channels_public_name_key" });

    // Renames follow the same rule.
    const plans = await otto.client.call((c) => c.chat.createChannel({ name: "plans", kind: "private" }));
    const ideas = await otto.client.call((c) => c.chat.createChannel({ name: "ideas" }));
    expect(
      await rejects(
        otto.client.call((c) => c.chat.updateChannel({ channelId: plans.id, name: "secret-project" })),
      ),
    ).toMatchObject({ appCode: "CONFLICT" }); // his own private one
    expect(
      await rejects(
        otto.client.call((c) => c.chat.updateChannel({ channelId: ideas.id, name: "SECRET-PROJECT" })),
      ),
    ).toMatchObject({ appCode: "CONFLICT" }); // the public one
    await otto.client.call((c) => c.chat.updateChannel({ channelId: ottos.id, name: "roadmap" }));
    await admin.client.call((c) => c.chat.updateChannel({ channelId: adas.id, name: "elsewhere" }));
    // Mia's channel is invisible to Otto: his public and private channels may take its name.
    expect(
      await otto.client.call((c) => c.chat.updateChannel({ channelId: ideas.id, name: "secret-project" })),
    ).toMatchObject({ name: "secret-project", kind: "public" });
    await otto.client.call((c) => c.chat.updateChannel({ channelId: ideas.id, name: "ideas" }));
    expect(
      await otto.client.call((c) => c.chat.updateChannel({ channelId: plans.id, name: "SECRET-project" })),
    ).toMatchObject({ name: "SECRET-project", kind: "private" });
    // Mia cannot rename into a public name; changing the case of her own channel's name is fine.
    expect(
      await rejects(
        mia.client.call((c) => c.chat.updateChannel({ channelId: secret.id, name: "Elsewhere" })),
      ),
    ).toMatchObject({ appCode: "CONFLICT" });
    expect(
      await mia.client.call((c) => c.chat.updateChannel({ channelId: secret.id, name: "Secret-Project" })),
    ).toMatchObject({ name: "Secret-Project" });
  });

  it("the channel limit holds exactly: 50 concurrent creates with 1 slot left → 1 created, 49 LIMIT_EXCEEDED", async () => {
    const ws = await workspace(services, "lim");
    // Free: 5 channels. #general + 3 = 4.
    for (const name of ["one", "two", "three"])
      await services.chat.createChannel(ws.tenant, ws.actor, { name });
    // DMs do not count.
    const dmWith = await person(services, ws, "member");
    await services.chat.openDm(ws.tenant, ws.actor, { userIds: [dmWith.user.id] });

    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        services.chat.createChannel(ws.tenant, ws.actor, { name: `race ${i}` }),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(49);
    for (const f of failed)
      expect(f.reason).toMatchObject({ code: "LIMIT_EXCEEDED", details: { resource: "channels", limit: 5 } });
    expect(await count(services, ws.tenant.schemaName, "channels", "kind <> 'dm'")).toBe(5);

    // Through the API: refused with the stable code; DMs are still fine.
    const err = await rejects(ws.client.call((c) => c.chat.createChannel({ name: "one more" })));
    expect(err).toMatchObject({ code: "FORBIDDEN", appCode: "LIMIT_EXCEEDED" });
    const another = await person(services, ws, "member");
    const dm = await ws.client.call((c) => c.chat.openDm({ userIds: [another.user.id] }));
    expect(dm.kind).toBe("dm");
  });
});
