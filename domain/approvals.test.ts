import { expect, it } from "vitest";
import type { ApprovalStatus } from "../drizzle/schema/index.js";
import { newWorkspaceContext } from "../test/context.js";
import { describeEachDriver } from "../test/db.js";
import { createApproval, decideApproval, expireApprovals, getApproval, listApprovals, type CreateApprovalInput, type DecideApprovalInput } from "./approvals.js";
import type { DomainContext } from "./context.js";
import { createConversation } from "./conversations.js";
import { createRun, requestRunCancel, transitionRun } from "./runs.js";
import { beginToolCall } from "./tool-calls.js";

async function pausedRunId(ctx: DomainContext): Promise<string> {
  const conversation = await createConversation(ctx);
  const { run } = await createRun(ctx, { conversationId: conversation.id });
  await transitionRun(ctx, run.id, "running");
  await transitionRun(ctx, run.id, "awaiting_approval");
  return run.id;
}

const deposit = (runId: string): CreateApprovalInput => ({
  runId,
  action: "stripe__create_payment",
  summary: "Pay the venue deposit of EUR 5,000 to Palacio Lisboa",
  amountMinor: 500_000,
  currency: "EUR",
  payload: { amountMinor: 500_000, currency: "EUR", payee: "acct_123" },
});

const approve: DecideApprovalInput = { decision: "approve", decidedBy: "U123" };

