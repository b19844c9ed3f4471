import { index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Platform accounts for the admin app; they are not users of any tenant. */
export const superAdmins = pgTable("super_admins", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  passwordHash: text("password_hash").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
  disabledAt: timestamp("disabled_at", { withTimezone: true }),
  /** Failed sign-ins since the last success (the back-off grows with it). */
  failedSignIns: integer("failed_sign_ins").notNull().default(0),
  /** No sign-in attempt is checked before this (back-off after repeated failures). */
  signInBlockedUntil: timestamp("sign_in_blocked_until", { withTimezone: true }),
});

export const superAdminSessions = pgTable(
  "super_admin_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    adminId: uuid("admin_id")
      .notNull()
      .references(() => superAdmins.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("super_admin_sessions_admin_idx").on(t.adminId)],
);
