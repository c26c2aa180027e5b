import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { newWorkspaceContext } from "../test/context.js";
import { describeEachDriver } from "../test/db.js";
import type { DomainContext } from "./context.js";
import { createConversation } from "./conversations.js";
import { createRun } from "./runs.js";
import {
  TOOL_CALL_TRANSITIONS,
  beginToolCall,
  completeToolCall,
  failToolCall,
  getToolCall,
  listToolCalls,
  markToolCallRunning,
  setToolCallStatus,
  type BeginToolCallInput,
} from "./tool-calls.js";

async function newRunId(ctx: DomainContext): Promise<string> {
  return (await createRun(ctx, { conversationId: (await createConversation(ctx)).id })).run.id;
}

const sms = (idempotencyKey: string, runId?: string): BeginToolCallInput => ({
  runId,
  server: "twilio",
  tool: "send_sms",
  idempotencyKey,
  arguments: { to: "+351912345678", body: "You're invited to the offsite", meta: { event: "e1", batch: 1 } },
});

describeEachDriver("tool calls", (t) => {
  it("records the first call with a key and replays it after", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const runId = await newRunId(ctx);
    const first = await beginToolCall(ctx, sms("invite-1", runId));
    expect(first.replay).toBe(false);
    expect(first.call).toMatchObject({ runId, workspaceId: ctx.workspaceId, server: "twilio", tool: "send_sms", status: "pending", attempts: 0, result: null });

    // Same arguments with their keys in another order are the same call.
    const again = await beginToolCall(ctx, { ...sms("invite-1", runId), arguments: { meta: { batch: 1, event: "e1" }, body: "You're invited to the offsite", to: "+351912345678" } });
    expect(again).toEqual({ call: first.call, replay: true });

    await expect(beginToolCall(ctx, { ...sms("invite-1", runId), arguments: { to: "+351900000000" } })).rejects.toMatchObject({ code: "conflict", details: { field: "idempotencyKey" } });
    await expect(beginToolCall(ctx, { ...sms("invite-1", runId), tool: "send_mms" })).rejects.toMatchObject({ code: "conflict", details: { field: "idempotencyKey" } });
    expect(await listToolCalls(ctx, { runId })).toHaveLength(1);
  });

  it("records one call when the same key arrives concurrently", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const results = await Promise.all(Array.from({ length: 6 }, () => beginToolCall(ctx, sms("burst"))));
    expect(new Set(results.map((r) => r.call.id)).size).toBe(1);
    expect(results.filter((r) => !r.replay)).toHaveLength(1);
  });

  it("refuses bad input naming the field", async () => {
    const ctx = await newWorkspaceContext(t().db);
    await expect(beginToolCall(ctx, sms(""))).rejects.toMatchObject({ code: "validation_failed", details: { field: "idempotencyKey" } });
    await expect(beginToolCall(ctx, sms("   "))).rejects.toMatchObject({ details: { field: "idempotencyKey" } });
    await expect(beginToolCall(ctx, sms("k".repeat(201)))).rejects.toMatchObject({ details: { field: "idempotencyKey" } });
    await expect(beginToolCall(ctx, { ...sms("k"), server: " " })).rejects.toMatchObject({ details: { field: "server" } });
    await expect(beginToolCall(ctx, { ...sms("k"), runId: "run-1" })).rejects.toMatchObject({ details: { field: "runId" } });
    await expect(beginToolCall(ctx, { ...sms("k"), arguments: ["+351912345678"] as unknown as Record<string, unknown> })).rejects.toMatchObject({ details: { field: "arguments" } });
    expect(await listToolCalls(ctx)).toEqual([]);

    const { call } = await beginToolCall(ctx, sms("k"));
    await markToolCallRunning(ctx, call.id);
    await expect(failToolCall(ctx, call.id, { error: { code: "", message: "x" } })).rejects.toMatchObject({ details: { field: "error.code" } });
    await expect(setToolCallStatus(ctx, call.id, "succeeded" as "rejected")).rejects.toMatchObject({ details: { field: "status" } });
    await expect(getToolCall(ctx, "call-1")).rejects.toMatchObject({ code: "validation_failed" });
    expect((await getToolCall(ctx, call.id)).status).toBe("running");
  });

  it("runs a call to success once and replays its stored result", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const { call } = await beginToolCall(ctx, sms("invite-2"));
    await expect(completeToolCall(ctx, call.id, { result: {} })).rejects.toMatchObject({ code: "invalid_state", details: { from: "pending", to: "succeeded" } });
    const running = await markToolCallRunning(ctx, call.id);
    expect(running).toMatchObject({ status: "running", attempts: 1 });
    expect(running.startedAt).toBeInstanceOf(Date);
    const done = await completeToolCall(ctx, call.id, { result: { sid: "SM123", status: "queued" } });
    expect(done).toMatchObject({ status: "succeeded", result: { sid: "SM123", status: "queued" }, error: null });
    expect(done.completedAt).toBeInstanceOf(Date);

    const replay = await beginToolCall(ctx, sms("invite-2"));
    expect(replay).toMatchObject({ replay: true, call: { id: call.id, status: "succeeded", result: { sid: "SM123" } } });
    await expect(markToolCallRunning(ctx, call.id)).rejects.toMatchObject({ code: "invalid_state", details: { from: "succeeded", to: "running" } });
    await expect(completeToolCall(ctx, call.id, { result: {} })).rejects.toMatchObject({ code: "invalid_state" });
    await expect(failToolCall(ctx, call.id, { error: { code: "x", message: "y" } })).rejects.toMatchObject({ code: "invalid_state" });
  });

  it("lets exactly one of two racing workers start a call", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const { call } = await beginToolCall(ctx, sms("race"));
    const starts = await Promise.allSettled([markToolCallRunning(ctx, call.id), markToolCallRunning(ctx, call.id)]);
    expect(starts.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    expect(starts.find((s) => s.status === "rejected")).toMatchObject({ reason: { code: "invalid_state" } });
    expect((await getToolCall(ctx, call.id)).attempts).toBe(1);
  });

  it("retries a failed call only after its failure is recorded", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const { call } = await beginToolCall(ctx, sms("flaky"));
    const first = await markToolCallRunning(ctx, call.id);
    const failed = await failToolCall(ctx, call.id, { error: { code: "upstream_failed", message: "Twilio returned 503" } });
    expect(failed).toMatchObject({ status: "failed", error: { code: "upstream_failed" } });
    expect(failed.completedAt).toBeInstanceOf(Date);

    const retry = await markToolCallRunning(ctx, call.id);
    expect(retry).toMatchObject({ status: "running", attempts: 2, error: null, completedAt: null });
    expect(retry.startedAt).toEqual(first.startedAt);
    expect((await completeToolCall(ctx, call.id, { result: "ok" })).result).toBe("ok");
  });

  it("parks a call behind an approval and closes it on rejection", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const approved = (await beginToolCall(ctx, sms("gated-1"))).call;
    expect((await setToolCallStatus(ctx, approved.id, "awaiting_approval")).status).toBe("awaiting_approval");
    expect((await markToolCallRunning(ctx, approved.id)).status).toBe("running");

    const refused = (await beginToolCall(ctx, sms("gated-2"))).call;
    await setToolCallStatus(ctx, refused.id, "awaiting_approval");
    const rejected = await setToolCallStatus(ctx, refused.id, "rejected");
    expect(rejected.status).toBe("rejected");
    expect(rejected.completedAt).toBeInstanceOf(Date);
    await expect(markToolCallRunning(ctx, refused.id)).rejects.toMatchObject({ code: "invalid_state", details: { from: "rejected" } });
    await expect(setToolCallStatus(ctx, refused.id, "awaiting_approval")).rejects.toMatchObject({ code: "invalid_state" });
    expect(TOOL_CALL_TRANSITIONS.rejected).toEqual([]);
    expect(TOOL_CALL_TRANSITIONS.running).not.toContain("running");
  });

  it("lists a run's calls oldest first", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const runId = await newRunId(ctx);
    const first = (await beginToolCall(ctx, sms("l-1", runId))).call;
    const second = (await beginToolCall(ctx, { ...sms("l-2", runId), server: "stripe", tool: "create_payment" })).call;
    const unattached = (await beginToolCall(ctx, sms("l-3"))).call;
    expect((await listToolCalls(ctx, { runId })).map((c) => c.id)).toEqual([first.id, second.id]);
    expect((await listToolCalls(ctx)).map((c) => c.id)).toEqual([first.id, second.id, unattached.id]);
    await expect(listToolCalls(ctx, { runId: randomUUID() })).rejects.toMatchObject({ code: "not_found" });
  });

  it("never shows or touches another workspace's calls, and keys are per workspace", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const foreignRunId = await newRunId(b);
    const foreign = await beginToolCall(b, sms("shared-key", foreignRunId));
    const mine = await beginToolCall(a, sms("shared-key"));
    expect(mine.replay).toBe(false);
    expect(mine.call.id).not.toBe(foreign.call.id);

    expect((await listToolCalls(a)).map((c) => c.id)).toEqual([mine.call.id]);
    await expect(listToolCalls(a, { runId: foreignRunId })).rejects.toMatchObject({ code: "not_found" });
    await expect(getToolCall(a, foreign.call.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(markToolCallRunning(a, foreign.call.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(completeToolCall(a, foreign.call.id, { result: {} })).rejects.toMatchObject({ code: "not_found" });
    await expect(failToolCall(a, foreign.call.id, { error: { code: "x", message: "y" } })).rejects.toMatchObject({ code: "not_found" });
    await expect(setToolCallStatus(a, foreign.call.id, "rejected")).rejects.toMatchObject({ code: "not_found" });
    await expect(beginToolCall(a, sms("other-key", foreignRunId))).rejects.toMatchObject({ code: "not_found" });
    expect(await getToolCall(b, foreign.call.id)).toEqual(foreign.call);
  });
});
