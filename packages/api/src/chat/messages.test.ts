// Over 400 lines on purpose: one describe block, messages — send, page, thread, react, attach, validate, count — each test a whole story.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { testServices } from "../testing";
import { count, eventRows, generalId, person, rejects, upgrade, workspace } from "./test-kit";
import type { MessageView } from "./views";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

const bodies = (ms: MessageView[]) => ms.map((m) => m.body);

describe("messages", () => {
  it("send, edit own, delete own or as admin; bodies are plain text", async () => {
    const ws = await workspace(services, "msg");
    const ann = await person(services, ws, "member", "Ann");
    const bob = await person(services, ws, "member", "Bob");
    const general = await generalId(services, ws);
    const schema = ws.tenant.schemaName;

    const sent = await ann.client.call((c) =>
      c.chat.send({ channelId: general, body: "  Hello **team**\r\n " }),
    );
    expect(sent).toMatchObject({
      channelId: general,
      parentId: null,
      author: { id: ann.user.id, name: "Ann" },
      body: "Hello **team**",
      replyCount: 0,
      editedAt: null,
      deletedAt: null,
      reactions: [],
      attachments: [],
    });
    expect(sent.createdAt).toBeInstanceOf(Date);
    // Stored as written: no HTML is produced or stripped (clients render markdown safely).
    const html = await ann.client.call((c) =>
      c.chat.send({ channelId: general, body: "<img src=x onerror=alert(1)>" }),
    );
    expect(html.body).toBe("<img src=x onerror=alert(1)>");

    // Validation: nothing is stored.
    const before = await count(services, schema, "messages");
    for (const body of ["", "   \n\t ", "x".repeat(4001), "nul\u0000byte"]) {
      const err = await rejects(ann.client.call((c) => c.chat.send({ channelId: general, body })));
      expect(err).toMatchObject({ code: "BAD_REQUEST", appCode: "VALIDATION_FAILED" });
    }
    expect(await count(services, schema, "messages")).toBe(before);
    const longest = await ann.client.call((c) =>
      c.chat.send({ channelId: general, body: `${"😀".repeat(4000)}` }),
    );
    expect([...longest.body]).toHaveLength(4000);

    // Posting needs membership (public channels: join first).
    const side = await services.chat.createChannel(ws.tenant, ws.actor, { name: "side" });
    expect(
      await rejects(bob.client.call((c) => c.chat.send({ channelId: side.id, body: "hi" }))),
    ).toMatchObject({
      code: "FORBIDDEN",
      appCode: "FORBIDDEN",
    });

    // Edit: own messages only.
    expect(
      await rejects(bob.client.call((c) => c.chat.edit({ messageId: sent.id, body: "Bob was here" }))),
    ).toMatchObject({ appCode: "FORBIDDEN" });
    expect(
      await rejects(ann.client.call((c) => c.chat.edit({ messageId: sent.id, body: "  " }))),
    ).toMatchObject({
      appCode: "VALIDATION_FAILED",
    });
    const edited = await ann.client.call((c) =>
      c.chat.edit({ messageId: sent.id, body: "Hello *everyone*" }),
    );
    expect(edited).toMatchObject({ id: sent.id, body: "Hello *everyone*", author: { id: ann.user.id } });
    expect(edited.editedAt).toBeInstanceOf(Date);

    // Delete: own, or an admin; soft, and the content is gone.
    expect(await rejects(bob.client.call((c) => c.chat.delete({ messageId: sent.id })))).toMatchObject({
      appCode: "FORBIDDEN",
    });
    expect(await ann.client.call((c) => c.chat.delete({ messageId: sent.id }))).toEqual({ ok: true });
    const sql = services.db.admin;
    const [row] = await sql<{ body: string; deleted: boolean }[]>`
      select body, deleted_at is not null as deleted from ${sql(schema)}.messages where id = ${sent.id}`;
    expect(row).toEqual({ body: "", deleted: true });
    expect(await rejects(ann.client.call((c) => c.chat.delete({ messageId: sent.id })))).toMatchObject({
      appCode: "NOT_FOUND",
    });
    expect(
      await rejects(ann.client.call((c) => c.chat.edit({ messageId: sent.id, body: "resurrect" }))),
    ).toMatchObject({ appCode: "NOT_FOUND" });
    const listed = await bob.client.call((c) => c.chat.list({ channelId: general }));
    expect(listed.messages.map((m) => m.id)).not.toContain(sent.id);

    const bobs = await bob.client.call((c) => c.chat.send({ channelId: general, body: "spam" }));
    await ws.client.call((c) => c.chat.delete({ messageId: bobs.id }));

    const types = (await eventRows(services, ws)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith("message."))).toEqual([
      "message.created",
      "message.created",
      "message.created",
      "message.updated",
      "message.deleted",
      "message.created",
      "message.deleted",
    ]);
  });

  it("pages both ways and around a message, ascending, with hasOlder / hasNewer", async () => {
    const ws = await workspace(services, "pag", "pro");
    const general = await generalId(services, ws);
    const sent: MessageView[] = [];
    for (let i = 1; i <= 25; i++)
      sent.push(await services.chat.send(ws.tenant, ws.actor, { channelId: general, body: `m${i}` }));
    const id = (n: number) => sent[n - 1]!.id;
    const names = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

    const newest = await ws.client.call((c) => c.chat.list({ channelId: general, limit: 10 }));
    expect(bodies(newest.messages)).toEqual(names(16, 25));
    expect(newest).toMatchObject({ hasOlder: true, hasNewer: false });

    const older = await ws.client.call((c) => c.chat.list({ channelId: general, before: id(16), limit: 10 }));
    expect(bodies(older.messages)).toEqual(names(6, 15));
    expect(older).toMatchObject({ hasOlder: true, hasNewer: true });
    const oldest = await ws.client.call((c) => c.chat.list({ channelId: general, before: id(6), limit: 10 }));
    expect(bodies(oldest.messages)).toEqual(names(1, 5));
    expect(oldest).toMatchObject({ hasOlder: false, hasNewer: true });

    const newer = await ws.client.call((c) => c.chat.list({ channelId: general, after: id(5), limit: 10 }));
    expect(bodies(newer.messages)).toEqual(names(6, 15));
    expect(newer).toMatchObject({ hasOlder: true, hasNewer: true });
    const last = await ws.client.call((c) => c.chat.list({ channelId: general, after: id(20), limit: 10 }));
    expect(bodies(last.messages)).toEqual(names(21, 25));
    expect(last).toMatchObject({ hasOlder: true, hasNewer: false });
    const none = await ws.client.call((c) => c.chat.list({ channelId: general, after: id(25) }));
    expect(none).toEqual({ messages: [], hasOlder: true, hasNewer: false });

    const around = await ws.client.call((c) => c.chat.list({ channelId: general, around: id(12), limit: 5 }));
    expect(bodies(around.messages)).toEqual(names(10, 14));
    expect(around).toMatchObject({ hasOlder: true, hasNewer: true });
    const atStart = await ws.client.call((c) => c.chat.list({ channelId: general, around: id(1), limit: 4 }));
    expect(bodies(atStart.messages)).toEqual(names(1, 3));
    expect(atStart).toMatchObject({ hasOlder: false, hasNewer: true });
    const atEnd = await ws.client.call((c) => c.chat.list({ channelId: general, around: id(25), limit: 4 }));
    expect(bodies(atEnd.messages)).toEqual(names(24, 25));
    expect(atEnd).toMatchObject({ hasOlder: true, hasNewer: false });

    // A reply is found through its parent.
    const reply = await services.chat.send(ws.tenant, ws.actor, {
      channelId: general,
      body: "re",
      parentId: id(3),
    });
    const toReply = await ws.client.call((c) =>
      c.chat.list({ channelId: general, around: reply.id, limit: 3 }),
    );
    expect(bodies(toReply.messages)).toEqual(names(2, 4));

    // Walking the whole channel either way sees every message once, replies not among them.
    const seen: string[] = [];
    let page = await ws.client.call((c) => c.chat.list({ channelId: general, limit: 7 }));
    seen.unshift(...bodies(page.messages));
    while (page.hasOlder) {
      const first = page.messages[0]!.id;
      page = await ws.client.call((c) => c.chat.list({ channelId: general, before: first, limit: 7 }));
      seen.unshift(...bodies(page.messages));
    }
    expect(seen).toEqual(names(1, 25));

    const other = await services.chat.createChannel(ws.tenant, ws.actor, { name: "other" });
    expect(
      await rejects(ws.client.call((c) => c.chat.list({ channelId: other.id, around: id(3) }))),
    ).toMatchObject({ appCode: "NOT_FOUND" });
    expect(
      await rejects(ws.client.call((c) => c.chat.list({ channelId: general, before: id(3), after: id(1) }))),
    ).toMatchObject({ appCode: "VALIDATION_FAILED" });
  });

  it("threads: a Pro feature; replies do not nest; reply counts move in the same transaction", async () => {
    const ws = await workspace(services, "thr");
    const ann = await person(services, ws, "member", "Ann");
    const general = await generalId(services, ws);
    const parent = await ann.client.call((c) => c.chat.send({ channelId: general, body: "Lunch?" }));

    const gated = await rejects(
      ann.client.call((c) => c.chat.send({ channelId: general, body: "yes", parentId: parent.id })),
    );
    expect(gated).toMatchObject({
      code: "FORBIDDEN",
      appCode: "FEATURE_NOT_IN_PLAN",
      details: { feature: "threads" },
    });
    expect(await count(services, ws.tenant.schemaName, "messages")).toBe(1);

    const pro = await upgrade(services, ws, "pro");
    // Concurrent replies all count.
    const polls = await services.chat.createChannel(pro, ws.actor, { name: "polls" });
    const poll = await services.chat.send(pro, ws.actor, {
      channelId: polls.id,
      body: "Poll: tabs or spaces?",
    });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        services.chat.send(pro, ws.actor, { channelId: polls.id, body: `vote ${i}`, parentId: poll.id }),
      ),
    );
    const pollThread = await services.chat.thread(pro, ws.actor, { parentId: poll.id });
    expect(pollThread.parent.replyCount).toBe(8);
    expect(pollThread.messages).toHaveLength(8);

    const r1 = await ws.client.call((c) =>
      c.chat.send({ channelId: general, body: "yes", parentId: parent.id }),
    );
    const r2 = await ann.client.call((c) =>
      c.chat.send({ channelId: general, body: "12:30", parentId: parent.id }),
    );
    expect(r2).toMatchObject({ parentId: parent.id, channelId: general });
    expect(
      await rejects(
        ann.client.call((c) => c.chat.send({ channelId: general, body: "nested", parentId: r1.id })),
      ),
    ).toMatchObject({ appCode: "VALIDATION_FAILED" });
    const elsewhere = await services.chat.createChannel(ws.tenant, ws.actor, { name: "elsewhere" });
    expect(
      await rejects(
        ws.client.call((c) => c.chat.send({ channelId: elsewhere.id, body: "cross", parentId: parent.id })),
      ),
    ).toMatchObject({ appCode: "NOT_FOUND" });

    const thread = await ann.client.call((c) => c.chat.thread({ parentId: parent.id }));
    expect(thread.parent).toMatchObject({ id: parent.id, replyCount: 2 });
    expect(thread.parent.lastReplyAt?.getTime()).toBe(r2.createdAt.getTime());
    expect(bodies(thread.messages)).toEqual(["yes", "12:30"]);
    expect(thread).toMatchObject({ hasOlder: false, hasNewer: false });
    const firstOnly = await ann.client.call((c) => c.chat.thread({ parentId: parent.id, before: r2.id }));
    expect(firstOnly).toMatchObject({ hasOlder: false, hasNewer: true });
    expect(bodies(firstOnly.messages)).toEqual(["yes"]);
    // The channel shows the parent (with its count), not the replies.
    const listed = await ann.client.call((c) => c.chat.list({ channelId: general }));
    expect(listed.messages.map((m) => [m.body, m.replyCount])).toEqual([["Lunch?", 2]]);
    expect(await rejects(ann.client.call((c) => c.chat.thread({ parentId: r1.id })))).toMatchObject({
      appCode: "NOT_FOUND",
    });

    // Deleting a reply updates the thread; a deleted parent with replies stays as a tombstone.
    await ann.client.call((c) => c.chat.delete({ messageId: r2.id }));
    const after = await ann.client.call((c) => c.chat.thread({ parentId: parent.id }));
    expect(after.parent.replyCount).toBe(1);
    expect(after.parent.lastReplyAt?.getTime()).toBe(r1.createdAt.getTime());
    expect(bodies(after.messages)).toEqual(["yes"]);
    await ann.client.call((c) => c.chat.delete({ messageId: parent.id }));
    const tomb = await ann.client.call((c) => c.chat.list({ channelId: general }));
    expect(tomb.messages.map((m) => [m.id, m.body, m.replyCount, m.deletedAt !== null])).toEqual([
      [parent.id, "", 1, true],
    ]);
    expect(
      await rejects(
        ann.client.call((c) => c.chat.send({ channelId: general, body: "late", parentId: parent.id })),
      ),
    ).toMatchObject({ appCode: "NOT_FOUND" });

    const events = (await eventRows(services, ws)).filter((e) => e.type === "thread.updated");
    const lunch = events.filter((e) => (e.payload as { parentId: number }).parentId === parent.id);
    expect(lunch.map((e) => (e.payload as { replyCount: number }).replyCount)).toEqual([1, 2, 1]);
    expect(events).toHaveLength(8 + 3);
  });

  it("reactions toggle, group by emoji with counts and whether I reacted", async () => {
    const ws = await workspace(services, "rct");
    const ann = await person(services, ws, "member", "Ann");
    const bob = await person(services, ws, "member", "Bob");
    const general = await generalId(services, ws);
    const msg = await ann.client.call((c) => c.chat.send({ channelId: general, body: "Ship it?" }));

    expect(await ann.client.call((c) => c.chat.react({ messageId: msg.id, emoji: "👍" }))).toEqual({
      reacted: true,
      reactions: [{ emoji: "👍", count: 1, userIds: [ann.user.id], me: true }],
    });
    await bob.client.call((c) => c.chat.react({ messageId: msg.id, emoji: "👍" }));
    const mine = await bob.client.call((c) => c.chat.react({ messageId: msg.id, emoji: ":rocket:" }));
    expect(mine.reactions).toEqual([
      { emoji: "👍", count: 2, userIds: [ann.user.id, bob.user.id], me: true },
      { emoji: ":rocket:", count: 1, userIds: [bob.user.id], me: true },
    ]);
    // Ann's view of the same message.
    const [seen] = (await ann.client.call((c) => c.chat.list({ channelId: general }))).messages;
    expect(seen?.reactions.map((r) => [r.emoji, r.count, r.me])).toEqual([
      ["👍", 2, true],
      [":rocket:", 1, false],
    ]);
    // Toggle off.
    const off = await ann.client.call((c) => c.chat.react({ messageId: msg.id, emoji: "👍" }));
    expect(off.reacted).toBe(false);
    expect(off.reactions.map((r) => [r.emoji, r.count, r.me])).toEqual([
      ["👍", 1, false],
      [":rocket:", 1, false],
    ]);
    const family = "👨‍👩‍👧‍👦";
    expect((await ann.client.call((c) => c.chat.react({ messageId: msg.id, emoji: family }))).reacted).toBe(
      true,
    );

    // Bad emoji: nothing stored.
    const before = await count(services, ws.tenant.schemaName, "reactions");
    for (const emoji of ["", "thumbs up", " 👍", "x".repeat(33), "a\u0007"])
      expect(await rejects(ann.client.call((c) => c.chat.react({ messageId: msg.id, emoji })))).toMatchObject(
        {
          code: "BAD_REQUEST",
          appCode: "VALIDATION_FAILED",
        },
      );
    expect(await count(services, ws.tenant.schemaName, "reactions")).toBe(before);

    // Members only, like posting.
    const side = await services.chat.createChannel(ws.tenant, ws.actor, { name: "side" });
    const sideMsg = await services.chat.send(ws.tenant, ws.actor, {
      channelId: side.id,
      body: "only owner here",
    });
    expect(
      await rejects(bob.client.call((c) => c.chat.react({ messageId: sideMsg.id, emoji: "👍" }))),
    ).toMatchObject({ appCode: "FORBIDDEN" });

    const changes = (await eventRows(services, ws)).filter((e) => e.type === "reactions.changed");
    expect(changes).toHaveLength(5);
    expect(changes.at(-1)!.payload).toMatchObject({
      messageId: msg.id,
      reactions: [{ emoji: "👍" }, {}, {}],
    });

    // Deleted messages lose their reactions and cannot get new ones.
    await ann.client.call((c) => c.chat.delete({ messageId: msg.id }));
    expect(await count(services, ws.tenant.schemaName, "reactions", `message_id = ${msg.id}`)).toBe(0);
    expect(
      await rejects(bob.client.call((c) => c.chat.react({ messageId: msg.id, emoji: "👍" }))),
    ).toMatchObject({ appCode: "NOT_FOUND" });
  });

  it("attaches the sender's own uploads of the channel to a new message", async () => {
    const ws = await workspace(services, "att");
    const ann = await person(services, ws, "member", "Ann");
    const bob = await person(services, ws, "member", "Bob");
    const general = await generalId(services, ws);
    const schema = ws.tenant.schemaName;
    const sql = services.db.admin;
    // An unattached upload, as AttachmentService.upload leaves it (the file body is not needed here).
    const upload = async (uploaderId: string, channelId: string, fileName: string) => {
      const [row] = await sql<{ id: string }[]>`
        insert into ${sql(schema)}.attachments
          (channel_id, uploader_id, file_name, content_type, size_bytes, storage_key, key_version)
        values (${channelId}, ${uploaderId}, ${fileName}, 'text/plain', 5, ${`test/${crypto.randomUUID()}`}, 1)
        returning id`;
      return row!.id;
    };
    const notes = await upload(ann.user.id, general, "notes.txt");
    const plan = await upload(ann.user.id, general, "plan.txt");

    // Someone else's upload, or one of another channel: refused, nothing stored or linked.
    const side = await services.chat.createChannel(ws.tenant, ws.actor, { name: "side" });
    await services.chat.addMembers(ws.tenant, ws.actor, { channelId: side.id, userIds: [ann.user.id] });
    const before = await count(services, schema, "messages");
    for (const [who, channelId, ids] of [
      [bob, general, [notes]],
      [ann, side.id, [notes]],
      [ann, general, [notes, "not-a-uuid"]],
    ] as const)
      expect(
        await rejects(
          who.client.call((c) => c.chat.send({ channelId, body: "files", attachmentIds: [...ids] })),
        ),
      ).toMatchObject({ appCode: "VALIDATION_FAILED" });
    expect(await count(services, schema, "messages")).toBe(before);
    expect(await count(services, schema, "attachments", "message_id is not null")).toBe(0);

    const sent = await ann.client.call((c) =>
      c.chat.send({ channelId: general, body: "see attached", attachmentIds: [plan, notes] }),
    );
    expect(sent.attachments).toEqual([
      { id: plan, fileName: "plan.txt", contentType: "text/plain", sizeBytes: 5 },
      { id: notes, fileName: "notes.txt", contentType: "text/plain", sizeBytes: 5 },
    ]);
    const [listed] = (await bob.client.call((c) => c.chat.list({ channelId: general }))).messages;
    expect(listed?.attachments.map((a) => a.fileName).sort()).toEqual(["notes.txt", "plan.txt"]);
    // Attached once only.
    expect(
      await rejects(
        ann.client.call((c) => c.chat.send({ channelId: general, body: "again", attachmentIds: [plan] })),
      ),
    ).toMatchObject({ appCode: "VALIDATION_FAILED" });
    // A deleted message shows no files.
    await ann.client.call((c) => c.chat.delete({ messageId: sent.id }));
    const gone = await services.chat.thread(ws.tenant, ws.actor, { parentId: sent.id });
    expect(gone.parent).toMatchObject({ body: "", attachments: [] });
  });

  it("invalid input is refused by the procedure, as clients see it: VALIDATION_FAILED, message, fields", async () => {
    const ws = await workspace(services, "msgval");
    const general = await generalId(services, ws);
    const before = await count(services, ws.tenant.schemaName, "messages");
    type ErrorBody = { error: { json: { message: string; data: Record<string, unknown> } } };

    const tooLong = `Messages can be at most 4000 characters.`;
    const res = await ws.client.http("chat.send", { body: { channelId: general, body: "x".repeat(4001) } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.json).toMatchObject({
      message: tooLong,
      data: { appCode: "VALIDATION_FAILED", fields: [{ path: "body", message: tooLong }] },
    });

    // A page bound that is not a message id names its field.
    const input = encodeURIComponent(JSON.stringify({ json: { channelId: general, before: 1.5 } }));
    const page = await ws.client.http(`chat.list?input=${input}`);
    expect(page.status).toBe(400);
    expect(((await page.json()) as ErrorBody).error.json.data).toMatchObject({
      appCode: "VALIDATION_FAILED",
      fields: [{ path: "before", message: "before must be a message id." }],
    });

    // A malformed id is no validation error: it is no channel of ours.
    const unknown = await ws.client.http("chat.send", { body: { channelId: "not-a-uuid", body: "hi" } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorBody).error.json.data).toMatchObject({ appCode: "NOT_FOUND" });
    expect(await count(services, ws.tenant.schemaName, "messages")).toBe(before);
  });

  it("counts messages sent in the tenant's usage", async () => {
    const ws = await workspace(services, "use");
    const general = await generalId(services, ws);
    await services.usage.flush();
    for (const body of ["one", "two", "three"])
      await ws.client.call((c) => c.chat.send({ channelId: general, body }));
    await rejects(ws.client.call((c) => c.chat.send({ channelId: general, body: "" })));
    await services.usage.flush();
    const [row] = await services.db.admin<{ messages_sent: string }[]>`
      select messages_sent from public.tenant_usage where tenant_id = ${ws.tenant.id}`;
    expect(Number(row?.messages_sent)).toBe(3);
  });
});
