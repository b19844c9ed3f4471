import { FEATURES, PLAN_IDS, type PlanId } from "@nchat/billing/plans";
import { z } from "zod";

/**
 * What the platform procedures accept (the admin console) — validated once, at the procedure; the
 * service and the queries take the parsed values.
 */

export const TENANT_STATUSES = ["trial", "active", "past_due", "suspended", "cancelled", "deleted"] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** Sort keys of the tenants table. Usage keys are this UTC month's figures. */
export const TENANT_SORTS = ["created", "name", "messages", "activeUsers", "storage", "apiCalls"] as const;
export type TenantSort = (typeof TENANT_SORTS)[number];

export const listTenantsInput = z.object({
  /** Part of a name, slug, owner email or custom domain (anywhere in it); or a tenant id. */
  q: z.string().trim().max(200).optional(),
  plan: z.enum(PLAN_IDS as [PlanId, ...PlanId[]]).optional(),
  status: z.enum(TENANT_STATUSES).optional(),
  sort: z.enum(TENANT_SORTS).default("created"),
  dir: z.enum(["asc", "desc"]).default("desc"),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(100).default(25),
});
export type ListTenantsInput = z.input<typeof listTenantsInput>;

const limit = (max: number, integer = true) =>
  (integer ? z.number().int() : z.number())
    .min(-1, "Use -1 for unlimited.")
    .max(max, `At most ${max.toLocaleString("en-US")}.`)
    .refine((v) => v === -1 || v >= 0, "Use -1 for unlimited, or 0 and above.");

/** Custom plan: every limit (-1 = unlimited) and every feature, explicitly. */
export const customPlanInput = z
  .object({
    limits: z
      .object({
        users: limit(1_000_000),
        channels: limit(100_000),
        storageGb: limit(1_000_000, false),
        apiCallsPerMonth: limit(10_000_000_000),
        maxUploadMb: limit(10_240, false),
      })
      .strict(),
    features: z.record(z.enum(FEATURES), z.boolean()),
  })
  .strict();
export type CustomPlanInput = z.input<typeof customPlanInput>;

export const suspendReason = z
  .string()
  .trim()
  .min(3, "Give a reason (at least 3 characters).")
  .max(500, "At most 500 characters.");

// ─── Audit log across tenants ─────────────────────────────────────────────────────────────────────

export const ACTOR_TYPES = ["system", "super_admin", "user", "api_key"] as const;

export const auditLogInput = z.object({
  /** A tenant id or slug. */
  tenant: z.string().trim().max(200).optional(),
  /** An actor id, an actor type (system, super_admin, user, api_key) or the start of an email. */
  actor: z.string().trim().max(254).optional(),
  /** An exact action ("tenant.plan_change"), or a prefix ending in "*" ("tenant.*"). */
  action: z.string().trim().max(100).optional(),
  from: z.date().optional(),
  /** Exclusive. */
  until: z.date().optional(),
  cursor: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
/** As the admin procedure parses it (`limit` defaults to 50 there and here). */
export type AuditLogInput = z.input<typeof auditLogInput>;

export const webhookListInput = z.object({
  status: z.string().trim().max(50).optional(),
  /** An event type, or a prefix ending in "*" ("invoice.*"). */
  type: z.string().trim().max(100).optional(),
  /** A tenant id or slug. */
  tenant: z.string().trim().max(200).optional(),
  /** Opaque cursor from the previous page. */
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type WebhookListInput = z.input<typeof webhookListInput>;
