import { sql } from "drizzle-orm";
import { executeRows, type Database } from "../drizzle/client.js";

export interface RunNeedingWork {
  runId: string;
  workspaceId: string;
  reason: "queued" | "running" | "decided";
}

/**
 * Runs that should be on the queue, across all workspaces (a system sweep, not a user's query):
 * queued or running runs untouched since `staleBefore` (their job may have been lost with Redis),
 * and paused runs whose approval was decided or has expired but which have not carried on yet.
 * Enqueueing is idempotent by run id, so a run that is in fact still on the queue costs nothing.
 */
export async function findRunsNeedingWork(db: Database, input: { staleBefore: Date; limit?: number }): Promise<RunNeedingWork[]> {
  const rows = await executeRows<{ id: string; workspace_id: string; status: string }>(
    db,
    sql`select r.id, r.workspace_id, r.status from runs r
        where (r.status in ('queued', 'running') and r.updated_at < ${input.staleBefore.toISOString()}::timestamptz)
           or (r.status = 'awaiting_approval' and exists (
                select 1 from approvals a
                where a.run_id = r.id and a.workspace_id = r.workspace_id
                  and (a.status in ('approved', 'rejected') or (a.status = 'pending' and a.expires_at <= now()))
                  and not exists (
                    select 1 from run_steps s
                    where s.run_id = r.id and s.kind = 'approval_decided' and s.payload->>'approvalId' = a.id::text)))
        order by r.updated_at
        limit ${input.limit ?? 100}`,
  );
  return rows.map((row) => ({ runId: row.id, workspaceId: row.workspace_id, reason: row.status === "awaiting_approval" ? "decided" : row.status === "queued" ? "queued" : "running" }));
}
