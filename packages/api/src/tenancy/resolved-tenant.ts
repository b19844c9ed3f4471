import { z } from "zod";

/** What routing and the request context know about a tenant. No owner, Stripe or limit data. */
export const resolvedTenantSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  status: z.enum(["trial", "active", "past_due", "suspended", "cancelled", "deleted"]),
  schemaName: z.string(),
  dbRole: z.string(),
  plan: z.enum(["free", "pro", "enterprise", "custom"]),
  branding: z.record(z.string(), z.string()),
  /** Feature flags of the plan (or Custom overrides). */
  features: z.record(z.string(), z.boolean()),
  /** Per-tenant request rate limits (Custom plans); the plan's apply where absent. */
  rateLimits: z.object({ perMinute: z.number().optional(), perHour: z.number().optional() }).optional(),
  trialEndsAt: z.string().nullable(),
});
/**
 * One schema for every place a resolved tenant crosses a process boundary — the shared cache (Redis)
 * and the signed context the proxy forwards (context.ts): what does not match is not trusted.
 */
export type ResolvedTenant = z.infer<typeof resolvedTenantSchema>;

/** A tenant as the resolve_tenant_by_* functions answer it (snake_case columns). */
export type ResolvedTenantRow = {
  id: string;
  slug: string;
  name: string;
  status: ResolvedTenant["status"];
  schema_name: string;
  db_role: string;
  billing_plan: ResolvedTenant["plan"];
  branding: Record<string, string> | null;
  features: Record<string, boolean> | null;
  rate_limits: { perMinute?: number; perHour?: number } | null;
  trial_ends_at: Date | null;
};

/** The row of resolve_tenant_by_slug / resolve_tenant_by_domain as the request context knows it. */
export function toResolvedTenant(r: ResolvedTenantRow): ResolvedTenant {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    status: r.status,
    schemaName: r.schema_name,
    dbRole: r.db_role,
    plan: r.billing_plan,
    branding: r.branding ?? {},
    features: r.features ?? {},
    rateLimits: r.rate_limits ?? {},
    trialEndsAt: r.trial_ends_at ? new Date(r.trial_ends_at).toISOString() : null,
  };
}

export const NONE = "none" as const;
/** A cache entry: the tenant, or "no such tenant". */
export type Entry = ResolvedTenant | typeof NONE;

/** A cached entry as another process wrote it; undefined when it is not one (read the database). */
export function parseEntry(raw: string): Entry | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    if (value === NONE) return NONE;
    const r = resolvedTenantSchema.safeParse(value);
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
