ALTER TABLE "tenant_domains" DROP CONSTRAINT "tenant_domains_domain_unique";--> statement-breakpoint
CREATE UNIQUE INDEX "tenant_domains_verified_domain_unique" ON "tenant_domains" USING btree ("domain") WHERE "tenant_domains"."status" = 'verified';--> statement-breakpoint
CREATE UNIQUE INDEX "tenant_domains_tenant_domain_unique" ON "tenant_domains" USING btree ("tenant_id","domain");