describeEachDriver("approvals", (t) => {
  it("creates a pending approval linked to its run and tool call", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const runId = await pausedRunId(ctx);
    const { call } = await beginToolCall(ctx, { runId, server: "twilio", tool: "send_sms", idempotencyKey: `sms-${runId}`, arguments: { to: ["+351912345678"] } });
    const sms = await createApproval(ctx, {
      runId,
      toolCallId: call.id,
      action: "twilio__send_sms",
      summary: "Text 1 guest the invitation",
      recipients: ["+351912345678"],
      payload: { body: "You are invited" },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(sms).toMatchObject({ status: "pending", runId, toolCallId: call.id, recipients: ["+351912345678"], amountMinor: null, currency: null, decidedAt: null });
    expect(sms.expiresAt).toBeInstanceOf(Date);
    const payment = await createApproval(ctx, deposit(runId));
    expect(payment).toMatchObject({ amountMinor: 500_000, currency: "EUR", recipients: [], payload: { payee: "acct_123" } });
    expect(await getApproval(ctx, payment.id)).toEqual(payment);
    // A tool call of another run is not this approval's to gate.
    await expect(createApproval(ctx, { ...deposit(await pausedRunId(ctx)), toolCallId: call.id })).rejects.toMatchObject({ code: "not_found" });
  });

  it("refuses bad input naming the field", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const runId = await pausedRunId(ctx);
    const base = deposit(runId);
    await expect(createApproval(ctx, { ...base, currency: undefined })).rejects.toMatchObject({ code: "validation_failed", details: { field: "currency" } });
    await expect(createApproval(ctx, { ...base, amountMinor: undefined })).rejects.toMatchObject({ details: { field: "amountMinor" } });
    await expect(createApproval(ctx, { ...base, currency: "eur" })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(createApproval(ctx, { ...base, amountMinor: 12.5 })).rejects.toMatchObject({ details: { field: "amountMinor" } });
    await expect(createApproval(ctx, { ...base, amountMinor: -1 })).rejects.toMatchObject({ details: { field: "amountMinor" } });
    await expect(createApproval(ctx, { ...base, summary: "  " })).rejects.toMatchObject({ details: { field: "summary" } });
    await expect(createApproval(ctx, { ...base, runId: "run-1" })).rejects.toMatchObject({ details: { field: "runId" } });
    await expect(createApproval(ctx, { ...base, recipients: [""] })).rejects.toMatchObject({ details: { field: "recipients.0" } });
    await expect(createApproval(ctx, { ...base, expiresAt: "soon" })).rejects.toMatchObject({ details: { field: "expiresAt" } });
    expect(await listApprovals(ctx, { runId })).toEqual([]);

    const approval = await createApproval(ctx, base);
    await expect(decideApproval(ctx, approval.id, { ...approve, decision: "maybe" as DecideApprovalInput["decision"] })).rejects.toMatchObject({ details: { field: "decision" } });
    await expect(decideApproval(ctx, approval.id, { ...approve, decidedBy: " " })).rejects.toMatchObject({ details: { field: "decidedBy" } });
    await expect(decideApproval(ctx, approval.id, { decision: "reject", decidedBy: "U1", approvedPayload: { amountMinor: 1 } })).rejects.toMatchObject({ details: { field: "approvedPayload" } });
    await expect(listApprovals(ctx, { status: "open" as ApprovalStatus })).rejects.toMatchObject({ details: { field: "status" } });
    expect((await getApproval(ctx, approval.id)).status).toBe("pending");
  });

  it("records an approval with the edited payload, and refuses a second decision", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const approval = await createApproval(ctx, deposit(await pausedRunId(ctx)));
    const decided = await decideApproval(ctx, approval.id, { ...approve, note: "Lower deposit agreed", approvedPayload: { amountMinor: 400_000, currency: "EUR", payee: "acct_123" } });
    expect(decided).toMatchObject({ status: "approved", decidedBy: "U123", note: "Lower deposit agreed", approvedPayload: { amountMinor: 400_000 } });
    expect(decided.decidedAt).toBeInstanceOf(Date);
    await expect(decideApproval(ctx, approval.id, { decision: "reject", decidedBy: "U999" })).rejects.toMatchObject({ code: "invalid_state", details: { status: "approved" } });
    await expect(decideApproval(ctx, approval.id, approve)).rejects.toMatchObject({ code: "invalid_state" });
    expect(await getApproval(ctx, approval.id)).toEqual(decided);

    const rejected = await decideApproval(ctx, (await createApproval(ctx, deposit(approval.runId))).id, { decision: "reject", decidedBy: "U7", note: "Too expensive" });
    expect(rejected).toMatchObject({ status: "rejected", decidedBy: "U7", note: "Too expensive", approvedPayload: null });
    await expect(decideApproval(ctx, rejected.id, approve)).rejects.toMatchObject({ code: "invalid_state", details: { status: "rejected" } });
  });

  it("lets exactly one of two concurrent decisions land", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const approval = await createApproval(ctx, deposit(await pausedRunId(ctx)));
    const outcomes = await Promise.allSettled([decideApproval(ctx, approval.id, approve), decideApproval(ctx, approval.id, { decision: "reject", decidedBy: "U2" })]);
    const landed = outcomes.filter((o) => o.status === "fulfilled");
    expect(landed).toHaveLength(1);
    expect(outcomes.find((o) => o.status === "rejected")).toMatchObject({ reason: { code: "invalid_state" } });
    const stored = await getApproval(ctx, approval.id);
    expect(landed[0]?.status === "fulfilled" ? landed[0].value : undefined).toEqual(stored);
  });

  it("refuses to approve an expired approval and records it as expired", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const runId = await pausedRunId(ctx);
    const lapsed = await createApproval(ctx, { ...deposit(runId), expiresAt: new Date(Date.now() - 60_000) });
    await expect(decideApproval(ctx, lapsed.id, approve)).rejects.toMatchObject({ code: "invalid_state", details: { status: "expired" } });
    const stored = await getApproval(ctx, lapsed.id);
    expect(stored).toMatchObject({ status: "expired", decidedBy: null });
    expect(stored.decidedAt).toBeInstanceOf(Date);
    await expect(decideApproval(ctx, lapsed.id, { decision: "reject", decidedBy: "U1" })).rejects.toMatchObject({ code: "invalid_state", details: { status: "expired" } });
  });

  it("lists newest first, filters, and never offers a lapsed approval as pending", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const runId = await pausedRunId(ctx);
    const otherRunId = await pausedRunId(ctx);
    const first = await createApproval(ctx, deposit(runId));
    const lapsed = await createApproval(ctx, { ...deposit(runId), expiresAt: new Date(Date.now() - 1_000) });
    const open = await createApproval(ctx, { ...deposit(otherRunId), expiresAt: new Date(Date.now() + 3_600_000) });
    await decideApproval(ctx, first.id, { decision: "reject", decidedBy: "U1" });

    expect((await listApprovals(ctx, { status: "pending" })).map((a) => a.id)).toEqual([open.id]);
    expect((await listApprovals(ctx, { status: "expired" })).map((a) => a.id)).toEqual([lapsed.id]);
    expect((await listApprovals(ctx)).map((a) => a.id)).toEqual([open.id, lapsed.id, first.id]);
    expect((await listApprovals(ctx, { runId })).map((a) => a.id)).toEqual([lapsed.id, first.id]);
    expect(await listApprovals(ctx, { limit: 1 })).toHaveLength(1);
    expect(await expireApprovals(ctx)).toBe(0);
  });

  it("closes a run's pending approvals when the run is cancelled or finishes", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const cancelled = await pausedRunId(ctx);
    const waiting = await createApproval(ctx, deposit(cancelled));
    await requestRunCancel(ctx, cancelled);
    const closed = await getApproval(ctx, waiting.id);
    expect(closed.status).toBe("cancelled");
    expect(closed.decidedAt).toBeInstanceOf(Date);
    await expect(decideApproval(ctx, waiting.id, approve)).rejects.toMatchObject({ code: "invalid_state", details: { status: "cancelled" } });

    const failing = await pausedRunId(ctx);
    const decided = await decideApproval(ctx, (await createApproval(ctx, deposit(failing))).id, approve);
    const left = await createApproval(ctx, deposit(failing));
    await transitionRun(ctx, failing, "failed", { error: { code: "timeout", message: "no decision in time" } });
    expect((await getApproval(ctx, left.id)).status).toBe("cancelled");
    expect(await getApproval(ctx, decided.id)).toEqual(decided);
  });

  it("never shows or touches another workspace's approvals", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const mine = await createApproval(a, deposit(await pausedRunId(a)));
    const foreignRunId = await pausedRunId(b);
    const foreign = await createApproval(b, deposit(foreignRunId));
    const { call: foreignCall } = await beginToolCall(b, { runId: foreignRunId, server: "stripe", tool: "create_payment", idempotencyKey: "pay-1", arguments: {} });

    expect((await listApprovals(a)).map((x) => x.id)).toEqual([mine.id]);
    expect(await listApprovals(a, { runId: foreignRunId })).toEqual([]);
    await expect(getApproval(a, foreign.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(decideApproval(a, foreign.id, approve)).rejects.toMatchObject({ code: "not_found" });
    await expect(createApproval(a, deposit(foreignRunId))).rejects.toMatchObject({ code: "not_found" });
    await expect(createApproval(a, { ...deposit(mine.runId), toolCallId: foreignCall.id })).rejects.toMatchObject({ code: "not_found" });
    expect(await getApproval(b, foreign.id)).toEqual(foreign);
  });
});
