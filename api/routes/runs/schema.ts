import { z } from "zod";
import type { RunWithSteps } from "../../../domain/runs.js";
import { createSelectSchema } from "../../../domain/zod.js";
import { runSteps, runs, type RunStep } from "../../../drizzle/schema/index.js";

const count = z.number().int().nonnegative();

export const usageSchema = z.object({
  inputTokens: count,
  outputTokens: count,
  cacheWriteTokens: count,
  cacheReadTokens: count,
  costMicros: count.describe("cost in US micro-dollars (1e-6 USD)"),
});

export const runStepSchema = createSelectSchema(runSteps).pick({ seq: true, kind: true, payload: true, createdAt: true }).extend({ usage: usageSchema });

const runRow = createSelectSchema(runs);

/** `GET /v1/runs/:id`: the contract's `{ id, status, steps, usage, result?, error? }` plus the run's bookkeeping. */
export const runSchema = runRow
  .pick({ id: true, conversationId: true, status: true, provider: true, model: true, stepCount: true, attempts: true, cancelRequestedAt: true, startedAt: true, finishedAt: true, createdAt: true, updatedAt: true })
  .extend({
    steps: z.array(runStepSchema),
    usage: usageSchema,
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  });

/** `Last-Event-ID`: the seq of the last step the client has; a resumed stream starts after it. */
export const streamHeaders = z.object({
  "last-event-id": z
    .string()
    .regex(/^\d{1,9}$/, { error: "must be the seq of a step, as sent in the stream's id field" })
    .transform(Number)
    .optional()
    .describe("Resume after this step seq (browsers send it on reconnect)"),
});

function usageOf(row: { inputTokens: number; outputTokens: number; cacheWriteTokens: number; cacheReadTokens: number; costMicros: number }): z.input<typeof usageSchema> {
  return { inputTokens: row.inputTokens, outputTokens: row.outputTokens, cacheWriteTokens: row.cacheWriteTokens, cacheReadTokens: row.cacheReadTokens, costMicros: row.costMicros };
}

export function presentStep(step: RunStep): z.input<typeof runStepSchema> {
  return { seq: step.seq, kind: step.kind, payload: step.payload, createdAt: step.createdAt, usage: usageOf(step) };
}

export function presentRun(run: RunWithSteps): z.input<typeof runSchema> {
  return {
    id: run.id,
    conversationId: run.conversationId,
    status: run.status,
    provider: run.provider,
    model: run.model,
    stepCount: run.stepCount,
    attempts: run.attempts,
    cancelRequestedAt: run.cancelRequestedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    steps: run.steps.map(presentStep),
    usage: usageOf(run),
    ...(run.result ? { result: run.result } : {}),
    ...(run.error ? { error: run.error } : {}),
  };
}
