import type { TenantInvitation } from "@nchat/db/public";
import type { Role } from "../auth/permissions";
import { type AssignableRole, assignableRole } from "./inputs";
import type { UserRow } from "./rules";

/** An active (not deactivated), human member of the tenant. */
export type MemberView = {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
  lastSeenAt: Date | null;
  /** Signs in with a second factor (TOTP). */
  twoFactor: boolean;
};

/** An open invitation (not accepted, not revoked; `expiresAt` may be past: it can be resent). */
export type InvitationView = {
  id: string;
  email: string;
  role: AssignableRole;
  expiresAt: Date;
  createdAt: Date;
  invitedBy: string | null;
};

/** What the accept page shows before the invitee chooses a name and password. */
export type InvitationPreview = { email: string; role: AssignableRole; tenantName: string; expired: boolean };

export function invitationRole(row: Pick<TenantInvitation, "role">): AssignableRole {
  const r = assignableRole.safeParse(row.role);
  // Rows are written by this service only; anything unexpected gets the least privilege.
  return r.success ? r.data : "guest";
}

export function toInvitationView(row: TenantInvitation): InvitationView {
  return {
    id: row.id,
    email: row.email,
    role: invitationRole(row),
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    invitedBy: row.invitedBy,
  };
}

export function toMemberView(u: UserRow): MemberView {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    createdAt: u.createdAt,
    lastSeenAt: u.lastSeenAt,
    twoFactor: u.totpEnabledAt !== null,
  };
}
