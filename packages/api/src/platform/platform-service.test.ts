import { PLANS } from "@nchat/billing/plans";
import { uniqueSlug } from "@nchat/db/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../audit/actor";
import { usagePeriod } from "../limits/usage";
import { monthlyRevenue, type OverviewCounts, summarizeOverview } from "./overview";
import { lastMonths, PlatformService } from "./platform-service";
import { admin, createTenant, platform, rejects, services, setUsage, useKit } from "./test-kit";

/** What super admins read in the admin console: the tenants table, a tenant's detail, the overview, the logs. */
useKit();

describe("tenants table", () => {
  const marker = uniqueSlug("pl").replace("-", "");
  let a: Awaited<ReturnType<typeof createTenant>>;
  let b: Awaited<ReturnType<typeof createTenant>>;
  let c: Awaited<ReturnType<typeof createTenant>>;

  beforeAll(async () => {
    a = await createTenant(`${marker}-alpha`, { name: `${marker.toUpperCase()} Alpha` });
    b = await createTenant(`${marker}-beta`, { ownerEmail: `boss-${marker}@example.test` });
    c = await createTenant(`${marker}-gamma`);
    await services.domains.addDomain(c, `chat.${marker}-corp.example`, SYSTEM);
    const period = usagePeriod();
    await setUsage(a.id, period, { messages: 500, activeUsers: 2 });
    await setUsage(b.id, period, { messages: 5, activeUsers: 9 });
    await setUsage(c.id, period, { messages: 50, activeUsers: 1 });
  });

  it("finds tenants by part of a name, slug, owner email or domain, case-insensitively", async () => {
    const slugs = async (q: string) => (await platform.listTenants({ q })).items.map((t) => t.slug).sort();
    expect(await slugs(marker)).toEqual([a.slug, b.slug, c.slug]);
    expect(await slugs(`${marker.toUpperCase()} al`)).toEqual([a.slug]);
    expect(await slugs(`${marker}-be`)).toEqual([b.slug]);
    expect(await slugs(`BOSS-${marker}`)).toEqual([b.slug]);
    expect(await slugs(`chat.${marker}-corp`)).toEqual([c.slug]);
    expect(await slugs(c.id)).toEqual([c.slug]);
    // Anywhere in the name, slug, owner email or domain, not only at the start.
    expect(await slugs(`${marker.slice(2).toUpperCase()} ALPHA`)).toEqual([a.slug]);
    expect(await slugs("lpha")).toContain(a.slug);
    expect(await slugs(`${marker.slice(1)}-gam`)).toEqual([c.slug]);
    expect(await slugs(`ss-${marker}@example`)).toEqual([b.slug]);
    expect(await slugs(`${marker}-corp.exam`)).toEqual([c.slug]);
    // LIKE wildcards in the search match literally.
    expect(await slugs(`${marker}%`)).toEqual([]);
    expect(await slugs(`${marker.slice(0, -1)}_`)).toEqual([]);
  });

  it("lists the page's domains and this month's usage", async () => {
    const { items } = await platform.listTenants({ q: marker, sort: "name", dir: "asc" });
    const gamma = items.find((t) => t.id === c.id)!;
    expect(gamma.domains).toEqual([`chat.${marker}-corp.example`]);
    expect(items.find((t) => t.id === a.id)!.usage).toMatchObject({ messages: 500, activeUsers: 2 });
  });

  it("filters by plan and status", async () => {
    await platform.changePlan(b.id, "pro", admin);
    await platform.suspend(c.id, "Unpaid invoices", admin);
    expect((await platform.listTenants({ q: marker, plan: "pro" })).items.map((t) => t.id)).toEqual([b.id]);
    expect((await platform.listTenants({ q: marker, status: "suspended" })).items.map((t) => t.id)).toEqual([
      c.id,
    ]);
    expect((await platform.listTenants({ q: marker, plan: "enterprise" })).total).toBe(0);
  });

  it("sorts by usage this month or creation, both ways", async () => {
    const ids = async (sort: "messages" | "activeUsers" | "created", dir: "asc" | "desc") =>
      (await platform.listTenants({ q: marker, sort, dir })).items.map((t) => t.id);
    expect(await ids("messages", "desc")).toEqual([a.id, c.id, b.id]);
    expect(await ids("messages", "asc")).toEqual([b.id, c.id, a.id]);
    expect(await ids("activeUsers", "desc")).toEqual([b.id, a.id, c.id]);
    expect(await ids("created", "asc")).toEqual([a.id, b.id, c.id]);
  });

  it("paginates on the server with a total", async () => {
    const p1 = await platform.listTenants({ q: marker, sort: "created", dir: "asc", pageSize: 2, page: 1 });
    const p2 = await platform.listTenants({ q: marker, sort: "created", dir: "asc", pageSize: 2, page: 2 });
    expect(p1).toMatchObject({ total: 3, pageCount: 2, page: 1 });
    expect([...p1.items, ...p2.items].map((t) => t.id)).toEqual([a.id, b.id, c.id]);
  });
});

