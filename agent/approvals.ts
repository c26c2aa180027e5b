/**
 * A person's decision on an approval, the one path for the API, the Slack buttons and the CLI.
 * The decision is checked against the call the run recorded when it asked (its arguments, hash
 * and deadline), then stored; the caller resumes the run, which runs exactly the approved call.
 */
import { decideApproval, getApproval } from "../domain/approvals.js";
import type { DomainContext } from "../domain/context.js";
import { listRunSteps } from "../domain/runs.js";
import type { Approval } from "../drizzle/schema/index.js";
import { checkDecision, type DecisionRequest } from "./policy/binding.js";
import { approvalRequestedPayload } from "./steps.js";

export interface DecidedApproval {
  approval: Approval;
  /** The run to resume. */
  runId: string;
  edited: boolean;
}

/** `ctx.actor` is the approver: a user (API key) or a webhook (a Slack user). */
export async function decideRunApproval(ctx: DomainContext, approvalId: string, request: DecisionRequest, now: Date = new Date()): Promise<DecidedApproval> {
  const approval = await getApproval(ctx, approvalId);
  const steps = await listRunSteps(ctx, approval.runId);
  const asked = steps
    .filter((step) => step.kind === "approval_requested")
    .map((step) => approvalRequestedPayload.parse(step.payload))
    .find((payload) => payload.approvalId === approval.id);
  // Without the run's record (it crashed before writing it) the stored payload is what the run will match on resume.
  const args = asked?.args ?? approval.payload;
  const checked = checkDecision({ approval, toolCall: { runId: approval.runId, toolCallId: approval.toolCallId, tool: approval.action, args }, request, now, approver: ctx.actor });
  const decided = await decideApproval(ctx, approval.id, checked.record);
  return { approval: decided, runId: approval.runId, edited: checked.decision === "approve" && checked.edited };
}
