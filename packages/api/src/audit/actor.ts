import type { PublicTx } from "@nchat/db";
import { tenantAuditLogs } from "@nchat/db/public";
/** Who performs an action: recorded in the audit log, and deciding what the action may change. */
export type Actor = {
  type: "system" | "super_admin" | "user" | "api_key";
  id?: string;
  email?: string;
  /** For users: their role in the tenant the action targets. */
  role?: "owner" | "admin" | "member" | "guest";
  ip?: string;
  userAgent?: string;
};

export const SYSTEM: Actor = { type: "system" };

/** The signed-in user (or API key's service user) of a procedure's context, as an actor. */
export const userActor = (ctx: {
  user: { id: string; email: string; role: Actor["role"] };
  meta: { ip: string | null; userAgent: string | null };
}): Actor & { id: string } => ({
  type: "user",
  id: ctx.user.id,
  email: ctx.user.email,
  role: ctx.user.role,
  ip: ctx.meta.ip ?? undefined,
  userAgent: ctx.meta.userAgent ?? undefined,
});

export const isPlatformActor = (a: Actor) => a.type === "system" || a.type === "super_admin";

export function auditActor(a: Actor) {
  return {
    actorType: a.type,
    actorId: a.id ?? null,
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
