CREATE TABLE "tenant_template"."pins" (
	"message_id" bigint PRIMARY KEY NOT NULL,
	"channel_id" uuid NOT NULL,
	"pinned_by" uuid,
	"pinned_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tenant_template"."channel_members" ADD COLUMN "notify_level" text;--> statement-breakpoint
ALTER TABLE "tenant_template"."channel_members" ADD COLUMN "muted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tenant_template"."pins" ADD CONSTRAINT "pins_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "tenant_template"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_template"."pins" ADD CONSTRAINT "pins_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "tenant_template"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_template"."pins" ADD CONSTRAINT "pins_pinned_by_users_id_fk" FOREIGN KEY ("pinned_by") REFERENCES "tenant_template"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pins_channel_idx" ON "tenant_template"."pins" USING btree ("channel_id","pinned_at");--> statement-breakpoint
ALTER TABLE "tenant_template"."channel_members" ADD CONSTRAINT "channel_members_notify_level_check" CHECK ("notify_level" in ('all', 'mentions', 'nothing'));
