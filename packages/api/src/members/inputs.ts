import { z } from "zod";

/**
 * What the members procedures accept — validated once, at the procedure; the services take the
 * parsed values. Ids are only bounded here: an id that is no member's or invitation's (a uuid or
 * not) is NOT_FOUND, answered by the service.
 */

// The schemas a browser form checks too (invite; accept: name and password) live in
// @nchat/protocol, which holds no server code.
import {
  ASSIGNABLE_ROLES,
  type AssignableRole,
  assignableRole,
  type InviteInput,
  inviteInput,
  type NewMemberInput,
  newMemberInput,
} from "@nchat/protocol/members";

export {
  ASSIGNABLE_ROLES,
  type AssignableRole,
  assignableRole,
  type InviteInput,
  inviteInput,
  type NewMemberInput,
  newMemberInput,
};

const id = z.string().max(100);
/** Invitation tokens are 43 characters; anything much longer is not one of ours. */
const token = z.string().max(200);

export const invitationIdInput = z.object({ id });
export const invitationTokenInput = z.object({ token });
/** `sendEmail`: also mail the new link to the invitee. */
export const resendInvitationInput = invitationIdInput.extend({ sendEmail: z.boolean().optional() });
export const acceptInvitationInput = invitationTokenInput.extend(newMemberInput.shape);
export const memberIdInput = z.object({ userId: id });
export const changeRoleInput = memberIdInput.extend({ role: assignableRole });
