ALTER TABLE "tenant_template"."users" ADD COLUMN "mention_emails" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "tenant_template"."users" ADD COLUMN "mention_digest_at" timestamp with time zone;
