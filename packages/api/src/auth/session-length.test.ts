import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";

/**
 * The security settings' "Session length (hours)": members are signed out after this long without
 * activity — sessions begun after a change, and those begun before it.
 */
let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(async () => {
  await services?.close();
});

const HOUR = 3_600_000;

/** The owner's session row (one session: the test client's). */
async function sessionRow(schema: string) {
  const [row] = await services.db.admin<{ expires: number; lastUsed: number }[]>`
    select (extract(epoch from expires_at) * 1000)::float8 as expires,
           (extract(epoch from last_used_at) * 1000)::float8 as "lastUsed"
    from ${services.db.admin(schema)}.sessions`;
  return row!;
}

/** Moves the session's last use `ms` into the past (as if the member had been away). */
async function idleFor(schema: string, ms: number) {
  await services.db.admin`
    update ${services.db.admin(schema)}.sessions
    set last_used_at = last_used_at - ${`${ms} milliseconds`}::interval`;
  // What a process remembers of the session (its cache) is dropped, as after any change elsewhere.
  await services.auth.refreshTenantSessions(await sessionTenant(schema));
}

async function sessionTenant(schema: string) {
  const [t] = await services.db.admin<{ id: string }[]>`
    select id from public.tenants where schema_name = ${schema}`;
  return t!.id;
}

describe("session length", () => {
  it("a new sign-in lasts the workspace's session length; the default is 14 days", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("sl-new"));
    const first = await sessionRow(owner.tenant.schemaName);
    expect(first.expires - first.lastUsed).toBeCloseTo(14 * 24 * HOUR, -5);

    await owner.client.call((c) => c.tenant.update({ settings: { sessionTimeoutMinutes: 60 } }));
    await services.db.admin`delete from ${services.db.admin(owner.tenant.schemaName)}.sessions`;
    const again = new TestClient(services, owner.client.host);
    await again.call((c) =>
      c.auth.signIn({ email: `owner@${owner.tenant.slug}.test`, password: "owner-password-1" }),
    );
    const second = await sessionRow(owner.tenant.schemaName);
    expect(second.expires - Date.now()).toBeGreaterThan(HOUR - 60_000);
    expect(second.expires - Date.now()).toBeLessThanOrEqual(HOUR);
  });

  it("shortened, it ends sessions idle for longer, also those begun while it was longer", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("sl-old"));
    const schema = owner.tenant.schemaName;
    // Signed in under the 14-day default; then the owner shortens it to 2 hours.
    await owner.client.call((c) => c.tenant.update({ settings: { sessionTimeoutMinutes: 120 } }));

    // Away for one hour: still signed in (and the session is extended from now, by 2 hours).
    await idleFor(schema, HOUR);
    expect(await owner.client.call((c) => c.auth.me())).toMatchObject({ user: { role: "owner" } });
    const extended = await sessionRow(schema);
    expect(extended.expires - Date.now()).toBeLessThanOrEqual(2 * HOUR);

    // Away for three hours: signed out, though the row's own expiry (set before) was further away.
    await services.db.admin`
      update ${services.db.admin(schema)}.sessions set expires_at = now() + interval '10 days'`;
    await idleFor(schema, 3 * HOUR);
    expect(await owner.client.call((c) => c.auth.me())).toBeNull();
    await expect(owner.client.call((c) => c.chat.channels({}))).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  it("lengthened, a session in use lasts the new length from its next extension", async () => {
    const owner = await tenantWithOwner(services, uniqueSlug("sl-long"));
    const schema = owner.tenant.schemaName;
    await owner.client.call((c) => c.tenant.update({ settings: { sessionTimeoutMinutes: 60 * 24 * 30 } }));
    await idleFor(schema, 10 * 60_000);
    await owner.client.call((c) => c.auth.me());
    const row = await sessionRow(schema);
    expect(row.expires - Date.now()).toBeGreaterThan(29 * 24 * HOUR);
  });
});
