import { type PlanId, planDefaults } from "@nchat/billing/plans";
import {
  type Database,
  type MasterKey,
  provisionTenant,
  purgeTenant,
  SLUG_MESSAGES,
  SlugTakenError,
  slugProblem,
  type TenantRef,
  withPlatformAdmin,
  withTenant,
} from "@nchat/db";
import {
  type Tenant,
  type TenantBranding,
  type TenantFeatures,
  type TenantLimits,
  tenantDomains,
  tenantSettings,
  tenants,
} from "@nchat/db/public";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { type Actor, audit, auditActor, isPlatformActor } from "../audit/actor";
import { AppError } from "../errors";
import { checkTenantLimits, type ResourceLimit } from "../limits/limits";
import { hashPassword } from "../passwords";
import {
  type CreateTenantInput,
  OWNER_KEYS,
  type TenantSettingsView,
  type UpdateTenantRequest,
} from "./inputs";

export type LimitCheck = {
  /** True when some resource is above its limit (as check_tenant_limits' `exceeded`). */
  exceeded: boolean;
  /** The resources above their limit. */
  limits: string[];
  /** The resources at or above their limit: no further growth. */
  atLimit: string[];
  resources: ResourceLimit[];
};

export type TenantServiceDeps = {
  db: Database;
  masterKey: MasterKey;
  /** Called after a tenant changed, so caches can drop it (by slug and by each of its domains). */
  onTenantChanged?: (t: { id: string; slug: string; domains: string[] }) => void | Promise<void>;
  /** The tenant's session rules changed (require 2FA, session length): cached sessions must be read again. */
  onSessionRulesChanged?: (tenantId: string) => void | Promise<void>;
};

export * from "./inputs";

/** A workspace address's own problems have their own codes: SLUG_INVALID, SLUG_RESERVED. */
export function assertSlugUsable(slug: string): void {
  const problem = slugProblem(slug);
  if (problem)
    throw new AppError(problem === "reserved" ? "SLUG_RESERVED" : "SLUG_INVALID", SLUG_MESSAGES[problem], {
      slug,
    });
}

/**
 * The control plane's operations on tenants. Reads and writes go through PostgreSQL roles:
 * platform actors via the platform-admin role, owners via their tenant's role (which can change
 * only name and branding). Every change writes its audit entry in the same transaction.
 */
export class TenantService {
  constructor(private readonly deps: TenantServiceDeps) {}

  async createTenant(
    input: CreateTenantInput,
    actor: Actor,
    opts: { plan?: PlanId; trialDays?: number } = {},
  ): Promise<{ tenant: Tenant; ownerId: string }> {
    const slug = input.slug;
    assertSlugUsable(slug);
    const plan = opts.plan ?? "free";
    const trialEndsAt = opts.trialDays ? new Date(Date.now() + opts.trialDays * 86_400_000) : null;
    try {
      const created = await provisionTenant(
        this.deps.db,
        {
          name: input.name,
          slug,
          owner: {
            email: input.ownerEmail,
            name: input.ownerName,
            passwordHash: await hashPassword(input.ownerPassword),
          },
          plan,
          status: trialEndsAt ? "trial" : "active",
          trialEndsAt,
          ...planDefaults(plan),
          audit: auditActor(actor),
        },
        { masterKey: this.deps.masterKey },
      );
      // The slug may be cached as unknown.
      await this.changed(created.tenant, []);
      return created;
    } catch (err) {
      if (err instanceof SlugTakenError) throw new AppError("SLUG_TAKEN", err.message, { slug });
      throw err;
    }
  }

  async getTenantById(id: string): Promise<Tenant | null> {
    if (!z.uuid().safeParse(id).success) return null;
    return this.findOne(eq(tenants.id, id));
  }

  async getTenantBySlug(slug: string): Promise<Tenant | null> {
    if (slugProblem(slug)) return null;
    return this.findOne(eq(tenants.slug, slug));
  }

  /** The tenant a verified custom domain points at. */
  async getTenantByDomain(domain: string): Promise<Tenant | null> {
    const d = domain.trim().toLowerCase().replace(/\.$/, "");
    if (!d || d.length > 253) return null;
    return withPlatformAdmin(this.deps.db, async (tx) => {
      const [row] = await tx
        .select({ tenant: tenants })
        .from(tenantDomains)
        .innerJoin(tenants, eq(tenants.id, tenantDomains.tenantId))
        .where(and(eq(tenantDomains.domain, d), eq(tenantDomains.status, "verified")));
      return row?.tenant ?? null;
    });
  }

