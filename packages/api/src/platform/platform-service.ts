import { FEATURES, type Feature, PLAN_IDS, PLANS, type PlanId } from "@nchat/billing/plans";
import type { Env } from "@nchat/config";
import type { Database } from "@nchat/db";
import { withPlatformAdmin } from "@nchat/db";
import { type Tenant, tenantAuditLogs, tenantDomains, tenantUsage } from "@nchat/db/public";
import { and, asc, desc, eq, gte } from "drizzle-orm";
import type { z } from "zod";
import { type Actor, audit } from "../audit/actor";
import type { BillingService } from "../billing/billing-service";
import type { DomainService } from "../domains/domain-service";
import { verificationRecord } from "../domains/domain-service";
import { AppError } from "../errors";
import { checkTenantLimits, type ResourceLimit } from "../limits/limits";
import { platformOffFeatures } from "../limits/platform-features";
import { usagePeriod } from "../limits/usage";
import type { TenantResolver } from "../tenancy/resolver";
import type { TenantService } from "../tenants/tenant-service";
import type { AuditLogInput, customPlanInput, ListTenantsInput, WebhookListInput } from "./inputs";
import { monthlyRevenue, overviewQuery, PAYING_STATUSES, summarizeOverview } from "./overview";
import { auditLogQuery, listTenantsQuery, webhookListQuery, webhookQuery } from "./platform-queries";

export type { ResourceLimit } from "../limits/limits";

/** What the platform service works with: the other services do the writes (audit, cache invalidation). */
export type PlatformDeps = {
  db: Database;
  env: Env;
  tenants: TenantService;
  domains: DomainService;
  resolver: TenantResolver;
  billing: BillingService;
};

/** A month of a tenant's usage (UTC month "YYYY-MM"); missing months are zeros. */
export type UsageMonth = {
  period: string;
  messages: number;
  activeUsers: number;
  users: number;
  storageBytes: number;
  apiCalls: number;
  files: number;
};

/** The last `n` UTC months, oldest first, ending with the month of `at`. */
export function lastMonths(n: number, at = new Date()): string[] {
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - i, 1));
    out.push(usagePeriod(d));
  }
  return out;
}

const notFound = () => new AppError("TENANT_NOT_FOUND", "No such workspace.");

/**
 * What super admins see and do in the admin console. Reads run under the platform-admin role;
 * every change goes through TenantService or DomainService, which audit it and invalidate caches.
 */
export class PlatformService {
  constructor(private readonly s: PlatformDeps) {}

  get retentionDays(): number {
    return this.s.env.RETENTION_DAYS;
  }

  /** The plan catalog and the feature list, for the console's forms. */
  catalog() {
    return {
      plans: PLAN_IDS.map((id) => ({
        id,
        name: PLANS[id].name,
        price: PLANS[id].price,
        limits: PLANS[id].limits,
        features: PLANS[id].features,
      })),
      features: [...FEATURES] as Feature[],
      retentionDays: this.retentionDays,
    };
  }

  listTenants(input: ListTenantsInput) {
    return withPlatformAdmin(this.s.db, (tx) => listTenantsQuery(tx, input));
  }

  auditLog(input: AuditLogInput) {
    return withPlatformAdmin(this.s.db, (tx) => auditLogQuery(tx, input));
  }

  webhooks(input: WebhookListInput) {
    return withPlatformAdmin(this.s.db, (tx) => webhookListQuery(tx, input));
  }

  async webhook(id: string) {
    const row = await withPlatformAdmin(this.s.db, (tx) => webhookQuery(tx, id));
    if (!row) throw new AppError("NOT_FOUND", "No such Stripe event.");
    return row;
  }

