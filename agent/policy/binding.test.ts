import { describe, expect, it } from "vitest";
import type { Approval } from "../../drizzle/schema/index.js";
import { AppError } from "../../lib/errors.js";
import { canonicalJson } from "../../lib/canonical-json.js";
import { approvalRequest, argsToExecute, canonicalArgsHash, checkDecision, refusalForModel, type BoundToolCall, type DecisionRequest } from "./binding.js";
import { needsApproval } from "./decide.js";

const now = new Date("2027-03-01T10:00:00Z");
const runId = "11111111-1111-4111-8111-111111111111";
const toolCallId = "22222222-2222-4222-8222-222222222222";
const args = { vendorName: "Tagus Riverside Hall", amountMinor: 150_000, currency: "EUR", description: "30% deposit", idempotency_key: "deposit-1" };
const call: BoundToolCall = { runId, toolCallId, tool: "stripe__pay_vendor_deposit", args };
const person = { kind: "webhook", id: "U123" } as const;

function pending(overrides: Partial<Approval> = {}): Approval {
  const decision = needsApproval({ tool: call.tool, annotations: undefined, args, tainted: false, context: { emailDomain: "acme.com", internalSlackChannels: [] } });
  const request = approvalRequest({ toolCall: call, decision, now, ttlMs: 3600_000 });
  return {
    id: "33333333-3333-4333-8333-333333333333",
    workspaceId: "44444444-4444-4444-8444-444444444444",
    runId: request.runId,
    toolCallId: request.toolCallId ?? null,
    status: "pending",
    action: request.action,
    summary: request.summary,
    amountMinor: request.amountMinor ?? null,
    currency: request.currency ?? null,
    recipients: request.recipients ?? [],
    payload: request.payload,
    approvedPayload: null,
    decidedBy: null,
    decidedAt: null,
    note: null,
    expiresAt: request.expiresAt instanceof Date ? request.expiresAt : null,
    createdAt: now,
    ...overrides,
  };
}

function refusal(fn: () => unknown): { code: string; reason: unknown } {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, reason: error.details?.reason };
    throw error;
  }
  throw new Error("expected a refusal");
}

const approve: DecisionRequest = { decision: "approve" };

