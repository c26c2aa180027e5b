import type { CreateApprovalInput, DecideApprovalInput } from "../../domain/approvals.js";
import type { Actor } from "../../domain/context.js";
import type { Approval } from "../../drizzle/schema/index.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import { AppError } from "../../lib/errors.js";
import type { PolicyDecision } from "./decide.js";
import type { ToolArgs } from "./policy-table.js";

export function canonicalArgsHash(args: ToolArgs): string {
  return canonicalHash(args);
}

/** The tool call an approval gates, as the run is about to make it. */
export interface BoundToolCall {
  runId: string;
  toolCallId: string | null;
  /** Namespaced `server__tool`; stored as the approval's action. */
  tool: string;
  args: ToolArgs;
}

export const DEFAULT_APPROVAL_TTL_MS = 24 * 3600 * 1000;

/** The row to store for a call the policy gates: the arguments are the payload the hash is taken over. */
export function approvalRequest(input: { toolCall: BoundToolCall; decision: PolicyDecision; now: Date; ttlMs?: number }): CreateApprovalInput {
  const { toolCall, decision, now } = input;
  return {
    runId: toolCall.runId,
    toolCallId: toolCall.toolCallId,
    action: toolCall.tool,
    summary: decision.summary.slice(0, 1000),
    amountMinor: decision.amount?.amountMinor ?? null,
    currency: decision.amount?.currency ?? null,
    recipients: decision.recipients.slice(0, 500).map((recipient) => recipient.slice(0, 320)),
    payload: { ...toolCall.args },
    expiresAt: new Date(now.getTime() + (input.ttlMs ?? DEFAULT_APPROVAL_TTL_MS)),
  };
}

export type DecisionRefusalReason = "approver_not_allowed" | "already_decided" | "expired" | "wrong_call" | "arguments_changed" | "edit_not_allowed";

function refuse(code: "forbidden" | "invalid_state" | "conflict" | "validation_failed", reason: DecisionRefusalReason, message: string, details: Record<string, unknown> = {}): never {
  throw new AppError(code, message, { reason, ...details });
}

/**
 * Who may approve: a person of the workspace (an API key's user) or a Slack user through the
 * signed interaction webhook. Never the agent, whose approving its own call would make the gate
 * decorative, and never an anonymous system job.
 */
export function assertMayApprove(approver: Actor): string {
  if (approver.kind !== "user" && approver.kind !== "webhook") {
    refuse("forbidden", "approver_not_allowed", `a ${approver.kind} may not decide an approval; a person of the workspace must`, { actorKind: approver.kind });
  }
  const id = approver.id?.trim();
  if (!id) refuse("forbidden", "approver_not_allowed", "an approval decision must name who made it", { actorKind: approver.kind });
  return `${approver.kind}:${id}`;
}

export interface DecisionRequest {
  decision: "approve" | "reject";
  note?: string;
  /** Approve only: the arguments as the approver corrected them (e.g. a lower amount). */
  editedArgs?: ToolArgs;
}

export type CheckedDecision =
  | {
      decision: "approve";
      /** Exactly what runs: the edited arguments, or the approved ones unchanged. */
      args: ToolArgs;
      argsHash: string;
      originalHash: string;
      edited: boolean;
      /** Pass to decideApproval: approvedPayload is set only when the approver edited. */
      record: DecideApprovalInput;
    }
  | { decision: "reject"; record: DecideApprovalInput; refusal: string };

/** What the model reads instead of the tool's result, so it can carry on without that call. */
export function refusalForModel(input: { tool: string; status: "rejected" | "expired"; note?: string | null }): string {
  const base = input.status === "rejected" ? `A person rejected the call to ${input.tool}; it was not made.` : `Nobody approved the call to ${input.tool} in time; it was not made.`;
  const note = input.note?.trim();
  return note ? `${base} Their note: ${note}` : `${base} Continue without it, or ask for something different.`;
}

