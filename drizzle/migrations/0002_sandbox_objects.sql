CREATE TYPE "public"."sandbox_service" AS ENUM('calendar', 'gdrive', 'slack', 'stripe', 'twilio');--> statement-breakpoint
CREATE TABLE "sandbox_objects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"service" "sandbox_service" NOT NULL,
	"kind" text NOT NULL,
	"external_id" text NOT NULL,
	"parent_external_id" text,
	"idempotency_key" text,
	"status" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sandbox_objects_external_id_unique" UNIQUE("workspace_id","service","kind","external_id"),
	CONSTRAINT "sandbox_objects_idempotency_key_unique" UNIQUE("workspace_id","service","kind","idempotency_key")
);
--> statement-breakpoint
ALTER TABLE "sandbox_objects" ADD CONSTRAINT "sandbox_objects_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sandbox_objects_listing_idx" ON "sandbox_objects" USING btree ("workspace_id","service","kind","created_at");--> statement-breakpoint
CREATE INDEX "sandbox_objects_parent_idx" ON "sandbox_objects" USING btree ("workspace_id","service","parent_external_id");