import { integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

/** Stripe events by event id; a row is written in the same transaction as the event's effect. */
export const stripeWebhooks = pgTable("stripe_webhooks", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "set null" }),
  status: text("status").notNull(),
  attempts: integer("attempts").notNull().default(1),
  error: text("error"),
  payload: jsonb("payload").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  processedAt: timestamp("processed_at", { withTimezone: true }),
});
