import { z } from "zod";

/**
 * What a member form sends — the schemas the server validates with (packages/api members inputs)
 * and the browser's forms check before sending, so both say the same thing about a field.
 */

/** Roles an invitation or a role change may hand out: ownership moves by transfer, never by role. */
export const ASSIGNABLE_ROLES = ["admin", "member", "guest"] as const;
export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];

export const assignableRole = z.enum(ASSIGNABLE_ROLES, {
  error: "Choose a role: admin, member or guest (ownership is transferred, not assigned).",
});

/** An invitation: who (an email, trimmed and lower-cased) and as what. */
export const inviteInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.").max(254)),
  role: assignableRole,
});
export type InviteInput = z.output<typeof inviteInput>;
/** What the invite form holds before the schema parses it. */
export type InviteFormValues = z.input<typeof inviteInput>;

/** Who the invitee becomes: their name and password. */
export const newMemberInput = z.object({
  name: z.string().trim().min(1, "Enter your name.").max(100),
  password: z.string().min(10, "Use a password of at least 10 characters.").max(200),
});
export type NewMemberInput = z.output<typeof newMemberInput>;
export type NewMemberFormValues = z.input<typeof newMemberInput>;