describe("tenant detail", () => {
  it("shows profile, domains, limits vs usage, usage history and recent audit", async () => {
    const t = await createTenant(uniqueSlug("det"));
    const months = lastMonths(12);
    await setUsage(t.id, months[11]!, { messages: 42, activeUsers: 3 });
    await setUsage(t.id, months[9]!, { messages: 7 });
    const domain = await services.domains.addDomain(t, `${t.slug}.example.org`, SYSTEM);

    const d = await platform.tenant(t.id);
    expect(d.tenant).toMatchObject({ id: t.id, slug: t.slug, plan: "free", status: "active" });
    expect(d.billing).toMatchObject({ mode: "offline", customerId: null, customerUrl: null });
    expect(d.domains).toEqual([
      expect.objectContaining({
        id: domain.id,
        status: "pending",
        record: domain.record,
      }),
    ]);
    // check_tenant_limits under the platform-admin role: the owner and the default channel.
    expect(d.limits).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ resource: "users", used: 1, limit: PLANS.free.limits.users }),
        expect.objectContaining({ resource: "channels", used: 1, limit: PLANS.free.limits.channels }),
      ]),
    );
    expect(d.usageHistory).toHaveLength(12);
    expect(d.usageHistory.map((u) => u.period)).toEqual(months);
    expect(d.usageHistory[11]).toMatchObject({ messages: 42, activeUsers: 3 });
    expect(d.usageHistory[9]).toMatchObject({ messages: 7 });
    expect(d.usageHistory[10]).toMatchObject({ messages: 0 });
    expect(d.audit.map((e) => e.action)).toEqual(["domain.add", "tenant.create"]);
    expect(d.retention).toMatchObject({ days: 30, purgeableAt: null, purgeable: false });
  });

  it("links Stripe ids to the dashboard", async () => {
    const t = await createTenant(uniqueSlug("stripe"));
    await services.db.admin`update public.tenants set stripe_customer_id = ${`cus_${t.slug}`},
      stripe_subscription_id = ${`sub_${t.slug}`} where id = ${t.id}`;
    const offline = await platform.tenant(t.id);
    expect(offline.billing.customerUrl).toBe(`https://dashboard.stripe.com/test/customers/cus_${t.slug}`);
    const live = new PlatformService({
      ...services,
      env: { ...services.env, STRIPE_SECRET_KEY: "sk_live_x" },
    });
    const d = await live.tenant(t.id);
    expect(d.billing).toMatchObject({
      mode: "live",
      customerUrl: `https://dashboard.stripe.com/customers/cus_${t.slug}`,
      subscriptionUrl: `https://dashboard.stripe.com/subscriptions/sub_${t.slug}`,
    });
  });

  it("answers TENANT_NOT_FOUND for unknown ids", async () => {
    expect(await rejects(platform.tenant("00000000-0000-4000-8000-000000000000"))).toMatchObject({
      code: "TENANT_NOT_FOUND",
    });
    expect(await rejects(platform.tenant("not-a-uuid"))).toMatchObject({ code: "TENANT_NOT_FOUND" });
  });
});

describe("overview", () => {
  it("computes MRR per plan from catalog prices: paying statuses only, yearly / 12", () => {
    const counts: OverviewCounts = {
      byPlanStatus: [
        { plan: "pro", status: "active", interval: "month", count: 2 },
        { plan: "pro", status: "active", interval: "year", count: 1 },
        { plan: "pro", status: "trial", interval: "month", count: 5 },
        { plan: "pro", status: "suspended", interval: "month", count: 1 },
        { plan: "enterprise", status: "past_due", interval: "month", count: 1 },
        { plan: "custom", status: "active", interval: "month", count: 1 },
        { plan: "free", status: "active", interval: "month", count: 10 },
        { plan: "free", status: "deleted", interval: "month", count: 3 },
      ],
      signupsPerWeek: [],
      top: [],
      month: { messages: 0, activeUsers: 0, apiCalls: 0, storageBytes: 0, signups: 0 },
    };
    const o = summarizeOverview(counts, "2026-11");
    const pro = o.byPlan.find((p) => p.plan === "pro")!;
    expect(pro).toMatchObject({ tenants: 9, paying: 3, mrrCents: Math.round(2 * 4_900 + 49_000 / 12) });
    expect(o.byPlan.find((p) => p.plan === "enterprise")).toMatchObject({ mrrCents: 19_900, paying: 1 });
    expect(o.byPlan.find((p) => p.plan === "custom")).toMatchObject({ mrrCents: 0, priceOnRequest: 1 });
    // Free tenants are active but pay nothing: never "paying".
    expect(o.byPlan.find((p) => p.plan === "free")).toMatchObject({ mrrCents: 0, tenants: 13, paying: 0 });
    expect(o.byPlan.find((p) => p.plan === "custom")).toMatchObject({ paying: 1 });
    expect(o.totals).toMatchObject({ tenants: 24, paying: 5, mrrCents: pro.mrrCents + 19_900 });
    expect(o.byStatus.find((s) => s.status === "active")?.count).toBe(14);
    expect(monthlyRevenue("pro", "year")).toBeCloseTo(49_000 / 12);
  });

  it("reads counts, weekly signups and the top tenants of the month from the database", async () => {
    const t = await createTenant(uniqueSlug("top"));
    await setUsage(t.id, usagePeriod(), { messages: 9_000_000_000 });
    const o = await platform.overview();
    expect(o.top[0]).toMatchObject({ id: t.id, messages: 9_000_000_000 });
    expect(o.signupsPerWeek).toHaveLength(12);
    expect(o.signupsPerWeek.at(-1)!.count).toBeGreaterThanOrEqual(1);
    expect(o.totals.tenants).toBeGreaterThanOrEqual(1);
    expect(o.totals.signups).toBeGreaterThanOrEqual(1);
    expect(o.byPlan.map((p) => p.plan)).toEqual(["free", "pro", "enterprise", "custom"]);
  });
});