  /** `opts.reason` (e.g. why a super admin suspends) is recorded in the audit entry's `after`. */
  async updateTenant(
    id: string,
    patch: UpdateTenantRequest,
    actor: Actor,
    opts: { reason?: string } = {},
  ): Promise<Tenant> {
    const platform = isPlatformActor(actor);
    if (!platform && actor.role !== "owner")
      throw new AppError("FORBIDDEN", "Only the workspace owner can change it.");
    // The owner's procedure and route parse with ownerUpdateInput; this holds for any other caller.
    const beyondOwner = Object.keys(patch).filter((k) => !OWNER_KEYS.has(k));
    if (!platform && beyondOwner.length > 0)
      throw new AppError("VALIDATION_FAILED", `The owner cannot change ${beyondOwner.join(", ")}.`, {
        fields: beyondOwner.map((path) => ({ path, message: "Not changeable by the owner." })),
      });
    const current = await this.getTenantById(id);
    if (!current || current.status === "deleted")
      throw new AppError("TENANT_NOT_FOUND", "No such workspace.");

    const values: Partial<Tenant> = { updatedAt: new Date() };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.branding !== undefined) {
      // null (an emptied field) removes the key: the default (workspace name, no logo) applies again.
      const merged: Record<string, unknown> = { ...current.branding, ...patch.branding };
      for (const [k, v] of Object.entries(merged)) if (v === null || v === undefined) delete merged[k];
      values.branding = merged as TenantBranding;
    }
    if (patch.status !== undefined) {
      values.status = patch.status;
      values.suspendedAt = patch.status === "suspended" ? new Date() : null;
    }
    if (patch.billingPlan !== undefined && patch.billingPlan !== current.billingPlan) {
      values.billingPlan = patch.billingPlan;
      const defaults = planDefaults(patch.billingPlan);
      values.limits = defaults.limits;
      values.features = defaults.features;
    }
    if (patch.limits !== undefined) values.limits = patch.limits as TenantLimits;
    if (patch.features !== undefined)
      values.features = { ...(values.features ?? current.features), ...patch.features } as TenantFeatures;

    // Only real changes are written and audited: a save that changes nothing leaves no entry.
    for (const k of Object.keys(values) as (keyof Tenant)[])
      if (k !== "updatedAt" && sameValue(values[k], current[k])) delete values[k];
    if (values.status === undefined) delete values.suspendedAt;
    const tenantChanged = Object.keys(values).some((k) => k !== "updatedAt");

