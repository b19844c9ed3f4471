import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

/** Usage per tenant per calendar month (UTC), period "YYYY-MM". */
export const tenantUsage = pgTable(
  "tenant_usage",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    period: text("period").notNull(),
    usersActive: integer("users_active").notNull().default(0),
    usersTotal: integer("users_total").notNull().default(0),
    messagesSent: bigint("messages_sent", { mode: "number" }).notNull().default(0),
    storageBytes: bigint("storage_bytes", { mode: "number" }).notNull().default(0),
    filesCount: integer("files_count").notNull().default(0),
    callsTotalMinutes: integer("calls_total_minutes").notNull().default(0),
    callsTotalCount: integer("calls_total_count").notNull().default(0),
    apiCallsTotal: bigint("api_calls_total", { mode: "number" }).notNull().default(0),
    apiCallsByEndpoint: jsonb("api_calls_by_endpoint").$type<Record<string, number>>().notNull().default({}),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.period] }),
    // Admin console: the month's top tenants by messages.
    index("tenant_usage_period_messages_idx").on(t.period, t.messagesSent),
  ],
);

export type TenantUsage = typeof tenantUsage.$inferSelect;