function assertBound(approval: Approval, toolCall: BoundToolCall): string {
  if (approval.runId !== toolCall.runId || approval.action !== toolCall.tool || (approval.toolCallId ?? null) !== (toolCall.toolCallId ?? null)) {
    refuse("conflict", "wrong_call", `approval ${approval.id} is for another run or tool call`, {
      approvalId: approval.id,
      expected: { runId: approval.runId, toolCallId: approval.toolCallId, tool: approval.action },
    });
  }
  const approvedHash = canonicalArgsHash(approval.payload);
  const callHash = canonicalArgsHash(toolCall.args);
  if (approvedHash !== callHash) {
    refuse("conflict", "arguments_changed", `the arguments of the call changed after approval ${approval.id} was requested`, { approvalId: approval.id, approvedHash, callHash });
  }
  return approvedHash;
}

/**
 * Check a decision before it is recorded: refused (typed AppError, `details.reason`) when the
 * approver may not decide, the approval was already decided (a replay), its deadline has passed,
 * or it does not gate exactly this call with exactly these arguments.
 */
export function checkDecision(input: { approval: Approval; toolCall: BoundToolCall; request: DecisionRequest; now: Date; approver: Actor }): CheckedDecision {
  const { approval, toolCall, request, now } = input;
  const decidedBy = assertMayApprove(input.approver);
  if (approval.status !== "pending") {
    refuse("invalid_state", "already_decided", `approval ${approval.id} is already ${approval.status}`, { approvalId: approval.id, status: approval.status });
  }
  if (approval.expiresAt !== null && approval.expiresAt.getTime() <= now.getTime()) {
    refuse("invalid_state", "expired", `approval ${approval.id} expired at ${approval.expiresAt.toISOString()}`, { approvalId: approval.id, expiresAt: approval.expiresAt.toISOString() });
  }
  const originalHash = assertBound(approval, toolCall);
  const note = request.note?.trim() || undefined;

  if (request.decision === "reject") {
    if (request.editedArgs !== undefined) refuse("validation_failed", "edit_not_allowed", "edited arguments only apply to an approval", { field: "editedArgs" });
    return { decision: "reject", record: { decision: "reject", decidedBy, note }, refusal: refusalForModel({ tool: toolCall.tool, status: "rejected", note }) };
  }

  if (request.editedArgs === undefined) {
    return { decision: "approve", args: toolCall.args, argsHash: originalHash, originalHash, edited: false, record: { decision: "approve", decidedBy, note } };
  }
  // The idempotency key names this one call: with a new key the edit would be a second call, not this one corrected.
  if (request.editedArgs.idempotency_key !== toolCall.args.idempotency_key) {
    refuse("validation_failed", "edit_not_allowed", "an approver may not change the call's idempotency_key", { field: "editedArgs.idempotency_key" });
  }
  const argsHash = canonicalArgsHash(request.editedArgs);
  const edited = argsHash !== originalHash;
  const args = { ...request.editedArgs };
  return {
    decision: "approve",
    args,
    argsHash,
    originalHash,
    edited,
    record: edited ? { decision: "approve", decidedBy, note, approvedPayload: args } : { decision: "approve", decidedBy, note },
  };
}

/**
 * Before an approved call runs: the approval must be approved and still bound to this call; the
 * arguments to run are the approver's edit when there is one. A rejected, expired or pending
 * approval runs nothing.
 */
export function argsToExecute(input: { approval: Approval; toolCall: BoundToolCall }): { args: ToolArgs; argsHash: string } {
  const { approval, toolCall } = input;
  if (approval.status !== "approved") {
    refuse("invalid_state", "already_decided", `approval ${approval.id} is ${approval.status}, not approved`, { approvalId: approval.id, status: approval.status });
  }
  assertBound(approval, toolCall);
  const args = approval.approvedPayload ?? approval.payload;
  return { args, argsHash: canonicalArgsHash(args) };
}
