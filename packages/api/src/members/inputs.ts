import { z } from "zod";

/**
 * What the members procedures accept — validated once, at the procedure; the services take the
 * parsed values. Ids are only bounded here: an id that is no member's or invitation's (a uuid or
 * not) is NOT_FOUND, answered by the service.
 */

/** Roles an invitation or a role change may hand out: ownership moves by transfer, never by role. */
export const ASSIGNABLE_ROLES = ["admin", "member", "guest"] as const;
export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];

export const assignableRole = z.enum(ASSIGNABLE_ROLES, {
  error: "Choose a role: admin, member or guest (ownership is transferred, not assigned).",
});

const id = z.string().max(100);
/** Invitation tokens are 43 characters; anything much longer is not one of ours. */
const token = z.string().max(200);

export const inviteInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.").max(254)),
  role: assignableRole,
});
export type InviteInput = z.output<typeof inviteInput>;

/** Who the invitee becomes: their name and password. */
export const newMemberInput = z.object({
  name: z.string().trim().min(1, "Enter your name.").max(100),
  password: z.string().min(10, "Use a password of at least 10 characters.").max(200),
});
export type NewMemberInput = z.output<typeof newMemberInput>;

export const invitationIdInput = z.object({ id });
export const invitationTokenInput = z.object({ token });
export const acceptInvitationInput = invitationTokenInput.extend(newMemberInput.shape);
export const memberIdInput = z.object({ userId: id });
export const changeRoleInput = memberIdInput.extend({ role: assignableRole });
