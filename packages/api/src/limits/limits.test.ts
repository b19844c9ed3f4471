import { withTenant } from "@nchat/db";
import { uniqueSlug } from "@nchat/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, SYSTEM } from "../audit/actor";
import type { Services } from "../server";
import { TestClient, tenantWithOwner, testServices } from "../testing";
import { assertWithinLimit, limitState } from "./limits";

let services: Services;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

const superAdmin: Actor = { type: "super_admin", id: "sa" };

/** Custom limits for a tenant (as a super admin would set them). */
async function setLimits(
  tenantId: string,
  limits: Partial<Record<"users" | "channels" | "storageGb" | "apiCallsPerMonth", number>>,
) {
  const t = (await services.tenants.getTenantById(tenantId))!;
  await services.tenants.updateTenant(
    tenantId,
    { billingPlan: "custom", limits: { ...t.limits, ...limits } },
    superAdmin,
  );
}

/** Creates a channel the way services do: the exact check inside the creating transaction. */
const createChannel = (tenant: { id: string; schemaName: string; dbRole: string }, name: string) =>
  withTenant(services.db, tenant, async ({ db, t }) => {
    await assertWithinLimit(db, tenant, "channels");
    await db.insert(t.channels).values({ name });
  });

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e: { code?: string; cause?: { code?: string } }) => e.cause?.code ?? e.code ?? "?",
  );
}

describe("limit states", () => {
  it.each([
    [0, 10, "ok"],
    [7, 10, "ok"],
    [8, 10, "approaching"],
    [10, 10, "reached"],
    [11, 10, "over"],
    [1_000_000, -1, "ok"],
    [0, 0, "reached"],
  ])("%i of %i is %s", (used, limit, state) => {
    expect(limitState(used, limit)).toBe(state);
  });
});

describe("channels", () => {
  it("at limit − 1 a create passes; at the limit it is refused with LIMIT_EXCEEDED and details", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("lc"));
    await setLimits(tenant.id, { channels: 3 }); // the default #general is one
    expect(await codeOf(createChannel(tenant, "two"))).toBe("ok");
    expect(await codeOf(createChannel(tenant, "three"))).toBe("ok");
    const refused = await createChannel(tenant, "four").catch((e: { code: string; details: unknown }) => e);
    expect(refused).toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { resource: "channels", used: 3, limit: 3 },
    });
    const [n] = await services.db
      .admin`select count(*)::int as n from ${services.db.admin(tenant.schemaName)}.channels`;
    expect(n!.n).toBe(3);
  });

  it("is exact under concurrency: 1 slot left, 50 concurrent creates → 1 channel, 49 LIMIT_EXCEEDED", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("lc50"));
    await setLimits(tenant.id, { channels: 2 });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => codeOf(createChannel(tenant, `c${i}`))),
    );
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "LIMIT_EXCEEDED")).toHaveLength(49);
    const [n] = await services.db
      .admin`select count(*)::int as n from ${services.db.admin(tenant.schemaName)}.channels`;
    expect(n!.n).toBe(2);
  });

  it("unlimited (-1) never blocks; a limit below usage blocks growth and deletes nothing", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("lcu"));
    await setLimits(tenant.id, { channels: -1 });
    for (let i = 0; i < 8; i++) expect(await codeOf(createChannel(tenant, `u${i}`))).toBe("ok");
    await setLimits(tenant.id, { channels: 3 });
    expect(await codeOf(createChannel(tenant, "more"))).toBe("LIMIT_EXCEEDED");
    const [n] = await services.db
      .admin`select count(*)::int as n from ${services.db.admin(tenant.schemaName)}.channels`;
    expect(n!.n).toBe(9);
    const check = await services.tenants.checkLimits(tenant);
    expect(check).toMatchObject({ exceeded: true, limits: ["channels"] });
  });
});

