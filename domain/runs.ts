import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn, PgUpdateSetSource } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { Database } from "../drizzle/client.js";
import {
  RUN_STATUSES,
  TERMINAL_RUN_STATUSES,
  approvals,
  conversations,
  messages,
  runStatus,
  runSteps,
  runs,
  type Run,
  type RunStatus,
  type RunStep,
  type TokenUsage,
} from "../drizzle/schema/index.js";
import { AppError, ConflictError, NotFoundError, ValidationError } from "../lib/errors.js";
import { uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { ownedRow, pageSize } from "./scope.js";
import { createInsertSchema } from "./zod.js";

/**
 * The run state machine as data: the statuses each status may move to. `running → queued` is the
 * requeue after a worker crashed; terminal statuses go nowhere.
 */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ["running", "cancelled"],
  running: ["awaiting_approval", "succeeded", "failed", "cancelled", "queued"],
  awaiting_approval: ["queued", "running", "cancelled", "failed"],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export function isTerminalRunStatus(status: RunStatus): boolean {
  return (TERMINAL_RUN_STATUSES as readonly RunStatus[]).includes(status);
}

export function canTransitionRun(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

/** The statuses a run may be in to enter `to`: the WHERE clause of the conditional update. */
export function runPredecessors(to: RunStatus): RunStatus[] {
  return RUN_STATUSES.filter((from) => canTransitionRun(from, to));
}

/** A queued or paused run has no worker to notice a flag, so cancelling it takes effect at once. */
const CANCEL_AT_ONCE: RunStatus[] = ["queued", "awaiting_approval"];
const CANCELLABLE: RunStatus[] = ["queued", "running", "awaiting_approval"];

export const runError = z
  .object({
    code: z.string().trim().min(1, { error: "must not be empty" }).max(100),
    message: z.string().trim().min(1, { error: "must not be empty" }).max(4000),
  })
  .strict();

const tokenCount = z.number().int().min(0).max(2_147_483_647);

export const usageInput = z
  .object({
    inputTokens: tokenCount,
    outputTokens: tokenCount,
    cacheWriteTokens: tokenCount,
    cacheReadTokens: tokenCount,
    costMicros: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  })
  .partial()
  .strict();

export const createRunInput = createInsertSchema(runs, {
  conversationId: uuid,
  triggerMessageId: uuid.nullish(),
  idempotencyKey: (s) => s.trim().min(1, { error: "must not be empty" }).max(200),
  provider: (s) => s.trim().min(1).max(50),
  model: (s) => s.trim().min(1).max(200),
})
  .pick({ conversationId: true, triggerMessageId: true, idempotencyKey: true, provider: true, model: true })
  // drizzle-zod types refined nullable columns as required although they are optional at runtime.
  .partial({ idempotencyKey: true, provider: true, model: true })
  .strict();
export type CreateRunInput = z.input<typeof createRunInput>;

export const listRunsInput = z
  .object({ conversationId: uuid.optional(), status: z.enum(RUN_STATUSES).optional(), limit: z.number().int().positive().optional() })
  .strict();

export const transitionRunInput = z
  .object({ to: z.enum(RUN_STATUSES), error: runError.optional(), result: z.record(z.string(), z.unknown()).optional() })
  .strict();

export const appendRunStepInput = createInsertSchema(runSteps, {
  seq: (s) => s.int().min(0, { error: "must not be negative" }),
  payload: z.record(z.string(), z.unknown()),
})
  .pick({ seq: true, kind: true, payload: true })
  .extend({ usage: usageInput.optional() })
  .strict();
export type AppendRunStepInput = z.input<typeof appendRunStepInput>;

export const listRunStepsInput = z.object({ afterSeq: z.number().int().optional() }).strict();

export const workspaceUsageInput = z.object({ since: z.coerce.date({ error: "must be a date" }) }).strict();

export interface WorkspaceUsage extends TokenUsage {
  runs: number;
}

/** The usage block of a run, as the API reports it. */
export function runUsage(run: Run): TokenUsage {
  return {
    inputTokens: run.inputTokens,
    outputTokens: run.outputTokens,
    cacheWriteTokens: run.cacheWriteTokens,
    cacheReadTokens: run.cacheReadTokens,
    costMicros: run.costMicros,
  };
}

export async function findRunByIdempotencyKey(ctx: DomainContext, key: string): Promise<Run | undefined> {
  const [row] = await ctx.db
    .select()
    .from(runs)
    .where(and(eq(runs.workspaceId, ctx.workspaceId), eq(runs.idempotencyKey, key)))
    .limit(1);
  return row;
}

/**
 * Queue a run. With an idempotency key already used in this workspace the existing run comes back
 * with `created: false`. The insert skips on the unique key rather than checking first, so two
 * concurrent requests with one key cannot both create a run.
 */
export async function createRun(ctx: DomainContext, input: CreateRunInput): Promise<{ run: Run; created: boolean }> {
  const values = parseInput(createRunInput, input);
  // The foreign keys alone would accept another workspace's conversation or message.
  const [conversation] = await ctx.db.select({ id: conversations.id }).from(conversations).where(ownedRow(conversations, ctx, values.conversationId)).limit(1);
  if (!conversation) throw new NotFoundError("conversation", values.conversationId);
  if (values.triggerMessageId) {
    const [message] = await ctx.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(ownedRow(messages, ctx, values.triggerMessageId), eq(messages.conversationId, values.conversationId)))
      .limit(1);
    if (!message) throw new NotFoundError("message", values.triggerMessageId);
  }
  const [inserted] = await ctx.db
    .insert(runs)
    .values({ ...values, workspaceId: ctx.workspaceId })
    .onConflictDoNothing({ target: [runs.workspaceId, runs.idempotencyKey] })
    .returning();
  if (inserted) return { run: inserted, created: true };
  const key = values.idempotencyKey ?? "";
  const existing = await findRunByIdempotencyKey(ctx, key);
  // The conflicting run vanished between the insert and the read (its conversation was deleted).
  if (!existing) throw new ConflictError(`idempotencyKey ${key} is in use by a run that no longer exists; retry`, { field: "idempotencyKey" });
  if (existing.conversationId !== values.conversationId) {
    throw new ConflictError(`idempotencyKey ${key} was already used for another conversation`, { field: "idempotencyKey", runId: existing.id });
  }
  return { run: existing, created: false };
}

export async function getRun(ctx: DomainContext, id: string): Promise<Run> {
  const [row] = await ctx.db.select().from(runs).where(ownedRow(runs, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("run", id);
  return row;
}

export async function getRunWithSteps(ctx: DomainContext, id: string) {
  const row = await ctx.db.query.runs.findFirst({
    where: ownedRow(runs, ctx, parseInput(uuid, id)),
    with: { steps: { where: (s, { eq }) => eq(s.workspaceId, ctx.workspaceId), orderBy: (s, { asc }) => [asc(s.seq)] } },
  });
  if (!row) throw new NotFoundError("run", id);
  return row;
}
export type RunWithSteps = Awaited<ReturnType<typeof getRunWithSteps>>;

export async function listRuns(ctx: DomainContext, input: z.input<typeof listRunsInput> = {}): Promise<Run[]> {
  const { conversationId, status, limit } = parseInput(listRunsInput, input);
  return ctx.db
    .select()
    .from(runs)
    .where(
      and(
        eq(runs.workspaceId, ctx.workspaceId),
        conversationId ? eq(runs.conversationId, conversationId) : undefined,
        status ? eq(runs.status, status) : undefined,
      ),
    )
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(pageSize(limit));
}

/** A finished run will never act on its open approvals, so they must stop showing as pending. */
async function closePendingApprovals(db: Database, ctx: DomainContext, runId: string): Promise<void> {
  await db
    .update(approvals)
    .set({ status: "cancelled", decidedAt: sql`now()` })
    .where(and(eq(approvals.workspaceId, ctx.workspaceId), eq(approvals.runId, runId), eq(approvals.status, "pending")));
}

/**
 * Move a run to `to`. The UPDATE only matches a run whose current status may precede `to`, so of
 * two workers racing for the same run exactly one wins; the loser gets invalid_state.
 */
export async function transitionRun(
  ctx: DomainContext,
  id: string,
  to: RunStatus,
  options: { error?: z.input<typeof runError>; result?: Record<string, unknown> } = {},
): Promise<Run> {
  const runId = parseInput(uuid, id);
  const { to: target, error, result } = parseInput(transitionRunInput, { ...options, to });
  if (target === "failed" && !error) throw new ValidationError("error: is required when a run fails", { field: "error" });
  const set: PgUpdateSetSource<typeof runs> = { status: target, updatedAt: sql`now()` };
  if (target === "running") {
    set.attempts = sql`${runs.attempts} + 1`;
    set.startedAt = sql`coalesce(${runs.startedAt}, now())`;
  }
  if (isTerminalRunStatus(target)) set.finishedAt = sql`now()`;
  if (error) set.error = error;
  if (result) set.result = result;
  const row = await ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(runs)
      .set(set)
      .where(and(ownedRow(runs, ctx, runId), inArray(runs.status, runPredecessors(target))))
      .returning();
    if (updated && isTerminalRunStatus(updated.status)) await closePendingApprovals(tx, ctx, runId);
    return updated;
  });
  if (row) return row;
  const current = await getRun(ctx, runId);
  throw new AppError("invalid_state", `run ${runId} cannot go from ${current.status} to ${target}`, {
    from: current.status,
    to: target,
    allowed: RUN_TRANSITIONS[current.status],
  });
}

/**
 * Ask a run to stop. A queued or awaiting_approval run is cancelled in the same statement; a
 * running one only gets cancelRequestedAt, which its worker checks between steps. One UPDATE
 * decides both cases from the row it locks, so a run changing status meanwhile cannot slip through.
 * Cancelling an already cancelled run returns it unchanged.
 */
export async function requestRunCancel(ctx: DomainContext, id: string): Promise<Run> {
  const runId = parseInput(uuid, id);
  const atOnce: SQL = inArray(runs.status, CANCEL_AT_ONCE);
  const row = await ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(runs)
      .set({
        status: sql`case when ${atOnce} then ${"cancelled"}::${sql.identifier(runStatus.enumName)} else ${runs.status} end`,
        finishedAt: sql`case when ${atOnce} then now() else ${runs.finishedAt} end`,
        cancelRequestedAt: sql`coalesce(${runs.cancelRequestedAt}, now())`,
        updatedAt: sql`now()`,
      })
      .where(and(ownedRow(runs, ctx, runId), inArray(runs.status, CANCELLABLE)))
      .returning();
    if (updated?.status === "cancelled") await closePendingApprovals(tx, ctx, runId);
    return updated;
  });
  if (row) return row;
  const current = await getRun(ctx, runId);
  if (current.status === "cancelled") return current;
  throw new AppError("invalid_state", `run ${runId} is already ${current.status} and cannot be cancelled`, { from: current.status, to: "cancelled" });
}

