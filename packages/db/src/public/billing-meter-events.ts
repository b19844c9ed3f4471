import { bigint, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

/**
 * Usage reported to Stripe billing meters, one row per meter event (an outbox): the usage job
 * writes the row and commits before calling Stripe, then marks it sent. A row still `pending`
 * (the call failed, or the process stopped between the two) is sent again with the SAME
 * identifier, which Stripe drops as a repeat within 24 hours; after 23 hours it is marked
 * `expired` instead (a resend could be counted twice) and shown to operators.
 *
 * - `meter`: "api_calls" (a delta of API calls above the month's allowance; `cumulative` is the
 *   month's overage reported so far, `usage_period` the month "YYYY-MM") or "storage" (whole GB
 *   above the allowance, aggregated "last"; `usage_period` is the subscription period's start).
 * - `status`: pending → sent, or failed (Stripe refused it), rejected (Stripe reported it in a
 *   v1.billing.meter error event), expired (not confirmed within the dedupe window).
 */
export const billingMeterEvents = pgTable(
  "billing_meter_events",
  {
    identifier: text("identifier").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    meter: text("meter").notNull(),
    eventName: text("event_name").notNull(),
    usagePeriod: text("usage_period").notNull(),
    stripeCustomerId: text("stripe_customer_id").notNull(),
    quantity: bigint("quantity", { mode: "number" }).notNull(),
    cumulative: bigint("cumulative", { mode: "number" }).notNull(),
    /** The meter event's timestamp: inside the subscription period the usage is billed in. */
    eventAt: timestamp("event_at", { withTimezone: true }).notNull(),
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    index("billing_meter_events_tenant_idx").on(t.tenantId, t.meter, t.usagePeriod),
    index("billing_meter_events_pending_idx").on(t.status, t.createdAt),
  ],
);

export type BillingMeterEvent = typeof billingMeterEvents.$inferSelect;
