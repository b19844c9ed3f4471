import { bigint, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

/**
 * Metered usage reported to Stripe: one row per tenant and usage period ("YYYY-MM"), written in the
 * same transaction as the Stripe call, so a period is reported at most once. `identifier` is the
 * Stripe meter event's identifier (Stripe drops a repeat of it), closing the window between
 * Stripe's answer and the commit.
 */
export const billingMeterReports = pgTable(
  "billing_meter_reports",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    period: text("period").notNull(),
    eventName: text("event_name").notNull(),
    identifier: text("identifier").notNull().unique(),
    stripeCustomerId: text("stripe_customer_id").notNull(),
    /** Units reported (API calls above the plan's monthly allowance). */
    quantity: bigint("quantity", { mode: "number" }).notNull(),
    reportedAt: timestamp("reported_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.period] })],
);

export type BillingMeterReport = typeof billingMeterReports.$inferSelect;
