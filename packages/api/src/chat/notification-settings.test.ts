import { withTenant } from "@nchat/db";
import { shouldNotify } from "@nchat/protocol/notifications";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { testServices } from "../testing";
import type { MessagePayload } from "./events";
import { mentionToken } from "./mentions";
import { count, eventRows, generalId, type Person, person, rejects, workspace } from "./test-kit";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

describe("notification settings", () => {
  it("are stored per user per channel: a level (null = default) and mute, changed independently", async () => {
    const ws = await workspace(services, "nset");
    const ann = await person(services, ws, "member", "Ann");
    const general = await generalId(services, ws);

    const initial = await ann.client.call((c) => c.chat.notificationSettings());
    expect(initial.channels).toEqual([{ channelId: general, level: null, muted: false }]);

    expect(
      await ann.client.call((c) => c.chat.setNotificationSettings({ channelId: general, level: "all" })),
    ).toEqual({ channelId: general, level: "all", muted: false });
    expect(
      await ann.client.call((c) => c.chat.setNotificationSettings({ channelId: general, muted: true })),
    ).toEqual({ channelId: general, level: "all", muted: true });
    expect(
      await ann.client.call((c) => c.chat.setNotificationSettings({ channelId: general, level: null })),
    ).toEqual({ channelId: general, level: null, muted: true });

    // Ann's choice is hers: the owner's membership of #general is untouched.
    expect((await ws.client.call((c) => c.chat.notificationSettings())).channels).toEqual([
      { channelId: general, level: null, muted: false },
    ]);
    expect(
      await count(services, ws.tenant.schemaName, "channel_members", `muted and user_id = '${ann.user.id}'`),
    ).toBe(1);
    // Nothing anyone else sees changed: no event.
    expect((await eventRows(services, ws)).filter((e) => e.channel_id === general)).toEqual([]);
  });

  it("refuses bad input with VALIDATION_FAILED, other people's channels with NOT_FOUND or FORBIDDEN", async () => {
    const ws = await workspace(services, "nsetacl", "pro");
    const ann = await person(services, ws, "member", "Ann");
    const open = await services.chat.createChannel(ws.tenant, ws.actor, { name: "open" });
    const secret = await services.chat.createChannel(ws.tenant, ws.actor, {
      name: "secret",
      kind: "private",
    });

    for (const input of [
      { channelId: open.id },
      { channelId: open.id, level: "loud" },
      { channelId: open.id, muted: "yes" },
    ])
      expect(
        await rejects(ann.client.call((c) => c.chat.setNotificationSettings(input as never))),
      ).toMatchObject({ code: "BAD_REQUEST", appCode: "VALIDATION_FAILED" });
    // A public channel she is not in: she sees it, but has no membership to set.
    expect(
      await rejects(
        ann.client.call((c) => c.chat.setNotificationSettings({ channelId: open.id, muted: true })),
      ),
    ).toMatchObject({ appCode: "FORBIDDEN" });
    for (const channelId of [secret.id, "00000000-0000-4000-8000-000000000000", "nope"])
      expect(
        await rejects(ann.client.call((c) => c.chat.setNotificationSettings({ channelId, muted: true }))),
      ).toMatchObject({ code: "NOT_FOUND", appCode: "NOT_FOUND" });
  });

  it("another tenant cannot read or change them; its role cannot touch the table", async () => {
    const a = await workspace(services, "nseta");
    const b = await workspace(services, "nsetb");
    const aGeneral = await generalId(services, a);
    await services.chat.setNotificationSettings(a.tenant, a.actor, { channelId: aGeneral, level: "nothing" });

    expect(
      await rejects(
        b.client.call((c) => c.chat.setNotificationSettings({ channelId: aGeneral, muted: true })),
      ),
    ).toMatchObject({ code: "NOT_FOUND" });
    const bSees = await b.client.call((c) => c.chat.notificationSettings());
    expect(bSees.channels.map((ch) => ch.channelId)).not.toContain(aGeneral);
    await expect(
      services.chat.setNotificationSettings(b.tenant, a.actor, { channelId: aGeneral, muted: true }),
    ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const denied = await withTenant(services.db, b.tenant, ({ db }) =>
      db.execute(sql.raw(`update "${a.tenant.schemaName}".channel_members set muted = true`)),
    ).then(
      () => null,
      (err: Error) => err,
    );
    expect(String(denied?.cause ?? denied)).toMatch(/permission denied/);
    expect((await services.chat.notificationSettings(a.tenant, a.actor)).channels).toEqual([
      { channelId: aGeneral, level: "nothing", muted: false },
    ]);
  });

  it("decide what notifies: muted never, 'mentions' only on a mention of me, DMs by default, never my own", async () => {
    const ws = await workspace(services, "nsetfx", "pro");
    const ann = await person(services, ws, "member", "Ann");
    const bob = await person(services, ws, "member", "Bob");
    const general = await generalId(services, ws);
    const loud = await services.chat.createChannel(ws.tenant, ws.actor, {
      name: "loud",
      memberIds: [ann.user.id],
    });
    const quiet = await services.chat.createChannel(ws.tenant, ws.actor, {
      name: "quiet",
      memberIds: [ann.user.id],
    });
    const dm = await services.chat.openDm(ws.tenant, bob.actor, { userIds: [ann.user.id] });

    await ann.client.call((c) => c.chat.setNotificationSettings({ channelId: loud.id, level: "all" }));
    await ann.client.call((c) =>
      c.chat.setNotificationSettings({ channelId: quiet.id, level: "all", muted: true }),
    );
    await ann.client.call((c) => c.chat.setNotificationSettings({ channelId: general, level: "mentions" }));

    const send = (who: Person | null, channelId: string, body: string) =>
      services.chat.send(ws.tenant, who ? who.actor : ws.actor, { channelId, body });
    await send(null, loud.id, "loud: everything notifies");
    await send(null, quiet.id, `quiet: muted, even ${mentionToken(ann.user)}`);
    await send(bob, general, "general: no mention");
    await send(bob, general, `general: ${mentionToken(ann.user)} please look`);
    await send(bob, general, `general: ${mentionToken({ id: ws.ownerId, name: "Owner" })} only`);
    await send(bob, general, "general: @here standup");
    await send(bob, dm.id, "dm: hi Ann");
    await send(ann, dm.id, "dm: my own reply");

    // What Ann's client decides with her stored settings, for each message the stream carries.
    const { channels } = await services.chat.listChannels(ws.tenant, ann.actor);
    const settings = await ann.client.call((c) => c.chat.notificationSettings());
    const byId = new Map(settings.channels.map((s) => [s.channelId, s]));
    const created = (await eventRows(services, ws))
      .filter((e) => e.type === "message.created")
      .map((e) => (e.payload as { message: MessagePayload }).message);
    const notified = created
      .filter((m) => {
        const ch = channels.find((c) => c.id === m.channelId && c.isMember);
        const s = byId.get(m.channelId);
        return shouldNotify({
          message: { channelId: m.channelId, authorId: m.author?.id ?? null, body: m.body },
          me: { id: ann.user.id },
          channel: ch && s ? { kind: ch.kind, settings: s } : null,
          focusedChannelId: null,
        });
      })
      .map(
        (m) =>
          m.body.split(":")[0] +
          (m.body.includes("@here") ? " @here" : m.body.includes(ann.user.id) ? " @ann" : ""),
      );
    expect(notified).toEqual(["loud", "general @ann", "general @here", "dm"]);
  });
});
