ALTER TABLE "super_admins" ADD COLUMN "failed_sign_ins" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "super_admins" ADD COLUMN "sign_in_blocked_until" timestamp with time zone;