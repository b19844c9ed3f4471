import { PLANS } from "@nchat/billing/plans";
import { testDatabase, testMasterKey, uniqueSlug } from "@nchat/db/testing";
import { afterAll, describe, expect, it } from "vitest";
import { type Actor, isPlatformActor, SYSTEM } from "../audit/actor";
import { parseInput } from "../errors";
import { verifyPassword } from "../passwords";
import { expectCode } from "../testing";
import { createTenantInput, ownerUpdateInput, platformUpdateInput, TenantService } from "./tenant-service";

const db = testDatabase();
const changed: string[] = [];
const service = new TenantService({
  db,
  masterKey: testMasterKey,
  onTenantChanged: (t) => void changed.push(t.id),
});
afterAll(() => db.close());

/** As the sign-up procedure and the REST route call the service: the body parsed by its schema first. */
const createTenant = async (
  raw: unknown,
  actor: Actor,
  opts?: Parameters<TenantService["createTenant"]>[2],
) => service.createTenant(parseInput(createTenantInput, raw), actor, opts);
/** As the owner's procedure, the REST route and the admin app call it: the owner's schema, or the platform's. */
const updateTenant = async (id: string, raw: unknown, actor: Actor) =>
  service.updateTenant(
    id,
    parseInput(isPlatformActor(actor) ? platformUpdateInput : ownerUpdateInput, raw),
    actor,
  );

const request = (slug: string, over: Record<string, unknown> = {}) => ({
  name: "Acme Inc",
  slug,
  ownerEmail: "Owner@Acme.test",
  ownerName: "Olivia Owner",
  ownerPassword: "correct horse battery",
  ...over,
});

async function tenantCount(slug: string) {
  const [r] = await db.admin`select count(*)::int as n from public.tenants where slug = ${slug}`;
  return r!.n as number;
}

const superAdmin: Actor = { type: "super_admin", id: "sa-1", email: "root@nchat.test" };

describe("TenantService.createTenant", () => {
  it("creates a Free tenant with a hashed owner password, ignoring any plan, limits or features in the body", async () => {
    const slug = uniqueSlug("acme");
    const { tenant, ownerId } = await createTenant(
      request(slug, {
        plan: "enterprise",
        billingPlan: "enterprise",
        limits: { users: 1e9 },
        features: { sso: true },
      }),
      SYSTEM,
    );
    expect(tenant).toMatchObject({
      slug,
      billingPlan: "free",
      status: "active",
      ownerEmail: "owner@acme.test",
    });
    expect(tenant.limits).toEqual(PLANS.free.limits);
    expect(tenant.features).toEqual(PLANS.free.features);
    const [owner] =
      await db.admin`select password_hash from ${db.admin(tenant.schemaName)}.users where id = ${ownerId}`;
    expect(owner!.password_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(owner!.password_hash, "correct horse battery")).toBe(true);
    expect(await verifyPassword(owner!.password_hash, "wrong")).toBe(false);
  });

  it("starts a trial when asked", async () => {
    const { tenant } = await createTenant(request(uniqueSlug("trial")), SYSTEM, { trialDays: 14 });
    expect(tenant.status).toBe("trial");
    expect(tenant.trialEndsAt!.getTime()).toBeGreaterThan(Date.now() + 13 * 86_400_000);
  });

  it.each([
    ["uppercase", "Acme", "SLUG_INVALID"],
    ["too short", "ab", "SLUG_INVALID"],
    ["too long", `a${"b".repeat(42)}`, "SLUG_INVALID"],
    ["double hyphen", "ac--me", "SLUG_INVALID"],
    ["trailing hyphen", "acme-", "SLUG_INVALID"],
    ["underscore", "ac_me", "SLUG_INVALID"],
    ["SQL", "x'; drop table tenants; --", "SLUG_INVALID"],
    ["empty", "", "SLUG_INVALID"],
    ["reserved admin", "admin", "SLUG_RESERVED"],
    ["reserved www", "www", "SLUG_RESERVED"],
  ])("refuses a slug that is %s with a typed error and creates nothing", async (_why, slug, code) => {
    const err = await expectCode(createTenant(request(slug), SYSTEM), code);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/workspace address/);
    expect(await tenantCount(slug)).toBe(0);
  });

  it.each([
    ["a bad email", { ownerEmail: "not-an-email" }],
    ["a short password", { ownerPassword: "short" }],
    ["an empty name", { name: " " }],
    ["a missing owner name", { ownerName: undefined }],
  ])("refuses %s with VALIDATION_FAILED and field details", async (_why, over) => {
    const slug = uniqueSlug("val");
    const err = await expectCode(createTenant(request(slug, over), SYSTEM), "VALIDATION_FAILED");
    expect(err.details?.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: expect.any(String) })]),
    );
    expect(await tenantCount(slug)).toBe(0);
  });

  it("answers SLUG_TAKEN (409) for a duplicate, also under concurrency", async () => {
    const slug = uniqueSlug("dup");
    const results = await Promise.allSettled([
      createTenant(request(slug), SYSTEM),
      createTenant(request(slug), SYSTEM),
      createTenant(request(slug), SYSTEM),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "SLUG_TAKEN", status: 409 });
    }
    expect(await tenantCount(slug)).toBe(1);
  });
});

