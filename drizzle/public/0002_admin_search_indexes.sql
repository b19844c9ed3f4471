CREATE INDEX "tenant_domains_domain_prefix_idx" ON "tenant_domains" USING btree ("domain" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "tenant_usage_period_messages_idx" ON "tenant_usage" USING btree ("period","messages_sent");--> statement-breakpoint
CREATE INDEX "tenants_name_prefix_idx" ON "tenants" USING btree (lower("name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "tenants_slug_prefix_idx" ON "tenants" USING btree ("slug" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "tenants_owner_email_prefix_idx" ON "tenants" USING btree (lower("owner_email") text_pattern_ops);