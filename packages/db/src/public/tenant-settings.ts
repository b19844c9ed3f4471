import { boolean, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

export const tenantSettings = pgTable("tenant_settings", {
  tenantId: uuid("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  sessionTimeoutMinutes: integer("session_timeout_minutes")
    .notNull()
    .default(60 * 24 * 14),
  allowGuestAccess: boolean("allow_guest_access").notNull().default(false),
  allowedEmailDomains: text("allowed_email_domains").array().notNull().default([]),
  defaultChannels: text("default_channels").array().notNull().default(["general"]),
  messageRetentionDays: integer("message_retention_days"),
  require2fa: boolean("require_2fa").notNull().default(false),
  extra: jsonb("extra").$type<Record<string, unknown>>().notNull().default({}),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export type TenantSettings = typeof tenantSettings.$inferSelect;
