CREATE TABLE "tenant_template"."monthly_active_users" (
	"period" text NOT NULL,
	"user_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "monthly_active_users_period_user_id_pk" PRIMARY KEY("period","user_id")
);
--> statement-breakpoint
ALTER TABLE "tenant_template"."monthly_active_users" ADD CONSTRAINT "monthly_active_users_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "tenant_template"."users"("id") ON DELETE cascade ON UPDATE no action;