  /** Everything the tenant page shows. */
  async tenant(id: string) {
    const t = await this.s.tenants.getTenantById(id);
    if (!t) throw notFound();
    const months = lastMonths(12);
    const { domains, usage, audit, suspension } = await withPlatformAdmin(this.s.db, async (tx) => {
      const [domains, usage, audit, [suspension]] = await Promise.all([
        tx
          .select()
          .from(tenantDomains)
          .where(eq(tenantDomains.tenantId, id))
          .orderBy(asc(tenantDomains.domain)),
        tx
          .select()
          .from(tenantUsage)
          .where(and(eq(tenantUsage.tenantId, id), gte(tenantUsage.period, months[0]!)))
          .orderBy(asc(tenantUsage.period)),
        tx
          .select()
          .from(tenantAuditLogs)
          .where(eq(tenantAuditLogs.tenantId, id))
          .orderBy(desc(tenantAuditLogs.id))
          .limit(20),
        t.status === "suspended"
          ? tx
              .select()
              .from(tenantAuditLogs)
              .where(
                and(eq(tenantAuditLogs.tenantId, id), eq(tenantAuditLogs.action, "tenant.status_suspended")),
              )
              .orderBy(desc(tenantAuditLogs.id))
              .limit(1)
          : Promise.resolve([]),
      ]);
      return { domains, usage, audit, suspension };
    });
    const byPeriod = new Map(usage.map((u) => [u.period, u]));
    const purgeableAt = t.deletedAt
      ? new Date(t.deletedAt.getTime() + this.retentionDays * 86_400_000)
      : null;
    return {
      tenant: {
        id: t.id,
        name: t.name,
        slug: t.slug,
        status: t.status,
        plan: t.billingPlan,
        billingInterval: t.billingInterval,
        ownerId: t.ownerId,
        ownerEmail: t.ownerEmail,
        ownerName: t.ownerName,
        schemaName: t.schemaName,
        branding: t.branding,
        limits: t.limits,
        features: t.features,
        createdAt: t.createdAt,
        updatedAt: t.updatedAt,
        trialEndsAt: t.trialEndsAt,
        suspendedAt: t.suspendedAt,
        deletedAt: t.deletedAt,
        host: `${t.slug}.${this.s.env.NEXT_PUBLIC_BASE_DOMAIN}`,
      },
      /** Features this platform has off (with the setting that turns them on), whatever the plan. */
      platformOff: platformOffFeatures(this.s.env),
      billing: {
        mode: this.stripeMode(),
        customerId: t.stripeCustomerId,
        subscriptionId: t.stripeSubscriptionId,
        priceId: t.stripePriceId,
        customerUrl: t.stripeCustomerId ? this.stripeUrl(`customers/${t.stripeCustomerId}`) : null,
        subscriptionUrl: t.stripeSubscriptionId
          ? this.stripeUrl(`subscriptions/${t.stripeSubscriptionId}`)
          : null,
        currentPeriodStart: t.currentPeriodStart,
        currentPeriodEnd: t.currentPeriodEnd,
        cancelAtPeriodEnd: t.cancelAtPeriodEnd,
        lastPaymentDate: t.lastPaymentDate,
        lastPaymentAmount: t.lastPaymentAmount,
        lastPaymentStatus: t.lastPaymentStatus,
        monthlyRevenue: PAYING_STATUSES.includes(t.status)
          ? monthlyRevenue(t.billingPlan, t.billingInterval)
          : 0,
      },
      domains: domains.map((d) => ({
        id: d.id,
        domain: d.domain,
        status: d.status,
        verifiedAt: d.verifiedAt,
        lastCheckedAt: d.lastCheckedAt,
        lastError: d.lastError,
        createdAt: d.createdAt,
        record: verificationRecord(d.domain, d.verificationToken),
      })),
      limits: await this.limits(t),
      usageHistory: months.map((period): UsageMonth => {
        const u = byPeriod.get(period);
        return {
          period,
          messages: u?.messagesSent ?? 0,
          activeUsers: u?.usersActive ?? 0,
          users: u?.usersTotal ?? 0,
          storageBytes: u?.storageBytes ?? 0,
          apiCalls: u?.apiCallsTotal ?? 0,
          files: u?.filesCount ?? 0,
        };
      }),
      audit,
      suspension: suspension
        ? {
            reason: ((suspension.after as { reason?: unknown } | null)?.reason as string | undefined) ?? null,
            at: suspension.createdAt,
            by: suspension.actorEmail ?? suspension.actorType,
          }
        : null,
      retention: {
        days: this.retentionDays,
        purgeableAt,
        purgeable: t.status === "deleted" && !!purgeableAt && purgeableAt.getTime() <= Date.now(),
      },
    };
  }

