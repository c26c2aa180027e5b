import { and, asc, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import { z } from "zod";
import { TOOL_CALL_STATUSES, runs, toolCalls, type ToolCall, type ToolCallStatus } from "../drizzle/schema/index.js";
import { AppError, ConflictError, NotFoundError } from "../lib/errors.js";
import { uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { runError } from "./runs.js";
import { ownedRow, pageSize } from "./scope.js";
import { createInsertSchema } from "./zod.js";

/**
 * The ledger's state machine. Nothing re-enters `running` from `running`, so of two workers racing
 * to start one call exactly one may act. A call left `running` by a crash is ambiguous (it may have
 * acted): whoever resumes it must first record it as failed, a deliberate choice, before retrying
 * it with `failed → running`. A succeeded or rejected call is final, so its key never acts again.
 */
export const TOOL_CALL_TRANSITIONS: Readonly<Record<ToolCallStatus, readonly ToolCallStatus[]>> = {
  pending: ["awaiting_approval", "running", "rejected", "failed"],
  awaiting_approval: ["running", "rejected", "failed"],
  running: ["succeeded", "failed"],
  failed: ["running"],
  succeeded: [],
  rejected: [],
};

function predecessors(to: ToolCallStatus): ToolCallStatus[] {
  return TOOL_CALL_STATUSES.filter((from) => TOOL_CALL_TRANSITIONS[from].includes(to));
}

const name = (s: z.ZodString) => s.trim().min(1, { error: "must not be empty" }).max(100);

export const beginToolCallInput = createInsertSchema(toolCalls, {
  runId: uuid.nullish(),
  server: name,
  tool: name,
  idempotencyKey: (s) => s.min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters" }).regex(/\S/, { error: "must not be blank" }),
  arguments: z.record(z.string(), z.unknown()),
})
  .pick({ runId: true, server: true, tool: true, idempotencyKey: true, arguments: true })
  .strict();
export type BeginToolCallInput = z.input<typeof beginToolCallInput>;

export const completeToolCallInput = z.object({ result: z.unknown() }).strict();
export const failToolCallInput = z.object({ error: runError }).strict();
export const setToolCallStatusInput = z.object({ status: z.enum(["awaiting_approval", "rejected"]) }).strict();
export const listToolCallsInput = z.object({ runId: uuid.optional(), limit: z.number().int().positive().optional() }).strict();

/**
 * Open (or find) the ledger row for a side effect. The first call with a key records it as pending;
 * any later call with that key gets the same row back with `replay: true` and must not act again
 * unless the row's status says the earlier attempt never did. Reusing a key for different arguments
 * is a conflict: it means two different actions were given one key.
 */
export async function beginToolCall(ctx: DomainContext, input: BeginToolCallInput): Promise<{ call: ToolCall; replay: boolean }> {
  const values = parseInput(beginToolCallInput, input);
  if (values.runId) {
    // The foreign key alone would accept another workspace's run.
    const [run] = await ctx.db.select({ id: runs.id }).from(runs).where(ownedRow(runs, ctx, values.runId)).limit(1);
    if (!run) throw new NotFoundError("run", values.runId);
  }
  // Skip on the unique key rather than checking first, so concurrent callers cannot both insert.
  const [inserted] = await ctx.db
    .insert(toolCalls)
    .values({
      ...values,
      workspaceId: ctx.workspaceId,
    })
    .onConflictDoNothing({ target: [toolCalls.workspaceId, toolCalls.idempotencyKey] })
    .returning();
  if (inserted) return { call: inserted, replay: false };
  // jsonb equality ignores key order, which a JS comparison of the stored value would not.
  const [existing] = await ctx.db
    .select({
      ...getTableColumns(toolCalls),
      same: sql<boolean>`${toolCalls.server} = ${values.server} and ${toolCalls.tool} = ${values.tool} and ${toolCalls.arguments} = ${JSON.stringify(values.arguments)}::jsonb`,
    })
    .from(toolCalls)
    .where(and(eq(toolCalls.workspaceId, ctx.workspaceId), eq(toolCalls.idempotencyKey, values.idempotencyKey)))
    .limit(1);
  if (!existing) throw new ConflictError(`idempotencyKey ${values.idempotencyKey} is in use by a call that no longer exists; retry`, { field: "idempotencyKey" });
  const { same, ...call } = existing;
  if (!same) {
    throw new ConflictError(`idempotencyKey ${values.idempotencyKey} was already used for a different call (${call.server}__${call.tool})`, {
      field: "idempotencyKey",
      toolCallId: call.id,
    });
  }
  return { call, replay: true };
}

/** Conditional update: only a call whose status may precede `to` moves, so racing workers cannot both act. */
async function transitionToolCall(ctx: DomainContext, id: string, to: ToolCallStatus, set: PgUpdateSetSource<typeof toolCalls> = {}): Promise<ToolCall> {
  const callId = parseInput(uuid, id);
  const [row] = await ctx.db
    .update(toolCalls)
    .set({ ...set, status: to })
    .where(and(ownedRow(toolCalls, ctx, callId), inArray(toolCalls.status, predecessors(to))))
    .returning();
  if (row) return row;
  const current = await getToolCall(ctx, callId);
  throw new AppError("invalid_state", `tool call ${callId} cannot go from ${current.status} to ${to}`, {
    from: current.status,
    to,
    allowed: TOOL_CALL_TRANSITIONS[current.status],
  });
}

/** Record that an attempt is about to act, before it does: a crash after this point is visible as `running`. */
export async function markToolCallRunning(ctx: DomainContext, id: string): Promise<ToolCall> {
  return transitionToolCall(ctx, id, "running", {
    attempts: sql`${toolCalls.attempts} + 1`,
    startedAt: sql`coalesce(${toolCalls.startedAt}, now())`,
    completedAt: null,
    error: null,
  });
}

export async function completeToolCall(ctx: DomainContext, id: string, input: z.input<typeof completeToolCallInput>): Promise<ToolCall> {
  const { result } = parseInput(completeToolCallInput, input);
  return transitionToolCall(ctx, id, "succeeded", { result: result ?? null, error: null, completedAt: sql`now()` });
}

export async function failToolCall(ctx: DomainContext, id: string, input: z.input<typeof failToolCallInput>): Promise<ToolCall> {
  const { error } = parseInput(failToolCallInput, input);
  return transitionToolCall(ctx, id, "failed", { error, completedAt: sql`now()` });
}

/** Park a call behind an approval, or close it because the approval was refused. */
export async function setToolCallStatus(ctx: DomainContext, id: string, status: "awaiting_approval" | "rejected"): Promise<ToolCall> {
  const { status: to } = parseInput(setToolCallStatusInput, { status });
  return transitionToolCall(ctx, id, to, to === "rejected" ? { completedAt: sql`now()` } : {});
}

export async function getToolCall(ctx: DomainContext, id: string): Promise<ToolCall> {
  const [row] = await ctx.db.select().from(toolCalls).where(ownedRow(toolCalls, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("tool call", id);
  return row;
}

/** Oldest first. With a run id, that run must belong to the workspace. */
export async function listToolCalls(ctx: DomainContext, input: z.input<typeof listToolCallsInput> = {}): Promise<ToolCall[]> {
  const { runId, limit } = parseInput(listToolCallsInput, input);
  if (runId) {
    const [run] = await ctx.db.select({ id: runs.id }).from(runs).where(ownedRow(runs, ctx, runId)).limit(1);
    if (!run) throw new NotFoundError("run", runId);
  }
  return ctx.db
    .select()
    .from(toolCalls)
    .where(and(eq(toolCalls.workspaceId, ctx.workspaceId), runId ? eq(toolCalls.runId, runId) : undefined))
    .orderBy(asc(toolCalls.createdAt), asc(toolCalls.id))
    .limit(pageSize(limit));
}