describe("TenantService lookups", () => {
  it("finds by id and slug; unknown, malformed and reserved inputs give null", async () => {
    const { tenant } = await createTenant(request(uniqueSlug("find")), SYSTEM);
    expect((await service.getTenantById(tenant.id))?.slug).toBe(tenant.slug);
    expect((await service.getTenantBySlug(tenant.slug))?.id).toBe(tenant.id);
    expect(await service.getTenantById("not-a-uuid")).toBeNull();
    expect(await service.getTenantById("00000000-0000-4000-8000-000000000000")).toBeNull();
    expect(await service.getTenantBySlug("admin")).toBeNull();
    expect(await service.getTenantBySlug("x' or 1=1 --")).toBeNull();
  });

  it("finds by custom domain only once the domain is verified", async () => {
    const { tenant } = await createTenant(request(uniqueSlug("dom")), SYSTEM);
    const domain = `chat.${tenant.slug}.example`;
    await db.admin`insert into public.tenant_domains (tenant_id, domain, verification_token) values (${tenant.id}, ${domain}, 't')`;
    expect(await service.getTenantByDomain(domain)).toBeNull();
    await db.admin`update public.tenant_domains set status = 'verified' where domain = ${domain}`;
    expect((await service.getTenantByDomain(`CHAT.${tenant.slug.toUpperCase()}.example.`))?.id).toBe(
      tenant.id,
    );
  });
});

