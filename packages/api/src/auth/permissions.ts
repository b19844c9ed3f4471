/** Roles of a tenant's users, from most to least powerful. */
export const ROLES = ["owner", "admin", "member", "guest"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, guest: 0 };

/** True when `role` is `min` or above. */
export const atLeast = (role: Role, min: Role) => RANK[role] >= RANK[min];

/**
 * Who may do what: the one permission map. Procedures ask `can(role, permission)` (or use
 * `permissionProcedure`); nothing else decides by role.
 */
export const PERMISSIONS = {
  "tenant:read": "guest",
  "tenant:update": "owner",
  "tenant:delete": "owner",
  "billing:manage": "owner",
  "settings:update": "admin",
  "domains:manage": "admin",
  "members:read": "guest",
  "members:invite": "admin",
  "members:changeRole": "admin",
  "members:remove": "admin",
  "apiKeys:manage": "admin",
  "webhooks:manage": "admin",
  "audit:read": "admin",
  "channels:create": "member",
  "channels:manage": "admin",
  "messages:send": "guest",
} as const satisfies Record<string, Role>;
export type Permission = keyof typeof PERMISSIONS;

export const can = (role: Role, permission: Permission) => atLeast(role, PERMISSIONS[permission]);

/** Roles an actor may hand out: never above their own, and only the owner makes admins. */
export function canAssign(actor: Role, target: Role): boolean {
  if (target === "owner") return false; // ownership moves by transfer, not by role change
  if (target === "admin") return actor === "owner";
  return atLeast(actor, "admin");
}
