import { z } from "zod";

/**
 * What the profile forms send — the schemas the server validates with (packages/api profile inputs)
 * and the browser checks before sending.
 */

/** The name others see in chat, member lists and profile cards. */
export const displayName = z
  .string()
  .trim()
  .min(1, "Enter your name.")
  .max(100, "Use at most 100 characters.")
  // Control characters (line breaks, bidi overrides' C0/C1 neighbours) have no place in a name.
  .regex(/^[^\p{Cc}]*$/u, "Use letters, digits, spaces and punctuation only.");

/** An IANA name's shape: `Area/Location[/Sub]`, or one word (UTC, Etc names). Offsets are not zones. */
const ZONE_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

/**
 * The canonical IANA name of a time zone this runtime knows ("europe/berlin" → "Europe/Berlin",
 * "Asia/Calcutta" → "Asia/Kolkata" where the runtime canonicalises), or null when it is none.
 * Checked with Intl, so the server and the browser agree with their own time zone database.
 */
export function canonicalTimeZone(name: string): string | null {
  if (name.length > 64 || !ZONE_SHAPE.test(name)) return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

export const timeZone = z
  .string()
  .trim()
  .max(64, "Choose a time zone from the list.")
  .transform((name, ctx) => {
    const canonical = canonicalTimeZone(name);
    if (canonical === null) {
      ctx.addIssue({ code: "custom", message: "Choose a time zone from the list (e.g. Europe/Berlin)." });
      return z.NEVER;
    }
    return canonical;
  });

/** Name, time zone and mention emails, each optional: only what is sent changes. */
export const updateProfileInput = z.object({
  name: displayName.optional(),
  timeZone: timeZone.optional(),
  /** "Email me about mentions and DMs when I'm away". */
  mentionEmails: z.boolean().optional(),
});
export type UpdateProfileInput = z.output<typeof updateProfileInput>;

/** A new password, after the current one. */
export const changePasswordInput = z
  .object({
    currentPassword: z.string().min(1, "Enter your current password.").max(200),
    newPassword: z.string().min(10, "Use a password of at least 10 characters.").max(200),
  })
  .refine((v) => v.newPassword !== v.currentPassword, {
    path: ["newPassword"],
    message: "Choose a password other than the current one.",
  });
export type ChangePasswordInput = z.output<typeof changePasswordInput>;
export type ChangePasswordFormValues = z.input<typeof changePasswordInput>;

/** Avatars: images only (PNG, JPEG, WebP, GIF), at most this many bytes before resizing. */
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
export const AVATAR_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"] as const;
/** The sizes stored (square, pixels): the profile card's image and the thumbnail of lists. */
export const AVATAR_SIZES = { full: 256, thumb: 64 } as const;
