import { withTenant } from "@nchat/db";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectCode } from "../testing";
import { recordWebhookEvent } from "./events";
import { DISABLE_AFTER_MS, MAX_ATTEMPTS, retryDelaySeconds } from "./service";
import {
  Clock,
  deliveryRows,
  type Notified,
  resolverOf,
  services,
  startReceiver,
  tenantOn,
  useKit,
  webhookService,
} from "./test-kit";

useKit();

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

const owner = (id: string) => ({ type: "user" as const, id, role: "owner" as const });

describe("outgoing webhooks: delivery", () => {
  it("signs per Standard Webhooks: the receiver verifies with the package's own Webhook.verify", async () => {
    const { tenant, ownerId } = await tenantOn("pro");
    const hooks = webhookService();
    const { endpoint, secret } = await hooks.create(tenant, owner(ownerId), {
      url: receiver.url("/signed"),
      eventTypes: ["message.created"],
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await hooks.emit(tenant, {
      type: "message.created",
      channelId: "00000000-0000-4000-8000-000000000001",
      data: { messageId: 42 },
    });
    expect((await hooks.drain(tenant)).attempted).toBe(1);

    const [req] = receiver.at("/signed");
    const verified = new Webhook(secret).verify(req!.body, req!.headers as Record<string, string>) as {
      type: string;
      version: number;
      timestamp: string;
      data: Record<string, unknown>;
    };
    expect(verified).toMatchObject({
      type: "message.created",
      version: 1,
      data: { channelId: "00000000-0000-4000-8000-000000000001", messageId: 42 },
    });
    // another secret does not verify
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`).verify(
        req!.body,
        req!.headers as Record<string, string>,
      ),
    ).toThrow();
    const [log] = await hooks.deliveries(tenant, endpoint.id);
    expect(log).toMatchObject({ status: "delivered", attempts: 1, lastStatusCode: 200, responseBody: "ok" });
    expect(log!.msgId).toBe(req!.headers["webhook-id"]);
  });

  it("signs with both secrets during a rotation's overlap, with the new one only after it", async () => {
    const { tenant, ownerId } = await tenantOn("pro");
    const clock = new Clock();
    const hooks = webhookService({ now: clock.now });
    const { endpoint, secret: old } = await hooks.create(tenant, owner(ownerId), {
      url: receiver.url("/rotate"),
      eventTypes: ["tenant.plan_changed"],
    });
    const { secret: fresh } = await hooks.rotateSecret(tenant, endpoint.id, 24);
    expect(fresh).not.toBe(old);
    expect((await hooks.list(tenant))[0]).toMatchObject({ rotating: true });

    await hooks.emit(tenant, { type: "tenant.plan_changed", data: { plan: "pro" } });
    await hooks.drain(tenant);
    const during = receiver.at("/rotate")[0]!;
    expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    for (const s of [old, fresh])
      expect(() =>
        new Webhook(s).verify(during.body, during.headers as Record<string, string>),
      ).not.toThrow();

    // after the overlap only the new secret signs (checked on the header: the clock moved a day,
    // which Webhook.verify's five-minute tolerance of its own clock would refuse)
    clock.advance(25 * 3600_000);
    await hooks.emit(tenant, { type: "tenant.plan_changed", data: { plan: "enterprise" } });
    await hooks.drain(tenant);
    const after = receiver.at("/rotate")[1]!;
    const signatures = String(after.headers["webhook-signature"]).split(" ");
    expect(signatures).toHaveLength(1);
    const at = new Date(Number(after.headers["webhook-timestamp"]) * 1000);
    expect(signatures[0]).toBe(
      new Webhook(fresh).sign(after.headers["webhook-id"] as string, at, after.body),
    );
    expect((await hooks.list(tenant))[0]).toMatchObject({ rotating: false });
  });

  it("retries after 500s and timeouts on the back-off schedule, then records the success", async () => {
    const { tenant, ownerId } = await tenantOn("pro");
    const clock = new Clock();
    const hooks = webhookService({ now: clock.now, timeoutMs: 300 });
    const { endpoint } = await hooks.create(tenant, owner(ownerId), {
      url: receiver.url("/flaky"),
      eventTypes: ["member.joined"],
    });
    receiver.script("/flaky", [500, "hang", 503, 200]);
    await hooks.emit(tenant, { type: "member.joined", data: { userId: ownerId } });
    const t0 = clock.at.getTime();

    await hooks.drain(tenant); // try 1: 500
    let [row] = await deliveryRows(tenant);
    expect(row).toMatchObject({ status: "pending", attempts: 1, last_error: "http 500" });
    expect(new Date(row!.next_attempt_at).getTime()).toBe(t0 + retryDelaySeconds(1, () => 0.5) * 1000);

    clock.advance(29_000); // not due yet: nothing is sent
    expect((await hooks.drain(tenant)).attempted).toBe(0);
    expect(receiver.at("/flaky")).toHaveLength(1);

    clock.advance(1_000); // try 2 at +30 s: the receiver never answers
    expect((await hooks.drain(tenant)).attempted).toBe(1);
    [row] = await deliveryRows(tenant);
    expect(row).toMatchObject({ status: "pending", attempts: 2, last_error: "timeout" });
    expect(new Date(row!.next_attempt_at).getTime()).toBe(clock.at.getTime() + 60_000);

    clock.advance(60_000); // try 3: 503
    await hooks.drain(tenant);
    [row] = await deliveryRows(tenant);
    expect(row).toMatchObject({ status: "pending", attempts: 3, last_error: "http 503" });
    expect(new Date(row!.next_attempt_at).getTime()).toBe(clock.at.getTime() + 120_000);

    clock.advance(120_000); // try 4: 200
    await hooks.drain(tenant);
    const [log] = await hooks.deliveries(tenant, endpoint.id);
    expect(log).toMatchObject({ status: "delivered", attempts: 4, lastStatusCode: 200, lastError: null });
    expect(receiver.at("/flaky")).toHaveLength(4);
    // every try is the same message
    expect(new Set(receiver.at("/flaky").map((r) => r.headers["webhook-id"])).size).toBe(1);
    // the failure run ended with the success
    expect((await hooks.list(tenant))[0]).toMatchObject({ consecutiveFailures: 0, enabled: true });
  });

  it("spreads fourteen tries over about a day, with jitter", () => {
    let total = 0;
    for (let n = 1; n < MAX_ATTEMPTS; n++) total += retryDelaySeconds(n, () => 0.5);
    expect(total / 3600).toBeGreaterThan(20);
    expect(total / 3600).toBeLessThan(30);
    expect(retryDelaySeconds(3, () => 0)).toBe(96);
    expect(retryDelaySeconds(3, () => 0.999999)).toBe(144);
  });

  it("gives up after the last try and disables an endpoint that failed for a day, telling the owner", async () => {
    const { tenant, ownerId } = await tenantOn("pro");
    const clock = new Clock();
    const notified: Notified[] = [];
    const hooks = webhookService({ now: clock.now, notified });
    const { endpoint } = await hooks.create(tenant, owner(ownerId), {
      url: receiver.url("/down"),
      eventTypes: ["channel.created"],
    });
    receiver.script("/down", [500]);
    await hooks.emit(tenant, { type: "channel.created", channelId: null, data: { name: "x" } });
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const { nextDueAt } = await hooks.drain(tenant);
      if (nextDueAt) clock.set(nextDueAt);
    }
    const [row] = await deliveryRows(tenant);
    expect(row).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
    expect(receiver.at("/down")).toHaveLength(MAX_ATTEMPTS);
    expect(clock.at.getTime() - new Date(row!.next_attempt_at).getTime()).toBe(0);

    const [view] = await hooks.list(tenant);
    expect(view!.enabled).toBe(false);
    expect(view!.disabledReason).toMatch(/failed for a day/);
    expect(notified).toEqual([
      { tenantId: tenant.id, endpointId: endpoint.id, reason: view!.disabledReason },
    ]);

    // disabled: later events are not even queued for it, and nothing more arrives
    expect(await hooks.emit(tenant, { type: "channel.created", channelId: null, data: { name: "y" } })).toBe(
      0,
    );
    clock.advance(DISABLE_AFTER_MS);
    await hooks.drain(tenant);
    expect(receiver.at("/down")).toHaveLength(MAX_ATTEMPTS);

    // enabled again by an admin: the run starts over and events flow
    receiver.script("/down", [200]);
    await hooks.update(tenant, endpoint.id, { enabled: true });
    await hooks.emit(tenant, { type: "channel.created", channelId: null, data: { name: "z" } });
    await hooks.drain(tenant);
    expect(receiver.at("/down")).toHaveLength(MAX_ATTEMPTS + 1);
  });

  it("sends again what a worker claimed and then died with, once its lease ran out", async () => {
    const { tenant, ownerId } = await tenantOn("pro");
    const clock = new Clock();
    const hooks = webhookService({ now: clock.now, timeoutMs: 1_000 });
    await hooks.create(tenant, owner(ownerId), {
      url: receiver.url("/crash"),
      eventTypes: ["file.uploaded"],
    });
    await hooks.emit(tenant, { type: "file.uploaded", channelId: null, data: { fileId: "f1" } });
    // a worker claimed it and died before recording anything
    await services.db.admin.unsafe(
      `update "${tenant.schemaName}".webhook_deliveries set status = 'sending', lease_until = $1`,
      [new Date(clock.at.getTime() + 31_000).toISOString()],
    );
    expect((await hooks.drain(tenant)).attempted).toBe(0);
    clock.advance(31_000);
    expect((await hooks.drain(tenant)).attempted).toBe(1);
    expect(receiver.at("/crash")).toHaveLength(1);
    expect((await deliveryRows(tenant))[0]).toMatchObject({ status: "delivered" });
  });

  it("writes outbox rows in the change's transaction: rolled back, nothing is sent", async () => {
    const { tenant, ownerId } = await tenantOn("pro");
    const hooks = webhookService();
    await hooks.create(tenant, owner(ownerId), { url: receiver.url("/tx"), eventTypes: ["message.deleted"] });
    await expect(
      withTenant(services.db, tenant, async ({ db, t }) => {
        expect(
          await recordWebhookEvent(db, t, {
            type: "message.deleted",
            channelId: null,
            data: { messageId: 1 },
          }),
        ).toBe(1);
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await deliveryRows(tenant)).toEqual([]);
    await hooks.drain(tenant);
    expect(receiver.at("/tx")).toHaveLength(0);
  });

  it("honours event types, the channel filter and disabled endpoints", async () => {
    const { tenant, ownerId } = await tenantOn("pro");
    const hooks = webhookService();
    const channelA = "00000000-0000-4000-8000-00000000000a";
    const channelB = "00000000-0000-4000-8000-00000000000b";
    await hooks.create(tenant, owner(ownerId), {
      url: receiver.url("/only-a"),
      eventTypes: ["message.created"],
      channelId: channelA,
    });
    const { endpoint: off } = await hooks.create(tenant, owner(ownerId), {
      url: receiver.url("/off"),
      eventTypes: ["message.created"],
    });
    await hooks.update(tenant, off.id, { enabled: false });
    await hooks.emit(tenant, { type: "message.created", channelId: channelA, data: { messageId: 1 } });
    await hooks.emit(tenant, { type: "message.created", channelId: channelB, data: { messageId: 2 } });
    await hooks.emit(tenant, { type: "message.edited", channelId: channelA, data: { messageId: 1 } });
    await hooks.drain(tenant);
    expect(receiver.at("/only-a").map((r) => JSON.parse(r.body).data.messageId)).toEqual([1]);
    expect(receiver.at("/off")).toHaveLength(0);
    await expectCode(hooks.sendTest(tenant, off.id), "CONFLICT");
  });

  it("refuses at delivery time a host whose DNS answer is private, and loopback without the setting", async () => {
    const { tenant, ownerId } = await tenantOn("pro");
    const hooks = webhookService({
      allowLoopback: false,
      resolver: resolverOf({ "hooks.evil.test": "10.0.0.7", "local.evil.test": "127.0.0.1" }),
    });
    const { endpoint: priv } = await hooks.create(tenant, owner(ownerId), {
      url: receiver.urlAt("hooks.evil.test", "/ssrf"),
      eventTypes: ["reaction.added"],
    });
    const { endpoint: loop } = await hooks.create(tenant, owner(ownerId), {
      url: receiver.urlAt("local.evil.test", "/ssrf"),
      eventTypes: ["reaction.added"],
    });
    await hooks.emit(tenant, {
      type: "reaction.added",
      channelId: null,
      data: { messageId: 3, emoji: "👍" },
    });
    await hooks.drain(tenant);
    expect(receiver.at("/ssrf")).toHaveLength(0);
    expect((await hooks.deliveries(tenant, priv.id))[0]).toMatchObject({
      status: "pending",
      lastError: "refused: private_address",
      lastStatusCode: null,
    });
    expect((await hooks.deliveries(tenant, loop.id))[0]).toMatchObject({
      lastError: "refused: loopback_address",
    });
  });

  it("resends a delivery with the same message id, and sends a test event to one endpoint", async () => {
    const { tenant, ownerId } = await tenantOn("pro");
    const hooks = webhookService();
    const { endpoint, secret } = await hooks.create(tenant, owner(ownerId), {
      url: receiver.url("/manual"),
      eventTypes: ["message.created"],
    });
    const { deliveryId } = await hooks.sendTest(tenant, endpoint.id);
    await hooks.drain(tenant);
    const [test] = receiver.at("/manual");
    expect(new Webhook(secret).verify(test!.body, test!.headers as Record<string, string>)).toMatchObject({
      type: "webhook.test",
      data: { endpointId: endpoint.id },
    });
    await hooks.resend(tenant, deliveryId);
    await hooks.drain(tenant);
    const again = receiver.at("/manual")[1]!;
    expect(again.headers["webhook-id"]).toBe(test!.headers["webhook-id"]);
    expect(again.body).toBe(test!.body);
    expect((await hooks.deliveries(tenant, endpoint.id))[0]).toMatchObject({
      status: "delivered",
      attempts: 1,
    });
  });

  it("keeps tenants apart: A's endpoints never receive B's events, with both draining at once", async () => {
    const a = await tenantOn("pro", "hooka");
    const b = await tenantOn("pro", "hookb");
    const hooks = webhookService();
    await hooks.create(a.tenant, owner(a.ownerId), {
      url: receiver.url("/tenant-a"),
      eventTypes: ["message.created"],
    });
    await hooks.create(b.tenant, owner(b.ownerId), {
      url: receiver.url("/tenant-b"),
      eventTypes: ["message.created"],
    });
    const events = 40;
    await Promise.all(
      Array.from({ length: events }, (_, i) => [
        hooks.emit(a.tenant, { type: "message.created", channelId: null, data: { messageId: i, from: "a" } }),
        hooks.emit(b.tenant, { type: "message.created", channelId: null, data: { messageId: i, from: "b" } }),
      ]).flat(),
    );
    await Promise.all([
      hooks.drain(a.tenant, 20),
      hooks.drain(b.tenant, 20),
      hooks.drain(a.tenant, 20),
      hooks.drain(b.tenant, 20),
    ]);
    await Promise.all([hooks.drain(a.tenant), hooks.drain(b.tenant)]);
    const from = (path: string) =>
      receiver.at(path).map((r) => JSON.parse(r.body).data as { messageId: number; from: string });
    expect(from("/tenant-a").every((d) => d.from === "a")).toBe(true);
    expect(from("/tenant-b").every((d) => d.from === "b")).toBe(true);
    // at least once and here exactly once: concurrent drains skip each other's claimed rows
    expect(
      from("/tenant-a")
        .map((d) => d.messageId)
        .sort((x, y) => x - y),
    ).toEqual([...Array(events).keys()]);
    expect(
      from("/tenant-b")
        .map((d) => d.messageId)
        .sort((x, y) => x - y),
    ).toEqual([...Array(events).keys()]);
    // and B's log has nothing of A's
    expect((await deliveryRows(b.tenant)).length).toBe(events);
  });

  it("is for plans with integrations only", async () => {
    const { tenant, ownerId } = await tenantOn("free");
    const hooks = webhookService();
    await expectCode(
      hooks.create(tenant, owner(ownerId), { url: receiver.url("/free"), eventTypes: ["message.created"] }),
      "FEATURE_NOT_IN_PLAN",
    );
    await expectCode(hooks.list(tenant), "FEATURE_NOT_IN_PLAN");
  });
});
