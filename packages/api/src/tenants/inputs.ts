import { z } from "zod";

/** What the workspace procedures (sign-up, the owner's update, the admin app) and REST routes accept. */

export const createTenantInput = z.object({
  name: z.string().trim().min(2, "Give the workspace a name of at least 2 characters.").max(100),
  slug: z.string().max(200),
  ownerEmail: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.").max(254)),
  ownerName: z.string().trim().min(1, "Enter the owner's name.").max(100),
  ownerPassword: z.string().min(10, "Use a password of at least 10 characters.").max(200),
});
export type CreateTenantRequest = z.input<typeof createTenantInput>;
/** A sign-up as the schema leaves it (trimmed, email lower-cased; unknown keys — plan, limits — dropped). */
export type CreateTenantInput = z.output<typeof createTenantInput>;

/** An empty string (after trimming) clears a branding field: it becomes null, and is removed on save. */
const clearable = <T extends z.ZodType<string, string>>(schema: T) =>
  z
    .string()
    .trim()
    .transform((v) => (v === "" ? null : v))
    .pipe(schema.nullable());
const hexColor = clearable(z.string().regex(/^#[0-9a-fA-F]{6}$/, "A colour is #rrggbb."));
export const brandingInput = z
  .object({
    appName: clearable(z.string().max(60, "At most 60 characters.")),
    primaryColor: hexColor,
    secondaryColor: hexColor,
    // As the form says: an https:// address (browsers block http images on https pages).
    logoUrl: clearable(
      z
        .url({ protocol: /^https$/, error: "Use an https:// image address." })
        .max(2048, "At most 2,048 characters."),
    ),
  })
  .partial()
  .strict();

const limitsInput = z
  .object({
    users: z.number().int().min(-1),
    channels: z.number().int().min(-1),
    storageGb: z.number().min(-1),
    apiCallsPerMonth: z.number().int().min(-1),
    maxUploadMb: z.number().min(-1),
    requestsPerMinute: z.number().int().min(1).max(1_000_000).optional(),
    requestsPerHour: z.number().int().min(1).max(60_000_000).optional(),
  })
  .strict();

export const settingsInput = z
  .object({
    sessionTimeoutMinutes: z
      .number()
      .int()
      .min(5)
      .max(60 * 24 * 90),
    allowGuestAccess: z.boolean(),
    allowedEmailDomains: z
      .array(
        z
          .string()
          .trim()
          .toLowerCase()
          .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, "A domain like example.com."),
      )
      .max(50),
    messageRetentionDays: z.number().int().min(1).max(3650).nullable(),
    require2fa: z.boolean(),
  })
  .partial()
  .strict();

/** What an owner may change. */
export const ownerUpdateInput = z
  .object({ name: z.string().trim().min(2).max(100), branding: brandingInput, settings: settingsInput })
  .partial()
  .strict();
/** What a super admin (or the billing system) may change in addition. */
export const platformUpdateInput = ownerUpdateInput
  .extend({
    status: z.enum(["trial", "active", "past_due", "suspended", "cancelled"]),
    billingPlan: z.enum(["free", "pro", "enterprise", "custom"]),
    limits: limitsInput,
    features: z.record(z.string(), z.boolean()),
  })
  .partial()
  .strict();
export type UpdateTenantRequest = z.output<typeof platformUpdateInput>;
/** The keys an owner may change (the service refuses others from any caller). */
export const OWNER_KEYS: ReadonlySet<string> = new Set(Object.keys(ownerUpdateInput.shape));

/** The settings of a tenant, as its members see them. */
export type TenantSettingsView = z.infer<typeof settingsInput>;