describe("users (members + pending invitations)", () => {
  it("invitations hold seats: at the limit a new invitation is refused", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("lu"));
    await setLimits(tenant.id, { users: 3 });
    expect(await codeOf(client.call((c) => c.members.invite({ email: "a@x.test", role: "member" })))).toBe(
      "ok",
    );
    expect(await codeOf(client.call((c) => c.members.invite({ email: "b@x.test", role: "member" })))).toBe(
      "ok",
    );
    expect(await codeOf(client.call((c) => c.members.invite({ email: "c@x.test", role: "member" })))).toBe(
      "LIMIT_EXCEEDED",
    );
  });

  it("is exact under concurrent accepts: with 1 seat left, 50 invitations accepted at once → 1 member", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("lu50"));
    await setLimits(tenant.id, { users: 100 });
    const tokens: string[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await client.call((c) => c.members.invite({ email: `p${i}@x.test`, role: "member" }));
      tokens.push(r.token);
    }
    // A downgrade: 1 active member (the owner), limit 2 → one seat for 50 pending invitations.
    await setLimits(tenant.id, { users: 2 });
    const outcomes = await Promise.all(
      tokens.map((token, i) =>
        codeOf(services.invitations.accept(tenant, token, { name: `P${i}`, password: "member-password-1" })),
      ),
    );
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "LIMIT_EXCEEDED")).toHaveLength(49);
    const [n] = await services.db.admin`
      select count(*)::int as n from ${services.db.admin(tenant.schemaName)}.users where deactivated_at is null and not is_service`;
    expect(n!.n).toBe(2);
  });
});

describe("API calls per month (API-key traffic only)", () => {
  it("stops key calls at the monthly cap; browser calls are counted but not capped", async () => {
    const { client, tenant } = await tenantWithOwner(services, uniqueSlug("lapi"));
    await services.tenants.updateTenant(tenant.id, { billingPlan: "pro" }, superAdmin);
    await setLimits(tenant.id, { apiCallsPerMonth: 3 });
    await services.resolver.invalidate({ slug: tenant.slug });
    const { key } = await client.call((c) => c.apiKeys.create({ name: "ci", scope: "read" }));
    const bot = new TestClient(services, client.host, "web", { authorization: `Bearer ${key}` });
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await codeOf(bot.call((c) => c.tenant.get())));
    expect(outcomes).toEqual(["ok", "ok", "ok", "LIMIT_EXCEEDED", "LIMIT_EXCEEDED"]);
    for (let i = 0; i < 5; i++) expect(await codeOf(client.call((c) => c.tenant.get()))).toBe("ok");
    await services.usage.flush();
    const [u] = await services.db.admin`
      select api_calls_total::int as total, api_calls_by_endpoint as by from public.tenant_usage
      where tenant_id = ${tenant.id} and period = to_char(now() at time zone 'utc', 'YYYY-MM')`;
    expect(u!.total).toBe(3);
    expect((u!.by as Record<string, number>)["tenant.get"]).toBe(8);
  });
});

describe("checkLimits agrees with the SQL function", () => {
  it("for every resource", async () => {
    const { tenant } = await tenantWithOwner(services, uniqueSlug("agree"));
    await setLimits(tenant.id, { channels: 1 });
    const check = await services.tenants.checkLimits(tenant);
    const rows = await services.db
      .admin`select resource, exceeded from public.check_tenant_limits(${tenant.id})`;
    expect(check.limits).toEqual(rows.filter((r) => r.exceeded).map((r) => r.resource));
    expect(check.atLimit).toContain("channels");
  });
});

describe("system actors", () => {
  it("provisioning is not limited (the owner is the first user)", async () => {
    const { tenant } = await services.tenants.createTenant(
      {
        name: "Zero",
        slug: uniqueSlug("zero"),
        ownerEmail: "o@z.test",
        ownerName: "O",
        ownerPassword: "0123456789ab",
      },
      SYSTEM,
    );
    expect(tenant.id).toBeTruthy();
  });
});
