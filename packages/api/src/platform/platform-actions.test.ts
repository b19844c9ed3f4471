import { type Feature, PLANS } from "@nchat/billing/plans";
import { uniqueSlug } from "@nchat/db/testing";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { parseInput } from "../errors";
import { customPlanInput, suspendReason } from "./inputs";
import { PlatformService } from "./platform-service";
import { admin, auditOf, createTenant, platform, rejects, services, txt, useKit } from "./test-kit";

/** What super admins do to a tenant: plan, Custom limits, suspension, deletion and purge, cache, domains. */
useKit();

describe("actions", () => {
  it("changes the plan (limits and features follow), audited as the super admin", async () => {
    const t = await createTenant(uniqueSlug("plan"));
    const { tenant: updated, pendingPayment } = await platform.changePlan(t.id, "enterprise", admin);
    expect(pendingPayment).toBeNull(); // offline billing: applied at once
    expect(updated).toMatchObject({ billingPlan: "enterprise", limits: PLANS.enterprise.limits });
    const [entry] = await auditOf(t.id);
    expect(entry).toMatchObject({
      action: "tenant.plan_change",
      actorType: "super_admin",
      actorEmail: admin.email,
      before: expect.objectContaining({ billingPlan: "free" }),
      after: expect.objectContaining({ billingPlan: "enterprise" }),
    });
    expect(await rejects(platform.changePlan(t.id, "enterprise", admin))).toMatchObject({ code: "CONFLICT" });
    expect((await services.resolver.bySlug(t.slug))?.plan).toBe("enterprise");
  });

  it("sets Custom limits and features, validated", async () => {
    const t = await createTenant(uniqueSlug("cust"));
    const features = Object.fromEntries(
      Object.keys(PLANS.custom.features).map((f) => [f, f !== "sso"]),
    ) as Record<Feature, boolean>;
    const limits = { users: 250, channels: -1, storageGb: 2.5, apiCallsPerMonth: 1_000_000, maxUploadMb: 50 };
    for (const bad of [
      { limits: { ...limits, users: -2 }, features },
      { limits: { ...limits, storageGb: -0.5 }, features },
      { limits: { ...limits, users: 1.5 }, features },
      { limits: { users: 1 }, features },
      { limits, features: { ...features, teleport: true } },
      { limits, features: { sso: true } },
    ]) {
      // As the admin procedure calls it: its input schema first.
      const setCustom = async () => platform.setCustomPlan(t.id, parseInput(customPlanInput, bad), admin);
      expect(await rejects(setCustom())).toMatchObject({
        code: "VALIDATION_FAILED",
      });
    }
    const updated = await platform.setCustomPlan(t.id, { limits, features }, admin);
    expect(updated).toMatchObject({ billingPlan: "custom", limits, features });
    expect((await auditOf(t.id))[0]?.action).toBe("tenant.plan_change");

    const again = await platform.setCustomPlan(t.id, { limits: { ...limits, users: 300 }, features }, admin);
    expect(again.limits.users).toBe(300);
    expect((await auditOf(t.id))[0]).toMatchObject({
      action: "tenant.update",
      before: expect.objectContaining({ limits: expect.objectContaining({ users: 250 }) }),
      after: expect.objectContaining({ limits: expect.objectContaining({ users: 300 }) }),
    });
  });

  it("suspends with a reason (in the audit entry) and reactivates", async () => {
    const t = await createTenant(uniqueSlug("susp"));
    await services.resolver.bySlug(t.slug); // cached as active
    const suspend = async (reason: string) =>
      platform.suspend(t.id, parseInput(suspendReason, reason), admin);
    expect(await rejects(suspend(" "))).toMatchObject({ code: "VALIDATION_FAILED" });
    await platform.suspend(t.id, "Terms of service violation", admin);
    expect((await services.resolver.bySlug(t.slug))?.status).toBe("suspended");
    expect((await auditOf(t.id))[0]).toMatchObject({
      action: "tenant.status_suspended",
      after: expect.objectContaining({ status: "suspended", reason: "Terms of service violation" }),
    });
    expect((await platform.tenant(t.id)).suspension).toMatchObject({
      reason: "Terms of service violation",
      by: admin.email,
    });
    expect(await rejects(platform.suspend(t.id, "again", admin))).toMatchObject({ code: "CONFLICT" });

    await platform.reactivate(t.id, admin);
    expect((await services.resolver.bySlug(t.slug))?.status).toBe("active");
    expect((await auditOf(t.id))[0]?.action).toBe("tenant.status_active");
    expect((await platform.tenant(t.id)).suspension).toBeNull();
    expect(await rejects(platform.reactivate(t.id, admin))).toMatchObject({ code: "CONFLICT" });
  });

  it("soft deletes and restores", async () => {
    const t = await createTenant(uniqueSlug("del"));
    await platform.softDelete(t.id, admin);
    expect((await services.resolver.bySlug(t.slug))?.status).toBe("deleted");
    expect(await rejects(platform.changePlan(t.id, "pro", admin))).toMatchObject({ code: "CONFLICT" });
    expect(await rejects(platform.softDelete(t.id, admin))).toMatchObject({ code: "CONFLICT" });
    await platform.restore(t.id, admin);
    expect((await services.resolver.bySlug(t.slug))?.status).toBe("active");
    expect((await auditOf(t.id)).slice(0, 2).map((e) => e.action)).toEqual([
      "tenant.restore",
      "tenant.delete",
    ]);
  });

  it("purges only deleted tenants past the retention period, with the slug typed", async () => {
    const t = await createTenant(uniqueSlug("purge"));
    expect(await rejects(platform.purge(t.id, t.slug, admin))).toMatchObject({ code: "CONFLICT" });
    await platform.softDelete(t.id, admin);
    const early = await rejects(platform.purge(t.id, t.slug, admin));
    expect(early).toMatchObject({ code: "CONFLICT" });
    expect(early.message).toMatch(/30 days after deletion/);
    expect((await platform.tenant(t.id)).retention.purgeable).toBe(false);

    await services.db
      .admin`update public.tenants set deleted_at = now() - interval '31 days' where id = ${t.id}`;
    expect((await platform.tenant(t.id)).retention.purgeable).toBe(true);
    expect(await rejects(platform.purge(t.id, "wrong-slug", admin))).toMatchObject({
      code: "VALIDATION_FAILED",
    });
    expect(await platform.purge(t.id, t.slug, admin)).toEqual({ id: t.id, slug: t.slug });

    expect(await services.tenants.getTenantById(t.id)).toBeNull();
    const [schema] = await services.db.admin`select 1 from pg_namespace where nspname = ${t.schemaName}`;
    expect(schema).toBeUndefined();
    const purged = await platform.auditLog({ action: "tenant.purge", actor: admin.email, limit: 200 });
    expect(purged.items.find((e) => e.resourceId === t.id)).toMatchObject({
      tenantId: null,
      before: { slug: t.slug, name: t.name },
    });
    expect(await rejects(platform.purge(t.id, t.slug, admin))).toMatchObject({ code: "TENANT_NOT_FOUND" });
  });

  it("purges at once when the retention period is 0 days", async () => {
    const zero = new PlatformService({ ...services, env: { ...services.env, RETENTION_DAYS: 0 } });
    const t = await createTenant(uniqueSlug("zero"));
    await zero.softDelete(t.id, admin);
    await zero.purge(t.id, t.slug, admin);
    expect(await services.tenants.getTenantById(t.id)).toBeNull();
  });

  it("forces cache invalidation in every layer (audited)", async () => {
    const t = await createTenant(uniqueSlug("cache"));
    expect((await services.resolver.bySlug(t.slug))?.name).toBe(t.name);
    // A change behind the services' back: the cache keeps serving the old name...
    await services.db.admin`update public.tenants set name = 'Renamed Directly' where id = ${t.id}`;
    expect((await services.resolver.bySlug(t.slug))?.name).toBe(t.name);
    // ...until a super admin invalidates it.
    expect(await platform.invalidateCache(t.id, admin)).toEqual({ slug: t.slug, domains: [] });
    expect((await services.resolver.bySlug(t.slug))?.name).toBe("Renamed Directly");
    expect((await auditOf(t.id))[0]).toMatchObject({
      action: "tenant.cache_invalidate",
      actorEmail: admin.email,
    });
  });

  it("re-runs domain verification as the platform (audited by the domain service)", async () => {
    const t = await createTenant(uniqueSlug("dom"));
    const d = await services.domains.addDomain(t, `chat.${t.slug}.example.net`, SYSTEM);
    const failed = await platform.verifyDomain(t.id, d.id, admin);
    expect(failed).toMatchObject({ status: "pending", lastError: expect.stringMatching(/not found/) });
    txt.set(d.record.name, [d.record.value]);
    expect(await platform.verifyDomain(t.id, d.id, admin)).toMatchObject({
      status: "verified",
      lastError: null,
    });
    expect((await auditOf(t.id)).slice(0, 2).map((e) => [e.action, e.actorType])).toEqual([
      ["domain.verify", "super_admin"],
      ["domain.verify_failed", "super_admin"],
    ]);
    expect((await services.resolver.byDomain(d.domain))?.id).toBe(t.id);
  });
});