describe("canonicalArgsHash", () => {
  it("ignores key order and whitespace but not values", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(canonicalArgsHash({ a: 1, b: "x" })).toBe(canonicalArgsHash({ b: "x", a: 1 }));
    expect(canonicalArgsHash({ a: 1 })).not.toBe(canonicalArgsHash({ a: 2 }));
    expect(canonicalArgsHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("approvalRequest", () => {
  it("stores the exact arguments, amount, recipients and expiry", () => {
    const approval = pending();
    expect(approval).toMatchObject({ action: "stripe__pay_vendor_deposit", amountMinor: 150_000, currency: "EUR", recipients: ["Tagus Riverside Hall"], payload: args });
    expect(approval.expiresAt?.toISOString()).toBe("2027-03-01T11:00:00.000Z");
  });
});

describe("checkDecision", () => {
  it("approves exactly the call it was asked for", () => {
    const checked = checkDecision({ approval: pending(), toolCall: call, request: { ...approve, note: " ok " }, now, approver: person });
    expect(checked).toMatchObject({ decision: "approve", args, edited: false, argsHash: canonicalArgsHash(args), record: { decision: "approve", decidedBy: "webhook:U123", note: "ok" } });
    expect(checked.record.approvedPayload).toBeUndefined();
  });

  it("records and re-hashes an approver's edit, and the edit is what runs", () => {
    const editedArgs = { ...args, amountMinor: 100_000 };
    const checked = checkDecision({ approval: pending(), toolCall: call, request: { decision: "approve", editedArgs }, now, approver: { kind: "user", id: "key_1" } });
    if (checked.decision !== "approve") throw new Error("expected approve");
    expect(checked.edited).toBe(true);
    expect(checked.argsHash).toBe(canonicalArgsHash(editedArgs));
    expect(checked.argsHash).not.toBe(checked.originalHash);
    expect(checked.record.approvedPayload).toEqual(editedArgs);

    const approved = pending({ status: "approved", approvedPayload: editedArgs, decidedBy: "user:key_1", decidedAt: now });
    expect(argsToExecute({ approval: approved, toolCall: call })).toEqual({ args: editedArgs, argsHash: canonicalArgsHash(editedArgs) });
  });

  it("refuses an edit that changes the idempotency key", () => {
    expect(refusal(() => checkDecision({ approval: pending(), toolCall: call, request: { decision: "approve", editedArgs: { ...args, idempotency_key: "other" } }, now, approver: person }))).toEqual({ code: "validation_failed", reason: "edit_not_allowed" });
  });

  it("turns a rejection into a refusal with the note for the model", () => {
    const checked = checkDecision({ approval: pending(), toolCall: call, request: { decision: "reject", note: "Too expensive, ask for 20%" }, now, approver: person });
    expect(checked).toMatchObject({ decision: "reject", record: { decision: "reject", decidedBy: "webhook:U123", note: "Too expensive, ask for 20%" } });
    if (checked.decision !== "reject") throw new Error("expected reject");
    expect(checked.refusal).toBe("A person rejected the call to stripe__pay_vendor_deposit; it was not made. Their note: Too expensive, ask for 20%");
    expect(refusal(() => argsToExecute({ approval: pending({ status: "rejected", decidedAt: now }), toolCall: call }))).toEqual({ code: "invalid_state", reason: "already_decided" });
  });

  it("refuses a decision at or after the expiry, and tells the model", () => {
    const approval = pending();
    const deadline = approval.expiresAt ?? now;
    expect(refusal(() => checkDecision({ approval, toolCall: call, request: approve, now: deadline, approver: person }))).toEqual({ code: "invalid_state", reason: "expired" });
    expect(checkDecision({ approval, toolCall: call, request: approve, now: new Date(deadline.getTime() - 1), approver: person }).decision).toBe("approve");
    expect(refusalForModel({ tool: call.tool, status: "expired" })).toContain("Nobody approved the call to stripe__pay_vendor_deposit in time");
  });

  it("refuses a replayed decision", () => {
    for (const status of ["approved", "rejected", "expired"] as const) {
      const decided = pending({ status, decidedAt: now, decidedBy: "webhook:U123" });
      expect(refusal(() => checkDecision({ approval: decided, toolCall: call, request: approve, now, approver: person })), status).toEqual({ code: "invalid_state", reason: "already_decided" });
    }
  });

  it("refuses a decision for another run, tool call or tool", () => {
    for (const other of [
      { ...call, runId: "55555555-5555-4555-8555-555555555555" },
      { ...call, toolCallId: "66666666-6666-4666-8666-666666666666" },
      { ...call, tool: "stripe__refund_payment" },
    ]) {
      expect(refusal(() => checkDecision({ approval: pending(), toolCall: other, request: approve, now, approver: person }))).toEqual({ code: "conflict", reason: "wrong_call" });
    }
  });

  it("refuses when the call's arguments changed after the request", () => {
    const changed = { ...call, args: { ...args, amountMinor: 999_999 } };
    expect(refusal(() => checkDecision({ approval: pending(), toolCall: changed, request: approve, now, approver: person }))).toEqual({ code: "conflict", reason: "arguments_changed" });
    const approved = pending({ status: "approved", decidedAt: now });
    expect(refusal(() => argsToExecute({ approval: approved, toolCall: changed }))).toEqual({ code: "conflict", reason: "arguments_changed" });
    expect(argsToExecute({ approval: approved, toolCall: { ...call, args: { ...args } } }).args).toEqual(args);
  });

  it("lets no agent, system job or anonymous actor approve", () => {
    for (const approver of [{ kind: "agent", id: runId }, { kind: "system", id: "sweeper" }, { kind: "user" }, { kind: "webhook", id: "  " }] as const) {
      expect(refusal(() => checkDecision({ approval: pending(), toolCall: call, request: approve, now, approver })), approver.kind).toEqual({ code: "forbidden", reason: "approver_not_allowed" });
    }
  });
});
