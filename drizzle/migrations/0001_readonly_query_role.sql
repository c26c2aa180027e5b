-- query_readonly runs model-written SQL as this role: it can only SELECT the planning tables, and
-- row-level security shows it the rows of the workspace named in event_planner.workspace_id alone.
-- The application's own role owns the tables, so these policies never filter the app's queries.
DO $$
BEGIN
  CREATE ROLE event_planner_readonly NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
EXCEPTION WHEN duplicate_object THEN
  NULL; -- roles are cluster-wide: another database of the cluster created it first
END
$$;
--> statement-breakpoint
GRANT event_planner_readonly TO CURRENT_USER;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO event_planner_readonly;
--> statement-breakpoint
GRANT SELECT ON "events" TO event_planner_readonly;
--> statement-breakpoint
GRANT SELECT ON "venue_bookings" TO event_planner_readonly;
--> statement-breakpoint
GRANT SELECT ON "vendor_quotes" TO event_planner_readonly;
--> statement-breakpoint
GRANT SELECT ON "guests" TO event_planner_readonly;
--> statement-breakpoint
GRANT SELECT ON "tasks" TO event_planner_readonly;
--> statement-breakpoint
GRANT SELECT ON "budget_lines" TO event_planner_readonly;
--> statement-breakpoint
GRANT SELECT ON "venues" TO event_planner_readonly;
--> statement-breakpoint
GRANT SELECT ON "vendors" TO event_planner_readonly;
--> statement-breakpoint
ALTER TABLE "events" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "venue_bookings" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "vendor_quotes" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "guests" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "tasks" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "budget_lines" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "venues" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "vendors" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "events_readonly_workspace" ON "events" FOR SELECT TO event_planner_readonly USING ("workspace_id" = nullif(current_setting('event_planner.workspace_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "venue_bookings_readonly_workspace" ON "venue_bookings" FOR SELECT TO event_planner_readonly USING ("workspace_id" = nullif(current_setting('event_planner.workspace_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "vendor_quotes_readonly_workspace" ON "vendor_quotes" FOR SELECT TO event_planner_readonly USING ("workspace_id" = nullif(current_setting('event_planner.workspace_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "guests_readonly_workspace" ON "guests" FOR SELECT TO event_planner_readonly USING ("workspace_id" = nullif(current_setting('event_planner.workspace_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "tasks_readonly_workspace" ON "tasks" FOR SELECT TO event_planner_readonly USING ("workspace_id" = nullif(current_setting('event_planner.workspace_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "budget_lines_readonly_workspace" ON "budget_lines" FOR SELECT TO event_planner_readonly USING ("workspace_id" = nullif(current_setting('event_planner.workspace_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "venues_readonly_workspace" ON "venues" FOR SELECT TO event_planner_readonly USING ("workspace_id" IS NULL OR "workspace_id" = nullif(current_setting('event_planner.workspace_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "vendors_readonly_workspace" ON "vendors" FOR SELECT TO event_planner_readonly USING ("workspace_id" IS NULL OR "workspace_id" = nullif(current_setting('event_planner.workspace_id', true), '')::uuid);
