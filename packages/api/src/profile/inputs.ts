/**
 * What the profile procedures accept — validated once, at the procedure; the services take the
 * parsed values. The form schemas (name, time zone, password) live in @nchat/protocol, which the
 * browser checks with too. Ids are only bounded here: one that is nobody's is NOT_FOUND.
 */
import {
  type ChangePasswordInput,
  changePasswordInput,
  type UpdateProfileInput,
  updateProfileInput,
} from "@nchat/protocol/profile";
import { z } from "zod";

export { type ChangePasswordInput, changePasswordInput, type UpdateProfileInput, updateProfileInput };

const id = z.string().max(100);

export const personInput = z.object({ userId: id });
export const sessionInput = z.object({ sessionId: id });
