CREATE TABLE "billing_meter_events" (
	"identifier" text PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"meter" text NOT NULL,
	"event_name" text NOT NULL,
	"usage_period" text NOT NULL,
	"stripe_customer_id" text NOT NULL,
	"quantity" bigint NOT NULL,
	"cumulative" bigint NOT NULL,
	"event_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);--> statement-breakpoint
ALTER TABLE "billing_meter_events" ADD CONSTRAINT "billing_meter_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "billing_meter_events_tenant_idx" ON "billing_meter_events" USING btree ("tenant_id","meter","usage_period");--> statement-breakpoint
CREATE INDEX "billing_meter_events_pending_idx" ON "billing_meter_events" USING btree ("status","created_at");
