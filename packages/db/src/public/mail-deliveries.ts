import { index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

/**
 * The delivery log of outgoing mail, one row per mail a tenant's work asked for: what kind, to whom,
 * where it stands (queued → sent, or failed after its last try), how many tries and the last SMTP
 * error. Never the body nor its links (they carry single-use tokens). Row-level security confines a
 * tenant role to its own rows, like the other shared tables.
 */
export const mailDeliveries = pgTable(
  "mail_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** invitation, password_reset, email_verification (later: mention notices, billing notices). */
    kind: text("kind").notNull(),
    recipient: text("recipient").notNull(),
    subject: text("subject").notNull(),
    /** queued (waiting or between tries), sent, failed (no try left). */
    status: text("status").notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** The queue's job id, once queued. */
    jobId: text("job_id"),
    /** The SMTP server's Message-ID of the sent mail. */
    messageId: text("message_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [index("mail_deliveries_tenant_created_idx").on(t.tenantId, t.createdAt)],
);

export type MailDelivery = typeof mailDeliveries.$inferSelect;
