CREATE TABLE "billing_meter_reports" (
	"tenant_id" uuid NOT NULL,
	"period" text NOT NULL,
	"event_name" text NOT NULL,
	"identifier" text NOT NULL,
	"stripe_customer_id" text NOT NULL,
	"quantity" bigint NOT NULL,
	"reported_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_meter_reports_tenant_id_period_pk" PRIMARY KEY("tenant_id","period"),
	CONSTRAINT "billing_meter_reports_identifier_unique" UNIQUE("identifier")
);
--> statement-breakpoint
ALTER TABLE "billing_meter_reports" ADD CONSTRAINT "billing_meter_reports_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;