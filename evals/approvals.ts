/**
 * The eval's approver: answers each approval request a run pauses on by the scenario's rules
 * (approve, reject with a note, or approve an edited call), as a person of the workspace would in
 * the UI. Decisions go through agent/approvals.ts like every other decision.
 */
import type { DecisionRequest } from "../agent/policy/binding.js";
import type { Approval } from "../drizzle/schema/index.js";
import type { ApprovalRule, Scenario } from "./scenario.js";

export interface ApprovalAnswer {
  request: DecisionRequest;
  /** Which rule decided, for the transcript ("default" when none matched). */
  rule: string;
}

function matches(rule: ApprovalRule, approval: Pick<Approval, "action" | "payload">, step: number): boolean {
  if (rule.step !== undefined && rule.step !== step) return false;
  if (rule.tool !== undefined && !new RegExp(rule.tool, "i").test(approval.action)) return false;
  if (rule.args !== undefined && !new RegExp(rule.args, "i").test(JSON.stringify(approval.payload))) return false;
  return true;
}

export function answerApproval(scenario: Pick<Scenario, "approvals" | "defaultApproval">, approval: Pick<Approval, "action" | "payload">, step: number): ApprovalAnswer {
  const index = scenario.approvals.findIndex((rule) => matches(rule, approval, step));
  const rule = index >= 0 ? scenario.approvals[index] : undefined;
  if (!rule) return { request: { decision: scenario.defaultApproval }, rule: "default" };
  const note = rule.note !== undefined ? { note: rule.note } : {};
  if (rule.decision === "edit") {
    // The key names this one call: an approver corrects its arguments, never which call it is.
    const editedArgs = { ...approval.payload, ...rule.edit, idempotency_key: approval.payload.idempotency_key };
    return { request: { decision: "approve", editedArgs, ...note }, rule: `rule ${index}` };
  }
  return { request: { decision: rule.decision, ...note }, rule: `rule ${index}` };
}