  /**
   * Usage against limits this month, from check_tenant_limits run under the platform-admin role
   * (which may read every tenant schema). Null when the tenant's schema cannot be read.
   */
  async limits(t: Pick<Tenant, "id">): Promise<ResourceLimit[] | null> {
    try {
      return await withPlatformAdmin(this.s.db, (tx) => checkTenantLimits(tx, t.id));
    } catch {
      return null;
    }
  }

  /** Tenants by plan and status, MRR by plan, signups per week, top tenants this month. */
  async overview() {
    const period = usagePeriod();
    return summarizeOverview(await withPlatformAdmin(this.s.db, (tx) => overviewQuery(tx, period)), period);
  }

  // ─── Actions: each one audited by the service that performs it ────────────────────────────────

  /**
   * A plan change by a super admin. A workspace that pays through a Stripe subscription is changed
   * THROUGH Stripe (proration, and an upgrade applies once its invoice is paid: `pendingPayment`),
   * so the next webhook does not undo it; Free cancels that subscription at the period end. Custom
   * is arranged in Stripe with a price of its own, so it is refused while a catalog price is billed.
   */
  async changePlan(
    id: string,
    plan: PlanId,
    actor: Actor,
  ): Promise<{ tenant: Tenant; pendingPayment: string | null }> {
    const t = await this.live(id);
    if (t.billingPlan === plan && !t.cancelAtPeriodEnd)
      throw new AppError("CONFLICT", `The workspace is already on the ${PLANS[plan].name} plan.`);
    const billing = this.s.billing;
    const paysThroughStripe = billing.mode === "stripe" && t.stripeSubscriptionId !== null;
    if (!paysThroughStripe)
      return {
        tenant: await this.s.tenants.updateTenant(id, { billingPlan: plan }, actor),
        pendingPayment: null,
      };
    if (plan === "custom")
      throw new AppError(
        "CONFLICT",
        "This workspace pays a catalog plan through Stripe. Put its subscription on the Custom deal's own Stripe price (it then stays Custom), or end the subscription first.",
      );
    const result = await billing.provider.updateSubscription(t, plan, t.billingInterval, actor);
    return { tenant: result.tenant, pendingPayment: result.paymentUrl ?? null };
  }

  /** The audit entry of an admin's retry of a Stripe event. */
  async recordEventRetry(tenantId: string | null, eventId: string, outcome: string, actor: Actor) {
    if (!tenantId) return;
    await withPlatformAdmin(this.s.db, (tx) =>
      audit(tx, tenantId, actor, {
        action: "billing.event_retry",
        resourceType: "stripe_event",
        resourceId: eventId,
        after: { outcome },
      }),
    );
  }

  /** Switches to (or adjusts) the Custom plan with exactly these limits and features. */
  async setCustomPlan(id: string, { limits, features }: z.output<typeof customPlanInput>, actor: Actor) {
    const t = await this.live(id);
    return this.s.tenants.updateTenant(
      id,
      t.billingPlan === "custom" ? { limits, features } : { billingPlan: "custom", limits, features },
      actor,
    );
  }

  /** `reason`: as suspendReason leaves it (trimmed, 3–500 characters). */
  async suspend(id: string, reason: string, actor: Actor) {
    const t = await this.live(id);
    if (t.status === "suspended") throw new AppError("CONFLICT", "The workspace is already suspended.");
    return this.s.tenants.updateTenant(id, { status: "suspended" }, actor, { reason });
  }

