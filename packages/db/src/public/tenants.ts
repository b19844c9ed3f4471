import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const tenantStatus = pgEnum("tenant_status", [
  "trial",
  "active",
  "past_due",
  "suspended",
  "cancelled",
  "deleted",
]);
export const billingPlan = pgEnum("billing_plan", ["free", "pro", "enterprise", "custom"]);
export const billingInterval = pgEnum("billing_interval", ["month", "year"]);

export type TenantBranding = {
  appName?: string;
  primaryColor?: string;
  secondaryColor?: string;
  logoUrl?: string;
};

/** Resource limits; -1 means unlimited. Storage in GB (fractions allowed). */
export type TenantLimits = {
  users: number;
  channels: number;
  storageGb: number;
  apiCallsPerMonth: number;
  maxUploadMb: number;
  /** Custom plans: request rate limits overriding the plan's (per tenant). */
  requestsPerMinute?: number;
  requestsPerHour?: number;
};

export type TenantFeatures = Record<string, boolean>;

export const tenants = pgTable(
  "tenants",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    slug: text("slug").notNull().unique(),
    status: tenantStatus("status").notNull().default("active"),
    ownerId: uuid("owner_id"),
    ownerEmail: text("owner_email").notNull(),
    ownerName: text("owner_name").notNull(),
    schemaName: text("schema_name").notNull().unique(),
    dbRole: text("db_role").notNull().unique(),
    branding: jsonb("branding").$type<TenantBranding>().notNull().default({}),
    billingPlan: billingPlan("billing_plan").notNull().default("free"),
    billingInterval: billingInterval("billing_interval").notNull().default("month"),
    stripeCustomerId: text("stripe_customer_id").unique(),
    stripeSubscriptionId: text("stripe_subscription_id").unique(),
    stripePriceId: text("stripe_price_id"),
    currentPeriodStart: timestamp("current_period_start", { withTimezone: true }),
    currentPeriodEnd: timestamp("current_period_end", { withTimezone: true }),
    cancelAtPeriodEnd: boolean("cancel_at_period_end").notNull().default(false),
    trialEndsAt: timestamp("trial_ends_at", { withTimezone: true }),
    lastPaymentDate: timestamp("last_payment_date", { withTimezone: true }),
    lastPaymentAmount: integer("last_payment_amount"),
    lastPaymentStatus: text("last_payment_status"),
    limits: jsonb("limits").$type<TenantLimits>().notNull(),
    features: jsonb("features").$type<TenantFeatures>().notNull().default({}),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    suspendedAt: timestamp("suspended_at", { withTimezone: true }),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    index("tenants_status_idx").on(t.status),
    index("tenants_plan_idx").on(t.billingPlan),
    index("tenants_created_at_idx").on(t.createdAt),
    index("tenants_owner_email_idx").on(sql`lower(${t.ownerEmail})`),
    // Admin console search: prefix matches (`like 'abc%'`) on name, slug and owner email, whatever
    // the database collation (text_pattern_ops). pg_trgm is not available everywhere.
    index("tenants_name_prefix_idx").on(sql`lower(${t.name}) text_pattern_ops`),
    index("tenants_slug_prefix_idx").on(sql`${t.slug} text_pattern_ops`),
    index("tenants_owner_email_prefix_idx").on(sql`lower(${t.ownerEmail}) text_pattern_ops`),
  ],
);

export type Tenant = typeof tenants.$inferSelect;
export type NewTenant = typeof tenants.$inferInsert;
