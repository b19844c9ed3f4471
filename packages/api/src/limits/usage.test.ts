import { appUrlFor, createDatabase, roleNames } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTcpProxy } from "../../../../scripts/load/tcp-proxy";
import type { Services } from "../server";
import { tenantWithOwner, testServices } from "../testing";
import { UsageRecorder, usagePeriod } from "./usage";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

async function usageRow(tenantId: string, period = usagePeriod()) {
  const [row] = await services.db.admin`
    select messages_sent::int, api_calls_total::int, users_active, users_total, storage_bytes::int, files_count,
           api_calls_by_endpoint
    from public.tenant_usage where tenant_id = ${tenantId} and period = ${period}`;
  return row;
}

describe("usage tracking", () => {
  it("counts equal the requests made, per endpoint, after a flush — and nothing is written before it", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("us"));
    await services.usage.flush();
    const before = await usageRow(tenant.id);
    for (let i = 0; i < 7; i++) await client.call((c) => c.tenant.get());
    for (let i = 0; i < 3; i++) await client.call((c) => c.auth.me());
    const unflushed = await usageRow(tenant.id);
    expect(unflushed?.api_calls_by_endpoint?.["tenant.get"] ?? 0).toBe(
      before?.api_calls_by_endpoint?.["tenant.get"] ?? 0,
    );
    await services.usage.flush();
    const after = await usageRow(tenant.id);
    expect(after!.api_calls_by_endpoint["tenant.get"]).toBe(7);
    expect(after!.api_calls_total).toBe(0); // browser traffic is not API-key traffic
    expect(after!.users_active).toBe(1);
    expect(after!.users_total).toBe(1);
  });

  it("adds flows across flushes and processes, recounts levels, and keeps tenants apart", async () => {
    const a = await tenantWithOwner(services, uniqueSlug("ua"));
    const b = await tenantWithOwner(services, uniqueSlug("ub"));
    const other = new UsageRecorder({ db: services.db }); // another process's recorder
    services.usage.record(a.tenant, { messagesSent: 5 });
    other.record(a.tenant, { messagesSent: 2 });
    await Promise.all([services.usage.flush(), other.flush()]);
    services.usage.record(a.tenant, { messagesSent: 1 });
    await services.usage.flush();
    expect((await usageRow(a.tenant.id))!.messages_sent).toBe(8);
    expect((await usageRow(b.tenant.id))?.messages_sent ?? 0).toBe(0);
  });

  it("flushes of several processes at once over the same tenants neither deadlock nor lose counts", async () => {
    const owners = await Promise.all(
      Array.from({ length: 6 }, () => tenantWithOwner(services, uniqueSlug("uf"))),
    );
    const tenants = owners.map((o) => o.tenant);
    const recorders = Array.from({ length: 4 }, () => new UsageRecorder({ db: services.db }));
    for (let round = 0; round < 5; round++) {
      recorders.forEach((r, i) => {
        // Each process meets the tenants in its own order (the order its buffer flushes them in).
        const order = i % 2 === 0 ? tenants : [...tenants].reverse();
        for (const t of order) {
          r.record(t, { messagesSent: 1 }, "chat.send");
          void r.activeUser(t, owners[0]!.ownerId);
        }
      });
      await Promise.all(recorders.map((r) => r.flush()));
    }
    for (const t of tenants) {
      const row = await usageRow(t.id);
      expect(row!.messages_sent).toBe(4 * 5);
      expect(row!.api_calls_by_endpoint["chat.send"]).toBe(4 * 5);
    }
  });

  it("recounts members when they join or leave, not on every request", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("um"));
    await client.call((c) => c.tenant.get());
    await services.usage.flush();
    expect((await usageRow(tenant.id))!.users_total).toBe(1);
    const { token } = await client.call((c) => c.members.invite({ email: "m@um.test", role: "member" }));
    const joined = await services.invitations.accept(tenant, token, {
      name: "Member",
      password: "member-password-1",
    });
    await services.usage.flush();
    expect((await usageRow(tenant.id))!.users_total).toBe(2);
    await client.call((c) => c.members.remove({ userId: joined.session.user.id }));
    await services.usage.flush();
    expect((await usageRow(tenant.id))!.users_total).toBe(1);
  });

  it("puts counts in the UTC month they happened in (rollover)", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("roll"));
    const lastSecondOfJanuary = new Date("2026-01-31T23:59:59.999Z");
    const firstOfFebruary = new Date("2026-02-01T00:00:00.000Z");
    services.usage.record(tenant, { messagesSent: 3 }, undefined, lastSecondOfJanuary);
    services.usage.record(tenant, { messagesSent: 4 }, undefined, firstOfFebruary);
    await services.usage.activeUser(
      tenant,
      (await services.tenants.getTenantById(tenant.id))!.ownerId!,
      lastSecondOfJanuary,
    );
    await services.usage.flush();
    expect(await usageRow(tenant.id, "2026-01")).toMatchObject({ messages_sent: 3, users_active: 1 });
    expect(await usageRow(tenant.id, "2026-02")).toMatchObject({ messages_sent: 4, users_active: 0 });
  });

  it("counts a user once per month however often they are seen, even from two processes", async () => {
    const { client, tenant, ownerId } = await tenantWithOwner(services, uniqueSlug("mau"));
    const other = new UsageRecorder({ db: services.db });
    for (let i = 0; i < 5; i++) await client.call((c) => c.tenant.get());
    await other.activeUser(tenant, ownerId);
    await Promise.all([services.usage.flush(), other.flush()]);
    expect((await usageRow(tenant.id))!.users_active).toBe(1);
  });

  it("loses nothing on a clean shutdown (close flushes)", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("down"));
    const recorder = new UsageRecorder({ db: services.db }).start();
    recorder.record(tenant, { messagesSent: 9 }, "chat.send");
    await recorder.close();
    expect(await usageRow(tenant.id)).toMatchObject({
      messages_sent: 9,
      api_calls_by_endpoint: { "chat.send": 1 },
    });
  });

  it("keeps the counts when a flush fails and writes them on the next one", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("retry"));
    const recorder = new UsageRecorder({ db: services.db });
    recorder.record(tenant, { messagesSent: 2 });
    // A tenant id with no row makes the insert fail (foreign key) inside the same batch.
    recorder.record(
      { id: "00000000-0000-4000-8000-000000000000", schemaName: "tenant_none", dbRole: "x" },
      { messagesSent: 1 },
    );
    await expect(recorder.flush()).rejects.toThrow();
    expect(recorder.pending(tenant.id).messagesSent).toBe(2);
  });

  describe("when PostgreSQL goes away and comes back", () => {
    /** A recorder whose connections go through a proxy that can cut them, as an outage would. */
    async function recorderBehindProxy(opts: { flushIntervalMs?: number } = {}) {
      const cfg = inject("testDb");
      const appUrl = cfg.appUrl ?? appUrlFor(cfg.adminUrl, roleNames(cfg.rolePrefix), cfg.appPassword);
      const proxy = await startTcpProxy(appUrl);
      const db = createDatabase({ ...cfg, appUrl: proxy.url, poolMax: 2 });
      const failures: unknown[] = [];
      const recorder = new UsageRecorder({
        db,
        flushIntervalMs: opts.flushIntervalMs,
        log: (_msg, err) => failures.push(err),
      });
      const stop = async () => {
        await recorder.close().catch(() => {});
        await proxy.close();
        await db.close();
      };
      return { proxy, recorder, failures, stop };
    }

    /**
     * Flushes until one succeeds: right after an outage the database client may still refuse work
     * for a moment (it probes before letting requests through). With a poisoned flush chain every
     * later flush failed for good.
     */
    async function flushOnceBack(recorder: UsageRecorder, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          return await recorder.flush();
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }

    it("a failed flush does not fail the later ones, and they write exactly what was recorded", async () => {
      const { tenant } = await tenantWithOwner(services, uniqueSlug("outage"));
      const { proxy, recorder, stop } = await recorderBehindProxy();
      try {
        for (let i = 0; i < 3; i++) recorder.record(tenant, { messagesSent: 1 }, "chat.send");
        await proxy.cut();
        await expect(recorder.flush()).rejects.toThrow();
        expect(recorder.pending(tenant.id).messagesSent).toBe(3);
        recorder.record(tenant, { messagesSent: 1 }, "chat.send"); // during the outage
        await proxy.restore();
        await flushOnceBack(recorder);
        expect(recorder.pending(tenant.id).messagesSent).toBe(0);
        for (let i = 0; i < 5; i++) recorder.record(tenant, { messagesSent: 1 }, "chat.edit");
        await recorder.flush();
        expect(await usageRow(tenant.id)).toMatchObject({
          messages_sent: 9,
          api_calls_by_endpoint: { "chat.send": 4, "chat.edit": 5 },
          users_total: 1, // levels whose count failed with the flush are recounted by the next one
        });
      } finally {
        await stop();
      }
    });

    it("concurrent flushes each report their own outcome", async () => {
      const { tenant } = await tenantWithOwner(services, uniqueSlug("own"));
      const { proxy, recorder, stop } = await recorderBehindProxy();
      try {
        recorder.record(tenant, { messagesSent: 2 });
        await proxy.cut();
        const failing = recorder.flush();
        const queued = recorder.flush(); // runs after the failing one, once PostgreSQL is back
        await expect(failing).rejects.toThrow();
        await proxy.restore();
        // `queued` started right after `failing` failed, possibly before restore().
        await queued.catch(() => {});
        await flushOnceBack(recorder);
        await recorder.flush();
        expect((await usageRow(tenant.id))!.messages_sent).toBe(2);
      } finally {
        await stop();
      }
    });

    it("the periodic flush keeps going after failures", async () => {
      const { tenant } = await tenantWithOwner(services, uniqueSlug("tick"));
      const { proxy, recorder, failures, stop } = await recorderBehindProxy({ flushIntervalMs: 100 });
      try {
        await proxy.cut();
        recorder.start();
        recorder.record(tenant, { messagesSent: 6 }, "chat.send");
        await expect.poll(() => failures.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
        await proxy.restore();
        await expect
          .poll(async () => (await usageRow(tenant.id))?.messages_sent, { timeout: 10_000 })
          .toBe(6);
        expect(recorder.pending(tenant.id).messagesSent).toBe(0);
      } finally {
        await stop();
      }
    });
  });
});
