CREATE TYPE "public"."price_unit" AS ENUM('per_person', 'per_event', 'per_hour', 'per_day');--> statement-breakpoint
CREATE TYPE "public"."vendor_category" AS ENUM('catering', 'av', 'photography', 'transport', 'decor', 'entertainment');--> statement-breakpoint
CREATE TYPE "public"."venue_kind" AS ENUM('hotel', 'conference_center', 'restaurant', 'rooftop', 'historic', 'loft', 'garden', 'winery', 'coworking', 'beach_club');--> statement-breakpoint
CREATE TYPE "public"."booking_status" AS ENUM('hold', 'requested', 'confirmed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."budget_category" AS ENUM('venue', 'catering', 'av', 'photography', 'transport', 'decor', 'entertainment', 'accommodation', 'staff', 'other');--> statement-breakpoint
CREATE TYPE "public"."event_kind" AS ENUM('offsite', 'conference', 'wedding', 'birthday', 'party', 'meeting', 'workshop', 'other');--> statement-breakpoint
CREATE TYPE "public"."event_status" AS ENUM('draft', 'planning', 'confirmed', 'completed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."quote_status" AS ENUM('requested', 'received', 'accepted', 'declined', 'expired');--> statement-breakpoint
CREATE TYPE "public"."rsvp_status" AS ENUM('not_invited', 'invited', 'accepted', 'declined', 'tentative');--> statement-breakpoint
CREATE TYPE "public"."task_status" AS ENUM('todo', 'in_progress', 'done', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."conversation_channel" AS ENUM('api', 'web', 'slack', 'cli');--> statement-breakpoint
CREATE TYPE "public"."message_role" AS ENUM('user', 'assistant');--> statement-breakpoint
CREATE TYPE "public"."approval_status" AS ENUM('pending', 'approved', 'rejected', 'expired', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."run_status" AS ENUM('queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."run_step_kind" AS ENUM('model_turn', 'tool_call', 'tool_result', 'approval_requested', 'approval_decided', 'status_change');--> statement-breakpoint
CREATE TYPE "public"."tool_call_status" AS ENUM('pending', 'awaiting_approval', 'running', 'succeeded', 'failed', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."webhook_delivery_status" AS ENUM('received', 'processed', 'failed', 'ignored');--> statement-breakpoint
CREATE TYPE "public"."webhook_provider" AS ENUM('slack', 'twilio', 'stripe');--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text DEFAULT 'default' NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_prefix_unique" UNIQUE("prefix"),
	CONSTRAINT "api_keys_hash_sha256_hex" CHECK ("api_keys"."hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "workspaces" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"display_name" text,
	"email_domain" text,
	"monthly_budget_micros" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspaces_name_unique" UNIQUE("name"),
	CONSTRAINT "workspaces_name_format" CHECK ("workspaces"."name" ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
	CONSTRAINT "workspaces_monthly_budget_non_negative" CHECK ("workspaces"."monthly_budget_micros" >= 0)
);
--> statement-breakpoint
CREATE TABLE "vendors" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"category" "vendor_category" NOT NULL,
	"city" text NOT NULL,
	"country_code" text NOT NULL,
	"price_min_minor" bigint NOT NULL,
	"price_max_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"price_unit" "price_unit" NOT NULL,
	"dietary_options" text[] DEFAULT '{}'::text[] NOT NULL,
	"services" text[] DEFAULT '{}'::text[] NOT NULL,
	"email" text,
	"phone" text,
	"rating" real,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vendors_workspace_slug_unique" UNIQUE NULLS NOT DISTINCT("workspace_id","slug"),
	CONSTRAINT "vendors_price_min_non_negative" CHECK ("vendors"."price_min_minor" >= 0),
	CONSTRAINT "vendors_price_range_ordered" CHECK ("vendors"."price_max_minor" >= "vendors"."price_min_minor"),
	CONSTRAINT "vendors_currency_iso4217" CHECK ("vendors"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "vendors_country_code_iso3166" CHECK ("vendors"."country_code" ~ '^[A-Z]{2}$'),
	CONSTRAINT "vendors_phone_e164" CHECK ("vendors"."phone" ~ '^\+[1-9][0-9]{6,14}$'),
	CONSTRAINT "vendors_email_format" CHECK ("vendors"."email" ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' and "vendors"."email" = lower("vendors"."email")),
	CONSTRAINT "vendors_rating_range" CHECK ("vendors"."rating" between 0 and 5)
);
--> statement-breakpoint
CREATE TABLE "venues" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"kind" "venue_kind" NOT NULL,
	"city" text NOT NULL,
	"country_code" text NOT NULL,
	"time_zone" text NOT NULL,
	"address" text NOT NULL,
	"capacity" integer NOT NULL,
	"day_rate_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"amenities" text[] DEFAULT '{}'::text[] NOT NULL,
	"accessibility" text[] DEFAULT '{}'::text[] NOT NULL,
	"wheelchair_accessible" boolean DEFAULT false NOT NULL,
	"catering_in_house" boolean DEFAULT false NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "venues_workspace_slug_unique" UNIQUE NULLS NOT DISTINCT("workspace_id","slug"),
	CONSTRAINT "venues_capacity_positive" CHECK ("venues"."capacity" > 0),
	CONSTRAINT "venues_day_rate_non_negative" CHECK ("venues"."day_rate_minor" >= 0),
	CONSTRAINT "venues_currency_iso4217" CHECK ("venues"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "venues_country_code_iso3166" CHECK ("venues"."country_code" ~ '^[A-Z]{2}$'),
	CONSTRAINT "venues_time_zone_iana" CHECK ((timestamp '2000-01-01 00:00' at time zone "venues"."time_zone") is not null)
);
--> statement-breakpoint
CREATE TABLE "budget_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"category" "budget_category" NOT NULL,
	"description" text NOT NULL,
	"planned_minor" bigint DEFAULT 0 NOT NULL,
	"committed_minor" bigint DEFAULT 0 NOT NULL,
	"currency" text NOT NULL,
	"venue_booking_id" uuid,
	"vendor_quote_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_lines_planned_non_negative" CHECK ("budget_lines"."planned_minor" >= 0),
	CONSTRAINT "budget_lines_committed_non_negative" CHECK ("budget_lines"."committed_minor" >= 0),
	CONSTRAINT "budget_lines_currency_iso4217" CHECK ("budget_lines"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"conversation_id" uuid,
	"title" text NOT NULL,
	"kind" "event_kind" DEFAULT 'other' NOT NULL,
	"status" "event_status" DEFAULT 'draft' NOT NULL,
	"city" text,
	"country_code" text,
	"time_zone" text NOT NULL,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"headcount" integer NOT NULL,
	"budget_minor" bigint,
	"currency" text NOT NULL,
	"requirements" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_id_workspace_unique" UNIQUE("id","workspace_id"),
	CONSTRAINT "events_headcount_positive" CHECK ("events"."headcount" > 0),
	CONSTRAINT "events_budget_non_negative" CHECK ("events"."budget_minor" >= 0),
	CONSTRAINT "events_currency_iso4217" CHECK ("events"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "events_country_code_iso3166" CHECK ("events"."country_code" ~ '^[A-Z]{2}$'),
	CONSTRAINT "events_time_zone_iana" CHECK ((timestamp '2000-01-01 00:00' at time zone "events"."time_zone") is not null),
	CONSTRAINT "events_ends_after_starts" CHECK ("events"."ends_at" > "events"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "guests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"phone" text,
	"rsvp_status" "rsvp_status" DEFAULT 'not_invited' NOT NULL,
	"dietary" text[] DEFAULT '{}'::text[] NOT NULL,
	"accessibility" text[] DEFAULT '{}'::text[] NOT NULL,
	"plus_ones" integer DEFAULT 0 NOT NULL,
	"notes" text,
	"invited_at" timestamp with time zone,
	"responded_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "guests_event_phone_unique" UNIQUE("event_id","phone"),
	CONSTRAINT "guests_event_email_unique" UNIQUE("event_id","email"),
	CONSTRAINT "guests_phone_e164" CHECK ("guests"."phone" ~ '^\+[1-9][0-9]{6,14}$'),
	CONSTRAINT "guests_email_format" CHECK ("guests"."email" ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' and "guests"."email" = lower("guests"."email")),
	CONSTRAINT "guests_plus_ones_range" CHECK ("guests"."plus_ones" between 0 and 10),
	CONSTRAINT "guests_name_not_blank" CHECK (length(trim("guests"."name")) > 0),
	CONSTRAINT "guests_contact_present" CHECK ("guests"."email" is not null or "guests"."phone" is not null)
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"title" text NOT NULL,
	"notes" text,
	"status" "task_status" DEFAULT 'todo' NOT NULL,
	"due_at" timestamp with time zone,
	"assignee" text,
	"position" integer DEFAULT 0 NOT NULL,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tasks_title_not_blank" CHECK (length(trim("tasks"."title")) > 0),
	CONSTRAINT "tasks_completed_when_done" CHECK (("tasks"."status" = 'done') = ("tasks"."completed_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "vendor_quotes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"vendor_id" uuid NOT NULL,
	"status" "quote_status" DEFAULT 'requested' NOT NULL,
	"amount_minor" bigint,
	"currency" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"vendor_notes" text,
	"valid_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vendor_quotes_amount_non_negative" CHECK ("vendor_quotes"."amount_minor" >= 0),
	CONSTRAINT "vendor_quotes_currency_iso4217" CHECK ("vendor_quotes"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "vendor_quotes_priced_when_received" CHECK ("vendor_quotes"."status" in ('requested', 'declined', 'expired') or "vendor_quotes"."amount_minor" is not null)
);
--> statement-breakpoint
CREATE TABLE "venue_bookings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"venue_id" uuid NOT NULL,
	"status" "booking_status" DEFAULT 'hold' NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"price_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"notes" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "venue_bookings_id_workspace_unique" UNIQUE("id","workspace_id"),
	CONSTRAINT "venue_bookings_ends_after_starts" CHECK ("venue_bookings"."ends_at" > "venue_bookings"."starts_at"),
	CONSTRAINT "venue_bookings_price_non_negative" CHECK ("venue_bookings"."price_minor" >= 0),
	CONSTRAINT "venue_bookings_currency_iso4217" CHECK ("venue_bookings"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"title" text,
	"channel" "conversation_channel" DEFAULT 'api' NOT NULL,
	"external_ref" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversations_id_workspace_unique" UNIQUE("id","workspace_id"),
	CONSTRAINT "conversations_workspace_external_ref_unique" UNIQUE("workspace_id","external_ref")
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"role" "message_role" NOT NULL,
	"content" text NOT NULL,
	"run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "messages_content_not_blank" CHECK (length(trim("messages"."content")) > 0),
	CONSTRAINT "messages_content_size" CHECK (length("messages"."content") <= 100000)
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"tool_call_id" uuid,
	"status" "approval_status" DEFAULT 'pending' NOT NULL,
	"action" text NOT NULL,
	"summary" text NOT NULL,
	"amount_minor" bigint,
	"currency" text,
	"recipients" text[] DEFAULT '{}'::text[] NOT NULL,
	"payload" jsonb NOT NULL,
	"approved_payload" jsonb,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"note" text,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "approvals_amount_non_negative" CHECK ("approvals"."amount_minor" >= 0),
	CONSTRAINT "approvals_currency_iso4217" CHECK ("approvals"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "approvals_amount_has_currency" CHECK (("approvals"."amount_minor" is null) = ("approvals"."currency" is null)),
	CONSTRAINT "approvals_decided_when_not_pending" CHECK (("approvals"."status" = 'pending') = ("approvals"."decided_at" is null))
);
--> statement-breakpoint
CREATE TABLE "run_steps" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"kind" "run_step_kind" NOT NULL,
	"payload" jsonb NOT NULL,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cache_write_tokens" integer DEFAULT 0 NOT NULL,
	"cache_read_tokens" integer DEFAULT 0 NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_steps_run_seq_unique" UNIQUE("run_id","seq"),
	CONSTRAINT "run_steps_seq_non_negative" CHECK ("run_steps"."seq" >= 0),
	CONSTRAINT "run_steps_usage_non_negative" CHECK ("run_steps"."input_tokens" >= 0 and "run_steps"."output_tokens" >= 0 and "run_steps"."cache_write_tokens" >= 0 and "run_steps"."cache_read_tokens" >= 0 and "run_steps"."cost_micros" >= 0)
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"trigger_message_id" uuid,
	"status" "run_status" DEFAULT 'queued' NOT NULL,
	"idempotency_key" text,
	"provider" text,
	"model" text,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cache_write_tokens" integer DEFAULT 0 NOT NULL,
	"cache_read_tokens" integer DEFAULT 0 NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"step_count" integer DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"result" jsonb,
	"error" jsonb,
	"cancel_requested_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "runs_id_workspace_unique" UNIQUE("id","workspace_id"),
	CONSTRAINT "runs_workspace_idempotency_key_unique" UNIQUE("workspace_id","idempotency_key"),
	CONSTRAINT "runs_usage_non_negative" CHECK ("runs"."input_tokens" >= 0 and "runs"."output_tokens" >= 0 and "runs"."cache_write_tokens" >= 0 and "runs"."cache_read_tokens" >= 0 and "runs"."cost_micros" >= 0),
	CONSTRAINT "runs_counters_non_negative" CHECK ("runs"."step_count" >= 0 and "runs"."attempts" >= 0),
	CONSTRAINT "runs_finished_when_terminal" CHECK (("runs"."status" in ('succeeded', 'failed', 'cancelled')) = ("runs"."finished_at" is not null)),
	CONSTRAINT "runs_error_when_failed" CHECK ("runs"."status" <> 'failed' or "runs"."error" is not null)
);
--> statement-breakpoint
CREATE TABLE "tool_calls" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"run_id" uuid,
	"server" text NOT NULL,
	"tool" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"arguments" jsonb NOT NULL,
	"status" "tool_call_status" DEFAULT 'pending' NOT NULL,
	"result" jsonb,
	"error" jsonb,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "tool_calls_id_workspace_unique" UNIQUE("id","workspace_id"),
	CONSTRAINT "tool_calls_workspace_idempotency_key_unique" UNIQUE("workspace_id","idempotency_key"),
	CONSTRAINT "tool_calls_attempts_non_negative" CHECK ("tool_calls"."attempts" >= 0),
	CONSTRAINT "tool_calls_key_not_blank" CHECK (length("tool_calls"."idempotency_key") between 1 and 200)
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid,
	"provider" "webhook_provider" NOT NULL,
	"external_id" text NOT NULL,
	"event_type" text NOT NULL,
	"status" "webhook_delivery_status" DEFAULT 'received' NOT NULL,
	"payload" jsonb NOT NULL,
	"error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "webhook_deliveries_provider_external_id_unique" UNIQUE("provider","external_id")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vendors" ADD CONSTRAINT "vendors_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "venues" ADD CONSTRAINT "venues_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_lines" ADD CONSTRAINT "budget_lines_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_lines" ADD CONSTRAINT "budget_lines_venue_booking_id_venue_bookings_id_fk" FOREIGN KEY ("venue_booking_id") REFERENCES "public"."venue_bookings"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_lines" ADD CONSTRAINT "budget_lines_vendor_quote_id_vendor_quotes_id_fk" FOREIGN KEY ("vendor_quote_id") REFERENCES "public"."vendor_quotes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_lines" ADD CONSTRAINT "budget_lines_event_fk" FOREIGN KEY ("event_id","workspace_id") REFERENCES "public"."events"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "guests" ADD CONSTRAINT "guests_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "guests" ADD CONSTRAINT "guests_event_fk" FOREIGN KEY ("event_id","workspace_id") REFERENCES "public"."events"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_event_fk" FOREIGN KEY ("event_id","workspace_id") REFERENCES "public"."events"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vendor_quotes" ADD CONSTRAINT "vendor_quotes_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vendor_quotes" ADD CONSTRAINT "vendor_quotes_vendor_id_vendors_id_fk" FOREIGN KEY ("vendor_id") REFERENCES "public"."vendors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vendor_quotes" ADD CONSTRAINT "vendor_quotes_event_fk" FOREIGN KEY ("event_id","workspace_id") REFERENCES "public"."events"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "venue_bookings" ADD CONSTRAINT "venue_bookings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "venue_bookings" ADD CONSTRAINT "venue_bookings_venue_id_venues_id_fk" FOREIGN KEY ("venue_id") REFERENCES "public"."venues"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "venue_bookings" ADD CONSTRAINT "venue_bookings_event_fk" FOREIGN KEY ("event_id","workspace_id") REFERENCES "public"."events"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_conversation_fk" FOREIGN KEY ("conversation_id","workspace_id") REFERENCES "public"."conversations"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_run_fk" FOREIGN KEY ("run_id","workspace_id") REFERENCES "public"."runs"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_tool_call_fk" FOREIGN KEY ("tool_call_id","workspace_id") REFERENCES "public"."tool_calls"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_steps" ADD CONSTRAINT "run_steps_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_steps" ADD CONSTRAINT "run_steps_run_fk" FOREIGN KEY ("run_id","workspace_id") REFERENCES "public"."runs"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_trigger_message_id_messages_id_fk" FOREIGN KEY ("trigger_message_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_conversation_fk" FOREIGN KEY ("conversation_id","workspace_id") REFERENCES "public"."conversations"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tool_calls" ADD CONSTRAINT "tool_calls_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tool_calls" ADD CONSTRAINT "tool_calls_run_fk" FOREIGN KEY ("run_id","workspace_id") REFERENCES "public"."runs"("id","workspace_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_workspace_idx" ON "api_keys" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "vendors_city_category_idx" ON "vendors" USING btree (lower("city"),"category");--> statement-breakpoint
CREATE INDEX "vendors_workspace_idx" ON "vendors" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "venues_city_capacity_idx" ON "venues" USING btree (lower("city"),"capacity");--> statement-breakpoint
CREATE INDEX "venues_workspace_idx" ON "venues" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "budget_lines_event_category_idx" ON "budget_lines" USING btree ("event_id","category");--> statement-breakpoint
CREATE INDEX "budget_lines_workspace_idx" ON "budget_lines" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "budget_lines_venue_booking_idx" ON "budget_lines" USING btree ("venue_booking_id");--> statement-breakpoint
CREATE INDEX "budget_lines_vendor_quote_idx" ON "budget_lines" USING btree ("vendor_quote_id");--> statement-breakpoint
CREATE INDEX "events_workspace_created_idx" ON "events" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "events_workspace_status_idx" ON "events" USING btree ("workspace_id","status");--> statement-breakpoint
CREATE INDEX "events_conversation_idx" ON "events" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "guests_event_idx" ON "guests" USING btree ("event_id","rsvp_status");--> statement-breakpoint
CREATE INDEX "guests_workspace_phone_idx" ON "guests" USING btree ("workspace_id","phone");--> statement-breakpoint
CREATE INDEX "tasks_event_due_idx" ON "tasks" USING btree ("event_id","due_at");--> statement-breakpoint
CREATE INDEX "tasks_workspace_idx" ON "tasks" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "vendor_quotes_event_idx" ON "vendor_quotes" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "vendor_quotes_vendor_idx" ON "vendor_quotes" USING btree ("vendor_id");--> statement-breakpoint
CREATE INDEX "vendor_quotes_workspace_idx" ON "vendor_quotes" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "venue_bookings_event_idx" ON "venue_bookings" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "venue_bookings_venue_time_idx" ON "venue_bookings" USING btree ("venue_id","starts_at","ends_at");--> statement-breakpoint
CREATE INDEX "venue_bookings_workspace_idx" ON "venue_bookings" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "conversations_workspace_updated_idx" ON "conversations" USING btree ("workspace_id","updated_at");--> statement-breakpoint
CREATE INDEX "messages_conversation_created_idx" ON "messages" USING btree ("conversation_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_workspace_idx" ON "messages" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "messages_run_idx" ON "messages" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "approvals_workspace_status_idx" ON "approvals" USING btree ("workspace_id","status","created_at");--> statement-breakpoint
CREATE INDEX "approvals_run_idx" ON "approvals" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "approvals_tool_call_idx" ON "approvals" USING btree ("tool_call_id");--> statement-breakpoint
CREATE INDEX "approvals_status_expires_idx" ON "approvals" USING btree ("status","expires_at");--> statement-breakpoint
CREATE INDEX "run_steps_workspace_idx" ON "run_steps" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "runs_workspace_status_idx" ON "runs" USING btree ("workspace_id","status");--> statement-breakpoint
CREATE INDEX "runs_workspace_created_idx" ON "runs" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "runs_conversation_idx" ON "runs" USING btree ("conversation_id","created_at");--> statement-breakpoint
CREATE INDEX "runs_status_updated_idx" ON "runs" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "runs_trigger_message_idx" ON "runs" USING btree ("trigger_message_id");--> statement-breakpoint
CREATE INDEX "tool_calls_run_idx" ON "tool_calls" USING btree ("run_id","created_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_workspace_received_idx" ON "webhook_deliveries" USING btree ("workspace_id","received_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_status_received_idx" ON "webhook_deliveries" USING btree ("status","received_at");