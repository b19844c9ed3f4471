import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "./server";
import { tenantWithOwner, testServices } from "./testing";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

describe("drill: PostgreSQL connections killed during load", () => {
  it("the pool recovers and no change is half-written", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("term"));
    // Custom plan: 600 requests a minute, so the rate limiter stays out of the drill.
    await services.tenants.updateTenant(
      tenant.id,
      { billingPlan: "custom" },
      { type: "super_admin", id: "sa" },
    );
    await services.resolver.invalidate({ slug: tenant.slug });
    const appRole = services.db.roles.app;
    let stop = false;
    let killed = 0;
    const killer = (async () => {
      while (!stop) {
        const rows = await services.db.admin`
          select pg_terminate_backend(pid) from pg_stat_activity
          where usename = ${appRole} and datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`;
        killed += rows.length;
        await new Promise((r) => setTimeout(r, 150));
      }
    })();

    const succeeded: string[] = [];
    const attempted: string[] = [];
    let failed = 0;
    const deadline = Date.now() + 3_000;
    let i = 0;
    while (Date.now() < deadline && i < 400) {
      const name = `Renamed ${i++}`;
      attempted.push(name);
      try {
        // One transaction writes the tenant row and its audit row.
        await client.call((c) => c.tenant.update({ name }));
        succeeded.push(name);
      } catch {
        failed++;
      }
    }
    stop = true;
    await killer;
    expect(killed).toBeGreaterThan(0);
    expect(succeeded.length).toBeGreaterThan(0);

    // Recovered: a call after the storm works.
    await expect(client.call((c) => c.tenant.update({ name: "After the storm" }))).resolves.toBeTruthy();

    // Rename and audit row commit together: every acknowledged rename is audited, and every audited
    // rename was attempted. (A rename whose COMMIT was cut off may have committed: then it is audited.)
    const audit = await services.db.admin<{ name: string }[]>`
      select after->>'name' as name from public.tenant_audit_logs where tenant_id = ${tenant.id} and action = 'tenant.update'`;
    const audited = new Set(audit.map((a) => a.name));
    for (const name of succeeded) expect(audited.has(name), name).toBe(true);
    for (const name of audited)
      expect(name === "After the storm" || attempted.includes(name), name).toBe(true);
    // The tenant row carries the last audited rename: never a rename without its audit row.
    const [row] = await services.db.admin`select name from public.tenants where id = ${tenant.id}`;
    expect(row!.name).toBe("After the storm");
    console.log(
      `drill: ${succeeded.length} updates committed, ${failed} failed while ${killed} backends were terminated`,
    );
  });
});
