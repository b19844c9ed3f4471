ALTER TABLE "tenant_template"."users" ADD COLUMN "time_zone" text;--> statement-breakpoint
ALTER TABLE "tenant_template"."users" ADD COLUMN "avatar_key" text;--> statement-breakpoint
ALTER TABLE "tenant_template"."users" ADD COLUMN "avatar_thumb_key" text;--> statement-breakpoint
ALTER TABLE "tenant_template"."users" ADD COLUMN "avatar_key_version" integer;