describe("TenantService.updateTenant", () => {
  it("lets the owner change name and branding, audited with before and after", async () => {
    const { tenant, ownerId } = await createTenant(request(uniqueSlug("upd")), SYSTEM);
    const owner: Actor = { type: "user", id: ownerId, role: "owner", ip: "203.0.113.9", userAgent: "vitest" };
    const updated = await updateTenant(
      tenant.id,
      { name: "Acme Renamed", branding: { primaryColor: "#112233" } },
      owner,
    );
    expect(updated).toMatchObject({ name: "Acme Renamed", branding: { primaryColor: "#112233" } });
    expect(changed).toContain(tenant.id);
    const [audit] = await db.admin`
      select actor_type, actor_id, ip, user_agent, before, after from public.tenant_audit_logs
      where tenant_id = ${tenant.id} and action = 'tenant.update'`;
    expect(audit).toMatchObject({
      actor_type: "user",
      actor_id: ownerId,
      ip: "203.0.113.9",
      user_agent: "vitest",
      before: { name: "Acme Inc", branding: {} },
      after: { name: "Acme Renamed", branding: { primaryColor: "#112233" } },
    });
  });

  it.each([
    ["plan", { billingPlan: "enterprise" }],
    ["limits", { limits: { users: -1, channels: -1, storageGb: -1, apiCallsPerMonth: -1, maxUploadMb: 1 } }],
    ["features", { features: { sso: true } }],
    ["status", { status: "active" }],
    ["Stripe fields", { stripeCustomerId: "cus_123" }],
  ])("refuses an owner's attempt to change %s and changes nothing", async (_what, patch) => {
    const { tenant, ownerId } = await createTenant(request(uniqueSlug("self")), SYSTEM);
    await expectCode(
      updateTenant(tenant.id, patch, { type: "user", id: ownerId, role: "owner" }),
      "VALIDATION_FAILED",
    );
    const after = await service.getTenantById(tenant.id);
    expect(after).toMatchObject({
      billingPlan: "free",
      limits: PLANS.free.limits,
      status: "active",
      stripeCustomerId: null,
    });
  });

  it("clears branding with an empty field (the key is removed) and takes https:// logos only", async () => {
    const { tenant, ownerId } = await createTenant(request(uniqueSlug("brand")), SYSTEM);
    const owner: Actor = { type: "user", id: ownerId, role: "owner" };
    const set = await updateTenant(
      tenant.id,
      {
        branding: {
          appName: "Rockets",
          logoUrl: "https://cdn.example.com/logo.png",
          primaryColor: "#112233",
        },
      },
      owner,
    );
    expect(set.branding).toEqual({
      appName: "Rockets",
      logoUrl: "https://cdn.example.com/logo.png",
      primaryColor: "#112233",
    });
    // As the settings form sends it: every field, the cleared ones empty (or blank).
    const cleared = await updateTenant(
      tenant.id,
      { branding: { appName: "  ", logoUrl: "", primaryColor: "#112233" } },
      owner,
    );
    expect(cleared.branding).toEqual({ primaryColor: "#112233" });
    expect((await service.getTenantById(tenant.id))?.branding).toEqual({ primaryColor: "#112233" });

    for (const logoUrl of [
      "http://cdn.example.com/logo.png",
      "javascript:alert(1)",
      "ftp://x.example/l.png",
    ]) {
      const err = await expectCode(
        updateTenant(tenant.id, { branding: { logoUrl } }, owner),
        "VALIDATION_FAILED",
      );
      expect(err.details?.fields).toEqual([
        { path: "branding.logoUrl", message: "Use an https:// image address." },
      ]);
    }
    expect((await service.getTenantById(tenant.id))?.branding).toEqual({ primaryColor: "#112233" });
  });

  it("audits only what changed, and a save that changes nothing leaves no entry", async () => {
    const { tenant, ownerId } = await createTenant(request(uniqueSlug("noop")), SYSTEM);
    const owner: Actor = { type: "user", id: ownerId, role: "owner" };
    const entries = async () =>
      db.admin<{ action: string; before: unknown; after: unknown }[]>`
        select action, before, after from public.tenant_audit_logs
        where tenant_id = ${tenant.id} and action <> 'tenant.create' order by id`;
    const settings = {
      sessionTimeoutMinutes: 60 * 24 * 14,
      allowGuestAccess: false,
      allowedEmailDomains: [],
      messageRetentionDays: null,
      require2fa: false,
    };
    // The whole security form saved unchanged, and the name saved unchanged: nothing recorded.
    await updateTenant(tenant.id, { name: "Acme Inc", settings }, owner);
    await updateTenant(tenant.id, { branding: {} }, owner);
    expect(await entries()).toEqual([]);

    // One field changed among five: the entry names that one only.
    await updateTenant(tenant.id, { settings: { ...settings, sessionTimeoutMinutes: 60 * 24 } }, owner);
    await updateTenant(tenant.id, { name: "Acme 2", branding: { appName: "" } }, owner);
    expect(await entries()).toEqual([
      {
        action: "settings.update",
        before: { sessionTimeoutMinutes: 60 * 24 * 14 },
        after: { sessionTimeoutMinutes: 60 * 24 },
      },
      { action: "tenant.update", before: { name: "Acme Inc" }, after: { name: "Acme 2" } },
    ]);
    // A super admin re-applying the current plan changes nothing either.
    await updateTenant(tenant.id, { billingPlan: "free", status: "active" }, superAdmin);
    expect(await entries()).toHaveLength(2);
  });

  it("refuses members and admins", async () => {
    const { tenant } = await createTenant(request(uniqueSlug("mem")), SYSTEM);
    await expectCode(
      updateTenant(tenant.id, { name: "Nope" }, { type: "user", id: "u", role: "admin" }),
      "FORBIDDEN",
    );
  });

  it("lets a super admin change the plan (limits and features follow) and suspend", async () => {
    const { tenant } = await createTenant(request(uniqueSlug("plan")), SYSTEM);
    const pro = await updateTenant(tenant.id, { billingPlan: "pro" }, superAdmin);
    expect(pro).toMatchObject({ billingPlan: "pro", limits: PLANS.pro.limits, features: PLANS.pro.features });
    const suspended = await updateTenant(tenant.id, { status: "suspended" }, superAdmin);
    expect(suspended.status).toBe("suspended");
    expect(suspended.suspendedAt).toBeInstanceOf(Date);
    const actions =
      await db.admin`select action, actor_type from public.tenant_audit_logs where tenant_id = ${tenant.id} order by id`;
    expect(actions.map((a) => a.action)).toEqual([
      "tenant.create",
      "tenant.plan_change",
      "tenant.status_suspended",
    ]);
  });
});

