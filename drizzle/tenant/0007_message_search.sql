ALTER TABLE "tenant_template"."messages" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS ((to_tsvector('english'::regconfig, "body") || to_tsvector('simple'::regconfig, "body"))) STORED;--> statement-breakpoint
ALTER TABLE "tenant_template"."attachments" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS ((to_tsvector('english'::regconfig, regexp_replace("file_name", '[[:punct:]]+', ' ', 'g')) || to_tsvector('simple'::regconfig, regexp_replace("file_name", '[[:punct:]]+', ' ', 'g')))) STORED;--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "tenant_template"."messages" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "attachments_search_idx" ON "tenant_template"."attachments" USING gin ("search_vector");
