/**
 * What each persisted run step holds. The steps are the run's only memory: a run resumed in
 * another process rebuilds its conversation, pending tool calls, taint and usage from them, so
 * every payload is parsed back through these schemas rather than trusted.
 */
import { z } from "zod";
import type { RunStepKind } from "../drizzle/schema/index.js";

const usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
});

const textBlock = z.object({ type: z.literal("text"), text: z.string() });
const toolUseBlock = z.object({
  type: z.literal("tool_use"),
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
  inputError: z.string().optional(),
});

export const modelTurnPayload = z.object({
  /** 0-based count of model turns in the run. */
  turn: z.number().int().nonnegative(),
  model: z.string(),
  stopReason: z.string(),
  content: z.array(z.discriminatedUnion("type", [textBlock, toolUseBlock])),
  usage,
  costMicros: z.number().int().nonnegative(),
});

/** Written just before a tool is called: a tool_call without its tool_result is an interrupted call. */
export const toolCallPayload = z.object({
  toolUseId: z.string(),
  tool: z.string(),
  /** Exactly what is sent, with the derived idempotency_key for side-effect tools. */
  args: z.record(z.string(), z.unknown()),
  approvalId: z.string().optional(),
});

export const toolResultPayload = z.object({
  toolUseId: z.string(),
  tool: z.string(),
  isError: z.boolean(),
  /** What the model reads. */
  content: z.string(),
  /** The tool's structured output, kept so taint can be rebuilt on resume. */
  structured: z.unknown().optional(),
  /** Why no call was made, when none was: a refused approval, bad input, an unknown tool. */
  notCalled: z.enum(["rejected", "expired", "cancelled", "invalid_input", "unknown_tool"]).optional(),
});

export const approvalRequestedPayload = z.object({
  toolUseId: z.string(),
  tool: z.string(),
  approvalId: z.string(),
  /** The arguments the approval's hash is taken over. */
  args: z.record(z.string(), z.unknown()),
  summary: z.string(),
  reasons: z.array(z.string()),
});

export const approvalDecidedPayload = z.object({
  toolUseId: z.string(),
  approvalId: z.string(),
  status: z.enum(["approved", "rejected", "expired", "cancelled"]),
  edited: z.boolean(),
  note: z.string().nullable(),
});

export const statusChangePayload = z.object({
  to: z.enum(["running", "awaiting_approval", "succeeded", "failed", "cancelled"]),
  reason: z.string().optional(),
  code: z.string().optional(),
});

export const STEP_PAYLOADS = {
  model_turn: modelTurnPayload,
  tool_call: toolCallPayload,
  tool_result: toolResultPayload,
  approval_requested: approvalRequestedPayload,
  approval_decided: approvalDecidedPayload,
  status_change: statusChangePayload,
} satisfies Record<RunStepKind, z.ZodType>;

export type StepPayloads = { [K in RunStepKind]: z.infer<(typeof STEP_PAYLOADS)[K]> };
export type ModelTurnPayload = StepPayloads["model_turn"];
export type ToolCallPayload = StepPayloads["tool_call"];
export type ToolResultPayload = StepPayloads["tool_result"];
export type ApprovalRequestedPayload = StepPayloads["approval_requested"];
export type ApprovalDecidedPayload = StepPayloads["approval_decided"];
export type StatusChangePayload = StepPayloads["status_change"];

/** A step as the loop reads it back: kind and payload checked together. */
export type TypedStep = { [K in RunStepKind]: { seq: number; kind: K; payload: StepPayloads[K]; createdAt: Date } }[RunStepKind];

export function parseStep(step: { seq: number; kind: RunStepKind; payload: unknown; createdAt: Date }): TypedStep {
  const payload: unknown = STEP_PAYLOADS[step.kind].parse(step.payload);
  return { seq: step.seq, kind: step.kind, payload, createdAt: step.createdAt } as TypedStep;
}
