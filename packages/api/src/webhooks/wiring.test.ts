import { uniqueSlug } from "@nchat/db/testing";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mailTestServices } from "../mail/test-kit";
import { memberOf, TestClient, tenantWithOwner } from "../testing";
import { startReceiver } from "./test-kit";

/**
 * The app as deployed: chat changes write the outbox in their transaction, the unit of work wakes the
 * "webhooks" queue after commit, and a pg-boss worker of the services delivers — through tRPC as a
 * person uses it.
 */
const kit = mailTestServices("hooks", { WEBHOOKS_ALLOW_LOOPBACK: "true" });

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

/**
 * Waits for `n` deliveries. The budget covers one retry (a first attempt that fails on a loaded
 * machine is tried again 30 s later: delivery is at least once, not at once).
 */
async function waitFor<T>(what: () => T[], n: number, timeoutMs = 80_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = what();
    if (got.length >= n) return got;
    if (Date.now() > deadline) throw new Error(`only ${got.length} of ${n} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("outgoing webhooks in the app", { timeout: 120_000 }, () => {
  it("delivers message created/edited/deleted from tRPC through the queue, signed, in the workspace's own endpoint only", async () => {
    const { services } = kit;
    const superAdmin = { type: "super_admin" as const, id: "sa" };
    const a = await tenantWithOwner(services, uniqueSlug("hka"));
    const b = await tenantWithOwner(services, uniqueSlug("hkb"));
    for (const t of [a, b])
      await services.tenants.updateTenant(t.tenant.id, { billingPlan: "pro" }, superAdmin);
    const owner = (t: typeof a) => ({ type: "user" as const, id: t.ownerId, role: "owner" as const });
    const { secret } = await services.webhooks.create(a.tenant, owner(a), {
      url: receiver.url("/app-a"),
      eventTypes: ["message.created", "message.edited", "message.deleted"],
    });
    await services.webhooks.create(b.tenant, owner(b), {
      url: receiver.url("/app-b"),
      eventTypes: ["message.created"],
    });

    const general = async (t: typeof a) =>
      (await services.chat.listChannels(t.tenant, owner(t))).channels.find((c) => c.name === "general")!.id;
    const sent = await a.client.call(async (c) =>
      c.chat.send({ channelId: await general(a), body: "deployed" }),
    );
    await a.client.call((c) => c.chat.edit({ messageId: sent.id, body: "deployed v2" }));
    await a.client.call((c) => c.chat.delete({ messageId: sent.id }));
    await b.client.call(async (c) => c.chat.send({ channelId: await general(b), body: "b's news" }));

    const got = await waitFor(() => receiver.at("/app-a"), 3);
    const events = got.map(
      (r) =>
        new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as {
          type: string;
          version: number;
          data: Record<string, unknown>;
        },
    );
    expect(events.map((e) => e.type).sort()).toEqual([
      "message.created",
      "message.deleted",
      "message.edited",
    ]);
    for (const e of events) expect(e).toMatchObject({ version: 1, data: { messageId: sent.id } });
    // ids, never the text
    for (const r of got) expect(r.body).not.toContain("deployed");

    await waitFor(() => receiver.at("/app-b"), 1);
    expect(receiver.at("/app-b").map((r) => JSON.parse(r.body).type)).toEqual(["message.created"]);
    expect(receiver.at("/app-a")).toHaveLength(3);
  });

  it("delivers reactions added/removed and channels created/archived, each with its channel", async () => {
    const { services } = kit;
    const a = await tenantWithOwner(services, uniqueSlug("hkc"));
    await services.tenants.updateTenant(
      a.tenant.id,
      { billingPlan: "pro" },
      { type: "super_admin", id: "sa" },
    );
    await services.webhooks.create(
      a.tenant,
      { type: "user", id: a.ownerId, role: "owner" },
      {
        url: receiver.url("/app-c"),
        eventTypes: ["reaction.added", "reaction.removed", "channel.created", "channel.archived"],
      },
    );
    const channel = await a.client.call((c) => c.chat.createChannel({ name: "deploys" }));
    const sent = await a.client.call((c) => c.chat.send({ channelId: channel.id, body: "v3" }));
    await a.client.call((c) => c.chat.react({ messageId: sent.id, emoji: "🎉" }));
    await a.client.call((c) => c.chat.react({ messageId: sent.id, emoji: "🎉" }));
    await a.client.call((c) => c.chat.archiveChannel({ channelId: channel.id }));

    const got = (await waitFor(() => receiver.at("/app-c"), 4)).map(
      (r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> },
    );
    const byType = Object.fromEntries(got.map((e) => [e.type, e.data]));
    expect(Object.keys(byType).sort()).toEqual([
      "channel.archived",
      "channel.created",
      "reaction.added",
      "reaction.removed",
    ]);
    expect(byType["channel.created"]).toMatchObject({
      channelId: channel.id,
      kind: "public",
      actorId: a.ownerId,
    });
    expect(byType["channel.archived"]).toMatchObject({ channelId: channel.id, actorId: a.ownerId });
    for (const t of ["reaction.added", "reaction.removed"])
      expect(byType[t]).toEqual({
        channelId: channel.id,
        messageId: sent.id,
        emoji: "🎉",
        userId: a.ownerId,
      });
  });

  it("delivers member.joined, member.role_changed and member.left", async () => {
    const { services } = kit;
    const a = await tenantWithOwner(services, uniqueSlug("hkm"));
    await services.tenants.updateTenant(
      a.tenant.id,
      { billingPlan: "pro" },
      { type: "super_admin", id: "sa" },
    );
    await services.webhooks.create(
      a.tenant,
      { type: "user", id: a.ownerId, role: "owner" },
      { url: receiver.url("/app-m"), eventTypes: ["member.joined", "member.role_changed", "member.left"] },
    );
    const { token } = await a.client.call((c) =>
      c.members.invite({ email: "new@hooks.test", role: "member" }),
    );
    const joined = await new TestClient(services, a.client.host).call((c) =>
      c.members.acceptInvitation({ token, name: "New", password: "member-password-1" }),
    );
    const member = await memberOf(services, a.tenant, a.client.host, "member");
    await a.client.call((c) => c.members.changeRole({ userId: member.id, role: "admin" }));
    await a.client.call((c) => c.members.remove({ userId: member.id }));
    const got = (await waitFor(() => receiver.at("/app-m"), 3)).map(
      (r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> },
    );
    const byType = Object.fromEntries(got.map((e) => [e.type, e.data]));
    expect(byType["member.role_changed"]).toEqual({
      userId: member.id,
      role: "admin",
      previousRole: "member",
      actorId: a.ownerId,
    });
    expect(byType["member.left"]).toEqual({ userId: member.id, removedBy: a.ownerId });
    expect(byType["member.joined"]).toEqual({ userId: joined.user.id, role: "member", reactivated: false });
    // no email address in either
    for (const r of receiver.at("/app-m")) expect(r.body).not.toContain("@");
  });
});