/**
 * Persist one step of a run at position `seq`, adding its usage to the run's totals in the same
 * transaction. A retried append of the same step returns the stored one without counting it twice;
 * a different step at a taken seq is a conflict (two workers on one run).
 */
export async function appendRunStep(ctx: DomainContext, runId: string, input: AppendRunStepInput): Promise<RunStep> {
  const id = parseInput(uuid, runId);
  const { usage = {}, ...step } = parseInput(appendRunStepInput, input);
  const totals: TokenUsage = {
    inputTokens: usage.inputTokens ?? 0,
    outputTokens: usage.outputTokens ?? 0,
    cacheWriteTokens: usage.cacheWriteTokens ?? 0,
    cacheReadTokens: usage.cacheReadTokens ?? 0,
    costMicros: usage.costMicros ?? 0,
  };
  return ctx.db.transaction(async (tx) => {
    // Locking the run serialises appends to it, so a concurrent retry of this seq reads the winner's row.
    const [run] = await tx.select({ id: runs.id }).from(runs).where(ownedRow(runs, ctx, id)).for("update");
    if (!run) throw new NotFoundError("run", runId);
    const [inserted] = await tx
      .insert(runSteps)
      .values({ ...step, ...totals, runId: id, workspaceId: ctx.workspaceId })
      .onConflictDoNothing({ target: [runSteps.runId, runSteps.seq] })
      .returning();
    if (!inserted) {
      // jsonb equality ignores key order and whitespace, which a JS comparison of the stored value would not.
      const [existing] = await tx
        .select({ ...getTableColumns(runSteps), same: sql<boolean>`${runSteps.kind} = ${step.kind} and ${runSteps.payload} = ${JSON.stringify(step.payload)}::jsonb` })
        .from(runSteps)
        .where(and(eq(runSteps.workspaceId, ctx.workspaceId), eq(runSteps.runId, id), eq(runSteps.seq, step.seq)))
        .limit(1);
      if (!existing) throw new Error("conflicting run step not found");
      const { same, ...stored } = existing;
      if (!same) throw new ConflictError(`run ${runId} already has a different step at seq ${step.seq}`, { field: "seq", runId: id, seq: step.seq });
      return stored;
    }
    await tx
      .update(runs)
      .set({
        inputTokens: sql`${runs.inputTokens} + ${totals.inputTokens}`,
        outputTokens: sql`${runs.outputTokens} + ${totals.outputTokens}`,
        cacheWriteTokens: sql`${runs.cacheWriteTokens} + ${totals.cacheWriteTokens}`,
        cacheReadTokens: sql`${runs.cacheReadTokens} + ${totals.cacheReadTokens}`,
        costMicros: sql`${runs.costMicros} + ${totals.costMicros}`,
        stepCount: sql`${runs.stepCount} + 1`,
        updatedAt: sql`now()`,
      })
      .where(ownedRow(runs, ctx, id));
    return inserted;
  });
}