  async reactivate(id: string, actor: Actor) {
    const t = await this.live(id);
    if (t.status !== "suspended") throw new AppError("CONFLICT", "The workspace is not suspended.");
    return this.s.tenants.updateTenant(id, { status: "active" }, actor);
  }

  async softDelete(id: string, actor: Actor) {
    await this.live(id);
    await this.s.tenants.deleteTenant(id, actor);
  }

  restore(id: string, actor: Actor) {
    return this.s.tenants.restoreTenant(id, actor);
  }

  /**
   * Removes a soft-deleted tenant for good once the retention period is over. The slug must be
   * typed to confirm.
   */
  async purge(id: string, confirmSlug: string, actor: Actor) {
    const t = await this.s.tenants.getTenantById(id);
    if (!t) throw notFound();
    if (confirmSlug !== t.slug)
      throw new AppError("VALIDATION_FAILED", `Type the workspace address "${t.slug}" to confirm.`, {
        fields: [{ path: "confirmSlug", message: "Does not match the workspace address." }],
      });
    if (t.status !== "deleted" || !t.deletedAt)
      throw new AppError("CONFLICT", "Only a deleted workspace can be purged. Delete it first.");
    const purgeableAt = new Date(t.deletedAt.getTime() + this.retentionDays * 86_400_000);
    if (purgeableAt.getTime() > Date.now())
      throw new AppError(
        "CONFLICT",
        `The workspace can be purged from ${purgeableAt.toISOString().slice(0, 10)} (${this.retentionDays} days after deletion).`,
        { purgeableAt: purgeableAt.toISOString() },
      );
    if (!(await this.s.tenants.purgeTenant(id, actor))) throw notFound();
    return { id, slug: t.slug };
  }

  /** Drops the tenant (by slug and every domain) from every cache layer in every process; audited. */
  async invalidateCache(id: string, actor: Actor) {
    const t = await this.s.tenants.getTenantById(id);
    if (!t) throw notFound();
    const domains = await withPlatformAdmin(this.s.db, async (tx) => {
      const rows = await tx
        .select({ domain: tenantDomains.domain })
        .from(tenantDomains)
        .where(eq(tenantDomains.tenantId, id));
      await audit(tx, id, actor, {
        action: "tenant.cache_invalidate",
        resourceType: "tenant",
        resourceId: id,
        after: { slug: t.slug, domains: rows.map((r) => r.domain) },
      });
      return rows.map((r) => r.domain);
    });
    await this.s.resolver.invalidate({ slug: t.slug, domains });
    return { slug: t.slug, domains };
  }

  /** Looks the domain's TXT record up again now (audited by DomainService). */
  async verifyDomain(tenantId: string, domainId: string, actor: Actor) {
    const t = await this.s.tenants.getTenantById(tenantId);
    if (!t) throw notFound();
    return this.s.domains.verifyDomain(
      { id: t.id, slug: t.slug, schemaName: t.schemaName, dbRole: t.dbRole },
      domainId,
      actor,
    );
  }

  /** A tenant that exists and is not deleted. */
  private async live(id: string): Promise<Tenant> {
    const t = await this.s.tenants.getTenantById(id);
    if (!t) throw notFound();
    if (t.status === "deleted") throw new AppError("CONFLICT", "The workspace is deleted. Restore it first.");
    return t;
  }

  private stripeMode(): "live" | "test" | "offline" {
    const key = this.s.env.STRIPE_SECRET_KEY;
    if (!key) return "offline";
    return /^(sk|rk)_live_/.test(key) ? "live" : "test";
  }

  private stripeUrl(path: string): string {
    return `https://dashboard.stripe.com/${this.stripeMode() === "live" ? "" : "test/"}${path}`;
  }
}
