import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, unique, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import { checks, createdAt, id, money, sameWorkspaceParent, updatedAt, workspaceId } from "./columns.js";
import { conversations, messages } from "./conversations.js";

export const RUN_STATUSES = ["queued", "running", "awaiting_approval", "succeeded", "failed", "cancelled"] as const;
export const runStatus = pgEnum("run_status", RUN_STATUSES);
export const TERMINAL_RUN_STATUSES = ["succeeded", "failed", "cancelled"] as const satisfies readonly (typeof RUN_STATUSES)[number][];

export const RUN_STEP_KINDS = ["model_turn", "tool_call", "tool_result", "approval_requested", "approval_decided", "status_change"] as const;
export const runStepKind = pgEnum("run_step_kind", RUN_STEP_KINDS);

export const APPROVAL_STATUSES = ["pending", "approved", "rejected", "expired", "cancelled"] as const;
export const approvalStatus = pgEnum("approval_status", APPROVAL_STATUSES);

export const TOOL_CALL_STATUSES = ["pending", "awaiting_approval", "running", "succeeded", "failed", "rejected"] as const;
export const toolCallStatus = pgEnum("tool_call_status", TOOL_CALL_STATUSES);

export interface RunError {
  code: string;
  message: string;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  /** USD micro-dollars (1e-6 USD), integer. */
  costMicros: number;
}

/** Token and cost columns shared by a run (totals) and each of its steps. */
const usageColumns = () => ({
  inputTokens: integer().notNull().default(0),
  outputTokens: integer().notNull().default(0),
  cacheWriteTokens: integer().notNull().default(0),
  cacheReadTokens: integer().notNull().default(0),
  costMicros: bigint({ mode: "number" }).notNull().default(0),
});

export const runs = pgTable(
  "runs",
  {
    id: id(),
    workspaceId: workspaceId(),
    conversationId: uuid().notNull(),
    triggerMessageId: uuid().references((): AnyPgColumn => messages.id, { onDelete: "set null" }),
    status: runStatus().notNull().default("queued"),
    /** Client-chosen key (Idempotency-Key header): the same key in a workspace returns the same run. */
    idempotencyKey: text(),
    provider: text(),
    model: text(),
    ...usageColumns(),
    stepCount: integer().notNull().default(0),
    attempts: integer().notNull().default(0),
    result: jsonb().$type<Record<string, unknown>>(),
    error: jsonb().$type<RunError>(),
    cancelRequestedAt: timestamp({ withTimezone: true }),
    startedAt: timestamp({ withTimezone: true }),
    finishedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    sameWorkspaceParent("runs_conversation_fk", { parentId: t.conversationId, workspaceId: t.workspaceId }, conversations),
    unique("runs_id_workspace_unique").on(t.id, t.workspaceId),
    unique("runs_workspace_idempotency_key_unique").on(t.workspaceId, t.idempotencyKey),
    index("runs_workspace_status_idx").on(t.workspaceId, t.status),
    index("runs_workspace_created_idx").on(t.workspaceId, t.createdAt),
    index("runs_conversation_idx").on(t.conversationId, t.createdAt),
    // Workers look for stalled or queued runs across all workspaces.
    index("runs_status_updated_idx").on(t.status, t.updatedAt),
    index("runs_trigger_message_idx").on(t.triggerMessageId),
    check("runs_usage_non_negative", sql`${t.inputTokens} >= 0 and ${t.outputTokens} >= 0 and ${t.cacheWriteTokens} >= 0 and ${t.cacheReadTokens} >= 0 and ${t.costMicros} >= 0`),
    check("runs_counters_non_negative", sql`${t.stepCount} >= 0 and ${t.attempts} >= 0`),
    check("runs_finished_when_terminal", sql`(${t.status} in ('succeeded', 'failed', 'cancelled')) = (${t.finishedAt} is not null)`),
    check("runs_error_when_failed", sql`${t.status} <> 'failed' or ${t.error} is not null`),
  ],
);

