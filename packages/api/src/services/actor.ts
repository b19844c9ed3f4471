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
