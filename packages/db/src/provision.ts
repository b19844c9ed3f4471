import { eq, sql } from "drizzle-orm";
import type { Database } from "./client";
import { type MasterKey, newDataKey } from "./crypto";
import { migrateTenantSchema } from "./migrate";
import {
  type NewTenantAuditLog,
  type Tenant,
  type TenantFeatures,
  type TenantLimits,
  tenantAuditLogs,
  tenantKeys,
  tenantSettings,
  tenants,
} from "./public";
import { tenantRoleName } from "./roles";
import { createTenantRoleSql } from "./security";
import { schemaNameForSlug, slugProblem } from "./slug";
import { tablesFor } from "./with-tenant";

export type ProvisionStep =
  | "tenant-row"
  | "schema"
  | "tables"
  | "role"
  | "owner"
  | "settings"
  | "key"
  | "audit";

export type ProvisionInput = {
  name: string;
  slug: string;
  owner: { email: string; name: string; passwordHash: string | null };
  plan: Tenant["billingPlan"];
  status: Tenant["status"];
  limits: TenantLimits;
  features: TenantFeatures;
  trialEndsAt?: Date | null;
  defaultChannels?: string[];
  audit: Pick<NewTenantAuditLog, "actorType" | "actorId" | "actorEmail" | "ip" | "userAgent">;
};

export type ProvisionOptions = {
  masterKey: MasterKey;
  /** Called after each step inside the transaction; throwing aborts and rolls everything back. */
  afterStep?: (step: ProvisionStep) => void | Promise<void>;
};

export class SlugTakenError extends Error {
  constructor(readonly slug: string) {
    super(`The workspace address "${slug}" is already taken.`);
  }
}

/**
 * Creates a tenant in ONE transaction on the privileged pool: control-plane row, schema, tables from
 * the tenant migrations, tenant role and grants, owner user, settings, wrapped data key, audit entry.
 * Any failure leaves nothing behind (schemas and roles are transactional in PostgreSQL).
 */
export async function provisionTenant(
  db: Database,
  input: ProvisionInput,
  opts: ProvisionOptions,
): Promise<{ tenant: Tenant; ownerId: string }> {
  if (slugProblem(input.slug)) throw new Error(`invalid slug ${JSON.stringify(input.slug)}`);
  const schemaName = schemaNameForSlug(input.slug);
  const dbRole = tenantRoleName(db.roles.prefix, schemaName);
  const step = async (s: ProvisionStep) => opts.afterStep?.(s);

  try {
    return await db.adminDb.transaction(async (d) => {
      const [created] = await d
        .insert(tenants)
        .values({
          name: input.name,
          slug: input.slug,
          status: input.status,
          ownerEmail: input.owner.email,
          ownerName: input.owner.name,
          schemaName,
          dbRole,
          billingPlan: input.plan,
          limits: input.limits,
          features: input.features,
          trialEndsAt: input.trialEndsAt ?? null,
        })
        .returning({ id: tenants.id });
      const tenantId = created!.id;
      await step("tenant-row");

      await d.execute(sql.raw(`create schema "${schemaName}"`));
      await step("schema");

      for (const statement of createTenantRoleSql(db.roles, dbRole, db.config.appPassword))
        await d.execute(sql.raw(statement));
      await step("role");

      await migrateTenantSchema(d, db, { id: tenantId, schemaName, dbRole });
      await step("tables");

      const t = tablesFor(schemaName);
      const [owner] = await d
        .insert(t.users)
        .values({
          email: input.owner.email,
          name: input.owner.name,
          passwordHash: input.owner.passwordHash,
          role: "owner",
        })
        .returning({ id: t.users.id });
      const ownerId = owner!.id;
      const defaultChannels = input.defaultChannels ?? ["general"];
      const channels = await d
        .insert(t.channels)
        .values(
          defaultChannels.map((name) => ({
            name,
            kind: "public" as const,
            isDefault: true,
            createdBy: ownerId,
          })),
        )
        .returning({ id: t.channels.id });
      await d
        .insert(t.channelMembers)
        .values(channels.map((c) => ({ channelId: c.id, userId: ownerId, role: "owner" })));
      await step("owner");

      await d.insert(tenantSettings).values({ tenantId, defaultChannels });
      await step("settings");

      const { wrapped } = newDataKey(opts.masterKey, tenantId);
      await d.insert(tenantKeys).values({ tenantId, wrappedKey: wrapped, masterKeyId: opts.masterKey.id });
      await step("key");

      const [tenant] = await d.update(tenants).set({ ownerId }).where(eq(tenants.id, tenantId)).returning();
      await d.insert(tenantAuditLogs).values({
        ...input.audit,
        tenantId,
        action: "tenant.create",
        resourceType: "tenant",
        resourceId: tenantId,
        after: { name: input.name, slug: input.slug, plan: input.plan, status: input.status },
      });
      await step("audit");
      return { tenant: tenant!, ownerId };
    });
  } catch (err) {
    if (
      isUniqueViolation(err, "tenants_slug_unique") ||
      isUniqueViolation(err, "tenants_schema_name_unique")
    ) {
      throw new SlugTakenError(input.slug);
    }
    throw err;
  }
}

/**
 * Removes a tenant for good: schema, role and every control-plane row (cascades). For the retention
 * job and super admins; the soft delete is TenantService.deleteTenant.
 */
export async function purgeTenant(db: Database, tenantId: string): Promise<boolean> {
  return (await db.admin.begin(async (tx) => {
    const [t] = await tx<{ schema_name: string; db_role: string }[]>`
      select schema_name, db_role from public.tenants where id = ${tenantId} for update`;
    if (!t) return false;
    await tx.unsafe(`drop schema if exists "${t.schema_name}" cascade`);
    const [role] = await tx`select 1 from pg_roles where rolname = ${t.db_role}`;
    if (role) {
      // Its sessions would outlive the role (PostgreSQL does not end them).
      await tx`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${t.db_role}`;
      await tx.unsafe(`drop owned by "${t.db_role}"`);
      await tx.unsafe(`drop role "${t.db_role}"`);
    }
    await tx`delete from public.tenants where id = ${tenantId}`;
    return true;
  })) as boolean;
}

/** A unique violation from postgres-js, directly or wrapped by drizzle (as `cause`). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  for (
    let e = err as { code?: string; constraint_name?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.code === "23505") return !constraint || e.constraint_name === constraint;
  }
  return false;
}