export const runSteps = pgTable(
  "run_steps",
  {
    id: id(),
    workspaceId: workspaceId(),
    runId: uuid().notNull(),
    /** 0-based position in the run; (run, seq) is unique so a retried append cannot duplicate a step. */
    seq: integer().notNull(),
    kind: runStepKind().notNull(),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    ...usageColumns(),
    createdAt: createdAt(),
  },
  (t) => [
    sameWorkspaceParent("run_steps_run_fk", { parentId: t.runId, workspaceId: t.workspaceId }, runs),
    unique("run_steps_run_seq_unique").on(t.runId, t.seq),
    index("run_steps_workspace_idx").on(t.workspaceId),
    check("run_steps_seq_non_negative", sql`${t.seq} >= 0`),
    check("run_steps_usage_non_negative", sql`${t.inputTokens} >= 0 and ${t.outputTokens} >= 0 and ${t.cacheWriteTokens} >= 0 and ${t.cacheReadTokens} >= 0 and ${t.costMicros} >= 0`),
  ],
);

export const toolCalls = pgTable(
  "tool_calls",
  {
    id: id(),
    workspaceId: workspaceId(),
    /** Null for a call made outside a run (an MCP client other than our agent). */
    runId: uuid(),
    server: text().notNull(),
    tool: text().notNull(),
    /** The same key never acts twice: a retry finds the ledger row and returns its stored result. */
    idempotencyKey: text().notNull(),
    arguments: jsonb().$type<Record<string, unknown>>().notNull(),
    status: toolCallStatus().notNull().default("pending"),
    result: jsonb().$type<unknown>(),
    error: jsonb().$type<RunError>(),
    attempts: integer().notNull().default(0),
    createdAt: createdAt(),
    startedAt: timestamp({ withTimezone: true }),
    completedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    sameWorkspaceParent("tool_calls_run_fk", { parentId: t.runId, workspaceId: t.workspaceId }, runs),
    unique("tool_calls_id_workspace_unique").on(t.id, t.workspaceId),
    unique("tool_calls_workspace_idempotency_key_unique").on(t.workspaceId, t.idempotencyKey),
    index("tool_calls_run_idx").on(t.runId, t.createdAt),
    check("tool_calls_attempts_non_negative", sql`${t.attempts} >= 0`),
    check("tool_calls_key_not_blank", sql`length(${t.idempotencyKey}) between 1 and 200`),
  ],
);

export const approvals = pgTable(
  "approvals",
  {
    id: id(),
    workspaceId: workspaceId(),
    runId: uuid().notNull(),
    toolCallId: uuid(),
    status: approvalStatus().notNull().default("pending"),
    /** Namespaced tool the approval gates, e.g. `stripe__pay_vendor_deposit`. */
    action: text().notNull(),
    /** One sentence a person reads before deciding. */
    summary: text().notNull(),
    amountMinor: money(),
    currency: text(),
    recipients: text().array().notNull().default(sql`'{}'::text[]`),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    /** Arguments as approved, when the approver edited them (e.g. a lower amount). */
    approvedPayload: jsonb().$type<Record<string, unknown>>(),
    decidedBy: text(),
    decidedAt: timestamp({ withTimezone: true }),
    note: text(),
    expiresAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    sameWorkspaceParent("approvals_run_fk", { parentId: t.runId, workspaceId: t.workspaceId }, runs),
    sameWorkspaceParent("approvals_tool_call_fk", { parentId: t.toolCallId, workspaceId: t.workspaceId }, toolCalls),
    index("approvals_workspace_status_idx").on(t.workspaceId, t.status, t.createdAt),
    index("approvals_run_idx").on(t.runId),
    index("approvals_tool_call_idx").on(t.toolCallId),
    // The expiry sweep finds pending approvals past their deadline.
    index("approvals_status_expires_idx").on(t.status, t.expiresAt),
    check("approvals_amount_non_negative", checks.nonNegative(t.amountMinor)),
    check("approvals_currency_iso4217", checks.currency(t.currency)),
    check("approvals_amount_has_currency", sql`(${t.amountMinor} is null) = (${t.currency} is null)`),
    check("approvals_decided_when_not_pending", sql`(${t.status} = 'pending') = (${t.decidedAt} is null)`),
  ],
);

export type Run = typeof runs.$inferSelect;
export type RunStep = typeof runSteps.$inferSelect;
export type ToolCall = typeof toolCalls.$inferSelect;
export type Approval = typeof approvals.$inferSelect;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type RunStepKind = (typeof RUN_STEP_KINDS)[number];
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
export type ToolCallStatus = (typeof TOOL_CALL_STATUSES)[number];