describe("logs", () => {
  it("filters the audit log by tenant, actor, action and date range, with a cursor", async () => {
    const t = await createTenant(uniqueSlug("logs"));
    await platform.changePlan(t.id, "pro", admin);
    await platform.suspend(t.id, "Chargeback", admin);
    const bySlug = await platform.auditLog({ tenant: t.slug });
    expect(bySlug.items.map((e) => e.action)).toEqual([
      "tenant.status_suspended",
      "tenant.plan_change",
      "tenant.create",
    ]);
    expect(bySlug.items[0]).toMatchObject({ tenantSlug: t.slug, tenantName: t.name });
    expect((await platform.auditLog({ tenant: t.slug, actor: "system" })).items.map((e) => e.action)).toEqual(
      ["tenant.create"],
    );
    expect(
      (await platform.auditLog({ tenant: t.slug, actor: "ROOT@platform" })).items.map((e) => e.action),
    ).toEqual(["tenant.status_suspended", "tenant.plan_change"]);
    expect((await platform.auditLog({ tenant: t.id, action: "tenant.status_*" })).items).toHaveLength(1);
    expect((await platform.auditLog({ tenant: t.id, action: "tenant.status" })).items).toHaveLength(0);
    const future = new Date(Date.now() + 3_600_000);
    expect((await platform.auditLog({ tenant: t.id, from: future })).items).toHaveLength(0);
    expect((await platform.auditLog({ tenant: t.id, until: future })).items).toHaveLength(3);

    const p1 = await platform.auditLog({ tenant: t.id, limit: 2 });
    const p2 = await platform.auditLog({ tenant: t.id, limit: 2, cursor: p1.nextCursor! });
    expect(p2.nextCursor).toBeNull();
    expect([...p1.items, ...p2.items].map((e) => e.id)).toEqual(bySlug.items.map((e) => e.id));
  });

  it("lists Stripe webhook events by status with a keyset cursor, payload on demand", async () => {
    const t = await createTenant(uniqueSlug("wh"));
    const prefix = `evt_${t.slug.replaceAll("-", "")}`;
    for (const [i, status] of ["processed", "failed", "failed"].entries()) {
      await services.db.admin`
        insert into public.stripe_webhooks (id, type, tenant_id, status, error, payload, received_at)
        values (${`${prefix}_${i}`}, 'invoice.payment_failed', ${t.id}, ${status},
                ${status === "failed" ? "card declined" : null}, ${JSON.stringify({ i })}::jsonb,
                now() - make_interval(mins => ${i}))`;
    }
    const all = await platform.webhooks({ tenant: t.slug });
    expect(all.items.map((e) => e.id)).toEqual([`${prefix}_0`, `${prefix}_1`, `${prefix}_2`]);
    expect(all.items[0]).not.toHaveProperty("payload");
    expect(all.statuses.map((s) => s.status)).toEqual(expect.arrayContaining(["failed", "processed"]));
    const failed = await platform.webhooks({ tenant: t.id, status: "failed", limit: 1 });
    expect(failed.items.map((e) => e.id)).toEqual([`${prefix}_1`]);
    const next = await platform.webhooks({
      tenant: t.id,
      status: "failed",
      limit: 1,
      cursor: failed.nextCursor!,
    });
    expect(next.items.map((e) => e.id)).toEqual([`${prefix}_2`]);
    expect(next.nextCursor).toBeNull();
    expect((await platform.webhooks({ tenant: t.id, type: "invoice.*" })).items).toHaveLength(3);
    expect(await platform.webhook(`${prefix}_1`)).toMatchObject({
      payload: { i: 1 },
      error: "card declined",
      tenantSlug: t.slug,
    });
    expect(await rejects(platform.webhook("evt_missing"))).toMatchObject({ code: "NOT_FOUND" });
  });
});
