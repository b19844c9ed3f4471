import type { PublicTx } from "@nchat/db";
import { tenantAuditLogs } from "@nchat/db/public";
/** Who performs an action: recorded in the audit log, and deciding what the action may change. */
export type Actor = {
  type: "system" | "super_admin" | "user" | "api_key";
  /** Users and API keys: the user acting in the tenant's tables (for a key, its service user). */
  id?: string;
  email?: string;
  /** For users and API keys: their role in the tenant the action targets. */
  role?: "owner" | "admin" | "member" | "guest";
  /** For API keys: the key, which the audit log names as the actor. */
  apiKeyId?: string;
  ip?: string;
  userAgent?: string;
};

export const SYSTEM: Actor = { type: "system" };

/**
 * The signed-in user of a procedure's context, as an actor — or, for a request authorized by an
 * API key, the key (acting through its service user).
 */
export const userActor = (ctx: {
  user: { id: string; email: string; role: Actor["role"] };
  meta: { ip: string | null; userAgent: string | null };
  apiKey?: { id: string } | null;
}): Actor & { id: string } => ({
  type: ctx.apiKey ? "api_key" : "user",
  id: ctx.user.id,
  email: ctx.user.email,
  role: ctx.user.role,
  ...(ctx.apiKey ? { apiKeyId: ctx.apiKey.id } : {}),
  ip: ctx.meta.ip ?? undefined,
  userAgent: ctx.meta.userAgent ?? undefined,
});

/** A person or an API key of the tenant (not the platform): what tenant rules check by role. */
export const isTenantActor = (a: Actor) => a.type === "user" || a.type === "api_key";

export const isPlatformActor = (a: Actor) => a.type === "system" || a.type === "super_admin";

export function auditActor(a: Actor) {
  return {
    actorType: a.type,
    actorId: (a.type === "api_key" ? a.apiKeyId : undefined) ?? a.id ?? null,
    actorEmail: a.email ?? null,
    ip: a.ip ?? null,
    userAgent: a.userAgent ?? null,
  };
}

/** One audit-log entry: what was done to which resource, and the resource before and after. */
export type AuditEntry = {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  before?: unknown;
  after?: unknown;
};

/**
 * Records an administrative action in `public.tenant_audit_logs`, in the caller's transaction (the
 * entry commits or rolls back with the change it describes). `tenantId` null: a platform-wide action.
 */
export function audit(db: PublicTx, tenantId: string | null, actor: Actor, entry: AuditEntry) {
  return db.insert(tenantAuditLogs).values({
    ...auditActor(actor),
    tenantId,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
}