    const action = patch.billingPlan
      ? "tenant.plan_change"
      : patch.status
        ? `tenant.status_${patch.status}`
        : "tenant.update";
    let sessionRulesChanged = false;
    const write = async (tx: Parameters<Parameters<typeof withPlatformAdmin>[1]>[0]) => {
      if (patch.settings && Object.keys(patch.settings).length > 0) {
        const [before] = await tx
          .select()
          .from(tenantSettings)
          .where(eq(tenantSettings.tenantId, id))
          .for("update");
        // Only the fields that differ from what is stored.
        const changed = Object.fromEntries(
          Object.entries(patch.settings).filter(
            ([k, v]) => !sameValue(v, (before as Record<string, unknown> | undefined)?.[k]),
          ),
        ) as Partial<typeof tenantSettings.$inferInsert>;
        sessionRulesChanged = "require2fa" in changed || "sessionTimeoutMinutes" in changed;
        if (Object.keys(changed).length > 0) {
          const [after] = await tx
            .update(tenantSettings)
            .set({ ...changed, updatedAt: new Date() })
            .where(eq(tenantSettings.tenantId, id))
            .returning();
          await audit(tx, id, actor, {
            action: "settings.update",
            resourceType: "tenant_settings",
            resourceId: id,
            before: pick(before ?? {}, Object.keys(changed)),
            after: pick(after ?? {}, Object.keys(changed)),
          });
        }
      }
      if (!tenantChanged) return current; // nothing of the tenant row changed: no write, no entry
      const [updated] = await tx.update(tenants).set(values).where(eq(tenants.id, id)).returning();
      if (!updated) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
      await audit(tx, id, actor, {
        action,
        resourceType: "tenant",
        resourceId: id,
        before: pick(current, Object.keys(values)),
        after: { ...pick(updated, Object.keys(values)), ...(opts.reason ? { reason: opts.reason } : {}) },
      });
      return updated;
    };
    const updated = platform
      ? await withPlatformAdmin(this.deps.db, write)
      : await withTenant(this.deps.db, current, ({ db }) => write(db), {
          userId: actor.id,
          userRole: actor.role,
        });
    if (sessionRulesChanged) await this.deps.onSessionRulesChanged?.(id);
    await this.changed(updated);
    return updated;
  }

  /** Soft delete: the tenant stops resolving; data stays for the retention period. */
  async deleteTenant(id: string, actor: Actor): Promise<void> {
    await this.setDeleted(id, actor, true);
  }

  async restoreTenant(id: string, actor: Actor): Promise<Tenant> {
    return this.setDeleted(id, actor, false);
  }

  /** Removes a tenant for good (retention job, super admin). */
  async purgeTenant(id: string, actor: Actor): Promise<boolean> {
    if (!isPlatformActor(actor)) throw new AppError("FORBIDDEN", "Only the platform can purge a workspace.");
    const current = await this.getTenantById(id);
    if (!current) return false;
    const domains = await this.domainsOf(id);
    const purged = await purgeTenant(this.deps.db, id);
    if (purged) {
      await withPlatformAdmin(this.deps.db, (tx) =>
        audit(tx, null, actor, {
          action: "tenant.purge",
          resourceType: "tenant",
          resourceId: id,
          before: { slug: current.slug, name: current.name },
        }),
      );
      await this.changed(current, domains);
    }
    return purged;
  }

  /** The workspace's security settings as stored (read under the tenant's role). */
  async getSettings(tenant: TenantRef): Promise<Required<TenantSettingsView>> {
    const [s] = await withTenant(this.deps.db, tenant, ({ db }) =>
      db.select().from(tenantSettings).where(eq(tenantSettings.tenantId, tenant.id)),
    );
    if (!s) throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
    return {
      sessionTimeoutMinutes: s.sessionTimeoutMinutes,
      allowGuestAccess: s.allowGuestAccess,
      allowedEmailDomains: s.allowedEmailDomains,
      messageRetentionDays: s.messageRetentionDays,
      require2fa: s.require2fa,
    };
  }

  /** Usage against limits, from the check_tenant_limits SQL function (run under the tenant's role). */
  async checkLimits(tenant: Pick<Tenant, "id" | "schemaName" | "dbRole">): Promise<LimitCheck> {
    const resources = await withTenant(this.deps.db, tenant, ({ db }) => checkTenantLimits(db, tenant.id));
    const limits = resources.filter((r) => r.exceeded).map((r) => r.resource);
    return {
      exceeded: limits.length > 0,
      limits,
      atLimit: resources.filter((r) => r.atLimit).map((r) => r.resource),
      resources,
    };
  }

  private async setDeleted(id: string, actor: Actor, deleted: boolean): Promise<Tenant> {
    const platform = isPlatformActor(actor);
    if (!deleted && !platform) throw new AppError("FORBIDDEN", "Only a super admin can restore a workspace.");
    if (!platform && actor.role !== "owner")
      throw new AppError("FORBIDDEN", "Only the workspace owner can delete it.");
    const current = await this.getTenantById(id);
    if (!current || (deleted && current.status === "deleted"))
      throw new AppError("TENANT_NOT_FOUND", "No such workspace.");
    if (!deleted && current.status !== "deleted")
      throw new AppError("CONFLICT", "The workspace is not deleted.");
    // Status is not an owner-writable column; an owner's delete runs as the platform on their behalf.
    const restoredStatus = (current.metadata?.statusBeforeDelete as Tenant["status"] | undefined) ?? "active";
    const updated = await withPlatformAdmin(this.deps.db, async (tx) => {
      const [row] = await tx
        .update(tenants)
        .set(
          deleted
            ? {
                status: "deleted",
                deletedAt: new Date(),
                updatedAt: new Date(),
                metadata: { ...current.metadata, statusBeforeDelete: current.status },
              }
            : { status: restoredStatus, deletedAt: null, updatedAt: new Date() },
        )
        .where(eq(tenants.id, id))
        .returning();
      await audit(tx, id, actor, {
        action: deleted ? "tenant.delete" : "tenant.restore",
        resourceType: "tenant",
        resourceId: id,
        before: { status: current.status },
        after: { status: row!.status },
      });
      return row!;
    });
    await this.changed(updated);
    return updated;
  }

  private async findOne(where: ReturnType<typeof eq>): Promise<Tenant | null> {
    return withPlatformAdmin(
      this.deps.db,
      async (tx) => (await tx.select().from(tenants).where(where))[0] ?? null,
    );
  }

  private async domainsOf(tenantId: string): Promise<string[]> {
    const rows = await withPlatformAdmin(this.deps.db, (tx) =>
      tx
        .select({ domain: tenantDomains.domain })
        .from(tenantDomains)
        .where(eq(tenantDomains.tenantId, tenantId)),
    );
    return rows.map((d) => d.domain);
  }

  private async changed(t: { id: string; slug: string }, domains?: string[]) {
    if (!this.deps.onTenantChanged) return;
    const list = domains ?? (await this.domainsOf(t.id));
    await this.deps.onTenantChanged({ id: t.id, slug: t.slug, domains: list });
  }
}

/** Equal as stored (jsonb values compared by content, key order ignored; dates by time). */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
function canonical(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([k, x]) => [k, canonical(x)]),
    );
  return v ?? null;
}

function pick(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k !== "updatedAt").map((k) => [k, obj[k]]));
}
