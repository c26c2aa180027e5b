import type { Approval, Run } from "../drizzle/schema/index.js";
import { listApprovals } from "./approvals.js";
import type { DomainContext } from "./context.js";
import { getEventDetails, type EventDetails } from "./events.js";
import { getRun } from "./runs.js";
import { listToolCalls } from "./tool-calls.js";

export interface RunPlan {
  run: Run;
  /** The events the run created or changed, with everything planned for them. */
  events: EventDetails[];
  pendingApprovals: Approval[];
}

function eventIdsIn(value: unknown): string[] {
  if (value === null || typeof value !== "object") return [];
  const record = value as Record<string, unknown>;
  const ids: string[] = [];
  if (typeof record.eventId === "string") ids.push(record.eventId);
  const event = record.event;
  if (event !== null && typeof event === "object" && typeof (event as Record<string, unknown>).id === "string") ids.push((event as { id: string }).id);
  return ids;
}

/** What a run planned, read back from the database: the events its tool calls touched (the ledger names them) and what still waits. */
export async function getRunPlan(ctx: DomainContext, runId: string): Promise<RunPlan> {
  const run = await getRun(ctx, runId);
  const calls = await listToolCalls(ctx, { runId: run.id, limit: 1000 });
  const ids = [...new Set(calls.filter((call) => call.status === "succeeded").flatMap((call) => [...eventIdsIn(call.arguments), ...eventIdsIn(call.result)]))];
  const events: EventDetails[] = [];
  for (const id of ids) {
    // An id the model wrote into some other tool's arguments need not be an event of ours.
    const details = await getEventDetails(ctx, id).catch(() => undefined);
    if (details) events.push(details);
  }
  return { run, events, pendingApprovals: await listApprovals(ctx, { runId: run.id, status: "pending" }) };
}
