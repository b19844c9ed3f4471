import { appUrlFor, roleNames } from "@nchat/db";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../../../scripts/load/tcp-proxy";
import { generalId, type Workspace, workspace } from "./chat/test-kit";
import type { Services } from "./server";
import { testServices } from "./testing";

/**
 * PostgreSQL unreachable while the app serves requests: a request gets a typed 503 with Retry-After
 * instead of hanging behind connection attempts, the process attempts at most a probe at a time,
 * and it recovers by itself when the database answers again.
 */
describe("requests while PostgreSQL is unreachable", () => {
  let proxy: TcpProxy;
  let services: Services;
  let owner: Workspace;
  let channelId: string;

  beforeAll(async () => {
    const db = inject("testDb");
    proxy = await startTcpProxy(
      db.appUrl ?? appUrlFor(db.adminUrl, roleNames(db.rolePrefix), db.appPassword),
    );
    services = await testServices({ DATABASE_APP_URL: proxy.url, DATABASE_CONNECT_TIMEOUT: "1" });
    owner = await workspace(services, "outage", "enterprise");
    channelId = await generalId(services, owner);
  });
  afterAll(async () => {
    await services?.close().catch(() => {});
    await proxy?.close();
  });

  const send = (body: string) => owner.client.http("chat.send", { body: { channelId, body } });

  for (const mode of ["refuse", "blackhole"] as const) {
    it(`answers 503 UNAVAILABLE with Retry-After, attempts no flood of connections, and recovers (${mode})`, async () => {
      expect((await send(`before ${mode}`)).status).toBe(200);
      await proxy.cut(mode);
      const acceptedBefore = proxy.accepted;

      const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => send(`during ${mode} ${i}`)));
      for (const res of responses) {
        expect(res.status).toBe(503);
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        const body = (await res.json()) as { error: { json: { data: { appCode: string } } } };
        expect(body.error.json.data.appCode).toBe("UNAVAILABLE");
      }
      // Connection attempts are the pool's reconnects and the probes, not one per request.
      expect(proxy.accepted - acceptedBefore).toBeLessThan(responses.length);
      expect(services.db.availability.up).toBe(false);
      expect(services.db.availability.stats().outages).toBeGreaterThan(0);

      await proxy.restore();
      // No restart: the next probe finds the database and requests succeed again.
      let ok = 0;
      for (let i = 0; i < 50 && ok === 0; i++) {
        const res = await send(`after ${mode} ${i}`);
        if (res.status === 200) ok++;
        else await new Promise((r) => setTimeout(r, 200));
      }
      expect(ok).toBe(1);
      expect(services.db.availability.up).toBe(true);
      // Nothing sent during the outage was stored; everything acknowledged was.
      const rows = await services.db.admin.unsafe<{ body: string }[]>(
        `select body from "${owner.tenant.schemaName}".messages where body like $1 order by id`,
        [`%${mode}%`],
      );
      const bodies = rows.map((r) => r.body);
      expect(bodies.filter((b) => b.startsWith("during"))).toEqual([]);
      expect(bodies).toContain(`before ${mode}`);
    });
  }
});
