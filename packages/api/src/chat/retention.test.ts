import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStorageKey } from "../attachments/blob-store";
import { JOBS } from "../jobs/catalog";
import type { Services } from "../server";
import { testServices } from "../testing";
import { runMessageRetention } from "./retention";
import { count, generalId, workspace } from "./test-kit";

/** The security settings' "Delete messages after (days)": old messages go, with their files. */
let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

describe("message retention", () => {
  it("removes messages older than the workspace's period, with reactions and files; threads with newer replies keep their place", async () => {
    const ws = await workspace(services, "ret", "pro");
    const schema = ws.tenant.schemaName;
    const general = await generalId(services, ws);
    const send = (body: string, parentId?: number) =>
      services.chat.send(ws.tenant, ws.actor, {
        channelId: general,
        body,
        ...(parentId ? { parentId } : {}),
      });
    /** Dates a message `days` days back. */
    const age = (id: number, days: number) =>
      services.db.admin`update ${services.db.admin(schema)}.messages
        set created_at = now() - ${`${days} days`}::interval where id = ${id}`;

    const old = await send("Old news");
    await services.chat.react(ws.tenant, ws.actor, { messageId: old.id, emoji: "👍" });
    const recent = await send("Recent news");
    const kept = await send("Old question, recent answer");
    const oldReply = await send("Old answer", kept.id);
    const newReply = await send("Recent answer", kept.id);
    const gone = await send("Old thread");
    await send("Old thread reply", gone.id);
    for (const [id, days] of [
      [old.id, 40],
      [recent.id, 1],
      [kept.id, 45],
      [oldReply.id, 35],
      [newReply.id, 2],
      [gone.id, 50],
    ] as const)
      await age(id, days);
    await services.db.admin`update ${services.db.admin(schema)}.messages
      set created_at = now() - interval '49 days' where parent_id = ${gone.id}`;
    // A file on the old message: its row and its stored body.
    const key = newStorageKey(ws.tenant.id);
    await services.blobs.put(key, new TextEncoder().encode("old file"));
    await services.db.admin`
      insert into ${services.db.admin(schema)}.attachments
        (message_id, channel_id, uploader_id, file_name, content_type, size_bytes, storage_key, key_version)
      values (${old.id}, ${general}, ${ws.ownerId}, 'old.txt', 'text/plain', 8, ${key}, 1)`;

    const bodies = async () =>
      (await services.chat.list(ws.tenant, ws.actor, { channelId: general })).messages.map((m) => m.body);
    // Without a period (the default) nothing goes.
    await runMessageRetention(services);
    expect(await bodies()).toContain("Old news");

    await ws.client.call((c) => c.tenant.update({ settings: { messageRetentionDays: 30 } }));
    // The nightly job runs it (alongside the purge of deleted workspaces).
    expect(JOBS.find((j) => j.name === "tenants-purge")?.description).toContain("Delete messages after");
    const report = await runMessageRetention(services);
    expect(report.errors).toEqual([]);

    // What a member sees now: the recent message, and the thread with a recent reply, its old
    // first message shown as deleted.
    const { messages } = await services.chat.list(ws.tenant, ws.actor, { channelId: general });
    const byId = new Map(messages.map((m) => [m.id, m]));
    expect(byId.has(old.id)).toBe(false);
    expect(byId.has(gone.id)).toBe(false);
    expect(byId.get(recent.id)?.body).toBe("Recent news");
    expect(byId.get(kept.id)).toMatchObject({ body: "", replyCount: 1 });
    expect(byId.get(kept.id)?.deletedAt).not.toBeNull();
    const thread = await services.chat.thread(ws.tenant, ws.actor, { parentId: kept.id });
    expect(thread.messages.map((m) => m.body)).toEqual(["Recent answer"]);

    // Gone for good: rows, reactions, the file and its body.
    expect(await count(services, schema, "messages", `body like 'Old%'`)).toBe(0);
    expect(await count(services, schema, "reactions")).toBe(0);
    expect(await count(services, schema, "attachments")).toBe(0);
    expect(await services.blobs.get(key)).toBeNull();

    // A second run finds nothing more.
    const before = await count(services, schema, "messages");
    await runMessageRetention(services);
    expect(await count(services, schema, "messages")).toBe(before);
  });
});