describe("TenantService delete, restore, purge", () => {
  it("soft-deletes (kept, marked deleted), restores to the earlier status, and purges for good", async () => {
    const { tenant, ownerId } = await createTenant(request(uniqueSlug("del")), SYSTEM);
    await expectCode(
      service.deleteTenant(tenant.id, { type: "user", id: ownerId, role: "member" }),
      "FORBIDDEN",
    );
    await service.deleteTenant(tenant.id, { type: "user", id: ownerId, role: "owner" });
    const deleted = await service.getTenantById(tenant.id);
    expect(deleted).toMatchObject({ status: "deleted", deletedAt: expect.any(Date) });
    await expectCode(service.deleteTenant(tenant.id, superAdmin), "TENANT_NOT_FOUND");
    await expectCode(
      service.restoreTenant(tenant.id, { type: "user", id: ownerId, role: "owner" }),
      "FORBIDDEN",
    );
    expect((await service.restoreTenant(tenant.id, superAdmin)).status).toBe("active");
    await expectCode(
      service.purgeTenant(tenant.id, { type: "user", id: ownerId, role: "owner" }),
      "FORBIDDEN",
    );
    expect(await service.purgeTenant(tenant.id, superAdmin)).toBe(true);
    expect(await service.getTenantById(tenant.id)).toBeNull();
    const [audit] =
      await db.admin`select count(*)::int as n from public.tenant_audit_logs where action = 'tenant.purge' and resource_id = ${tenant.id}`;
    expect(audit!.n).toBe(1);
  });
});

describe("TenantService.checkLimits", () => {
  it("agrees with check_tenant_limits", async () => {
    const { tenant } = await createTenant(request(uniqueSlug("chk")), SYSTEM);
    const free = await service.checkLimits(tenant);
    expect(free).toMatchObject({ exceeded: false, limits: [], atLimit: [] });
    await db.admin.unsafe(
      `insert into "${tenant.schemaName}".channels (name) select 'c' || g from generate_series(1, 5) g`,
    );
    const over = await service.checkLimits(tenant);
    const sqlRows =
      await db.admin`select resource from public.check_tenant_limits(${tenant.id}) where exceeded`;
    expect(over).toMatchObject({ exceeded: true, limits: ["channels"], atLimit: ["channels"] });
    expect(sqlRows.map((r) => r.resource)).toEqual(over.limits);
    expect(over.resources.find((r) => r.resource === "channels")).toMatchObject({
      used: 6,
      limit: 5,
      remaining: 0,
    });
  });
});