/** Steps in order; `afterSeq` is the last seq a client already has (SSE Last-Event-ID). */
export async function listRunSteps(ctx: DomainContext, runId: string, input: z.input<typeof listRunStepsInput> = {}): Promise<RunStep[]> {
  const { afterSeq } = parseInput(listRunStepsInput, input);
  const run = await getRun(ctx, runId);
  return ctx.db
    .select()
    .from(runSteps)
    .where(and(eq(runSteps.workspaceId, ctx.workspaceId), eq(runSteps.runId, run.id), afterSeq === undefined ? undefined : gt(runSteps.seq, afterSeq)))
    .orderBy(asc(runSteps.seq));
}

/**
 * Token and cost totals over the workspace's runs created since a date. Sums of bigint come back
 * from Postgres as numeric strings, so each is cast and mapped to a number here.
 */
export async function workspaceUsage(ctx: DomainContext, input: z.input<typeof workspaceUsageInput>): Promise<WorkspaceUsage> {
  const { since } = parseInput(workspaceUsageInput, input);
  const total = (column: AnyPgColumn) => sql<number>`coalesce(sum(${column}), 0)::bigint`.mapWith(Number);
  const [row] = await ctx.db
    .select({
      runs: sql<number>`count(*)::bigint`.mapWith(Number),
      inputTokens: total(runs.inputTokens),
      outputTokens: total(runs.outputTokens),
      cacheWriteTokens: total(runs.cacheWriteTokens),
      cacheReadTokens: total(runs.cacheReadTokens),
      costMicros: total(runs.costMicros),
    })
    .from(runs)
    .where(and(eq(runs.workspaceId, ctx.workspaceId), gte(runs.createdAt, since)));
  return row ?? { runs: 0, inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, costMicros: 0 };
}
