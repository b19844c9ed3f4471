import { sql } from "drizzle-orm";
import { index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

export const domainStatus = pgEnum("domain_status", ["pending", "verified", "failed"]);

export const tenantDomains = pgTable(
  "tenant_domains",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    domain: text("domain").notNull(),
    verificationToken: text("verification_token").notNull(),
    status: domainStatus("status").notNull().default("pending"),
    verifiedAt: timestamp("verified_at", { withTimezone: true }),
    lastCheckedAt: timestamp("last_checked_at", { withTimezone: true }),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("tenant_domains_tenant_idx").on(t.tenantId),
    // Claims do not block each other: any workspace may add a domain; the one that proves control
    // (its own TXT token) owns it. One verified owner per domain; a workspace adds a domain once.
    uniqueIndex("tenant_domains_verified_domain_unique").on(t.domain).where(sql`${t.status} = 'verified'`),
    uniqueIndex("tenant_domains_tenant_domain_unique").on(t.tenantId, t.domain),
    // Admin console search by domain prefix.
    index("tenant_domains_domain_prefix_idx").on(sql`${t.domain} text_pattern_ops`),
  ],
);

export type TenantDomain = typeof tenantDomains.$inferSelect;
