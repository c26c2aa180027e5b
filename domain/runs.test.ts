import { expect, it } from "vitest";
import { RUN_STATUSES, TERMINAL_RUN_STATUSES, type Run, type RunStatus } from "../drizzle/schema/index.js";
import { newWorkspaceContext } from "../test/context.js";
import { describeEachDriver } from "../test/db.js";
import type { DomainContext } from "./context.js";
import { addMessage, createConversation } from "./conversations.js";
import {
  RUN_TRANSITIONS,
  appendRunStep,
  canTransitionRun,
  createRun,
  getRun,
  getRunWithSteps,
  listRunSteps,
  listRuns,
  requestRunCancel,
  runPredecessors,
  runUsage,
  transitionRun,
  workspaceUsage,
  type AppendRunStepInput,
} from "./runs.js";

async function newRun(ctx: DomainContext, idempotencyKey?: string): Promise<Run> {
  const conversation = await createConversation(ctx);
  return (await createRun(ctx, { conversationId: conversation.id, idempotencyKey })).run;
}

/** Walk a run through the given statuses in order. */
async function walk(ctx: DomainContext, run: Run, statuses: RunStatus[]): Promise<Run> {
  let current = run;
  for (const status of statuses) current = await transitionRun(ctx, current.id, status, status === "failed" ? { error: { code: "boom", message: "it broke" } } : {});
  return current;
}

const failure = { code: "model_error", message: "the model refused" };

describeEachDriver("runs", (t) => {
  it("queues a run with zero usage, optionally tied to its trigger message", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const conversation = await createConversation(ctx);
    const message = await addMessage(ctx, conversation.id, { role: "user", content: "Plan a party" });
    const { run, created } = await createRun(ctx, { conversationId: conversation.id, triggerMessageId: message.id, provider: "offline", model: "offline-1" });
    expect(created).toBe(true);
    expect(run).toMatchObject({ status: "queued", conversationId: conversation.id, triggerMessageId: message.id, attempts: 0, stepCount: 0, startedAt: null, finishedAt: null, idempotencyKey: null });
    expect(runUsage(run)).toEqual({ inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, costMicros: 0 });
    expect(await getRun(ctx, run.id)).toEqual(run);

    const other = await createConversation(ctx);
    await expect(createRun(ctx, { conversationId: other.id, triggerMessageId: message.id })).rejects.toMatchObject({ code: "not_found" });
  });

  it("refuses bad input naming the field", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const conversation = await createConversation(ctx);
    await expect(createRun(ctx, { conversationId: "c-1" })).rejects.toMatchObject({ code: "validation_failed", details: { field: "conversationId" } });
    await expect(createRun(ctx, { conversationId: conversation.id, idempotencyKey: "  " })).rejects.toMatchObject({ details: { field: "idempotencyKey" } });
    await expect(createRun(ctx, { conversationId: conversation.id, idempotencyKey: "k".repeat(201) })).rejects.toMatchObject({ details: { field: "idempotencyKey" } });
    await expect(getRun(ctx, "run-1")).rejects.toMatchObject({ code: "validation_failed" });
    await expect(listRuns(ctx, { status: "paused" as RunStatus })).rejects.toMatchObject({ details: { field: "status" } });
    await expect(workspaceUsage(ctx, { since: "yesterday" })).rejects.toMatchObject({ details: { field: "since" } });

    const run = (await createRun(ctx, { conversationId: conversation.id })).run;
    await expect(transitionRun(ctx, run.id, "paused" as RunStatus)).rejects.toMatchObject({ details: { field: "to" } });
    await expect(transitionRun(ctx, run.id, "cancelled", { error: { code: "", message: "x" } })).rejects.toMatchObject({ details: { field: "error.code" } });
    const step: AppendRunStepInput = { seq: 0, kind: "model_turn", payload: { text: "hi" } };
    await expect(appendRunStep(ctx, run.id, { ...step, seq: -1 })).rejects.toMatchObject({ details: { field: "seq" } });
    await expect(appendRunStep(ctx, run.id, { ...step, seq: 1.5 })).rejects.toMatchObject({ details: { field: "seq" } });
    await expect(appendRunStep(ctx, run.id, { ...step, kind: "thought" as AppendRunStepInput["kind"] })).rejects.toMatchObject({ details: { field: "kind" } });
    await expect(appendRunStep(ctx, run.id, { ...step, payload: [1, 2] as unknown as Record<string, unknown> })).rejects.toMatchObject({ details: { field: "payload" } });
    await expect(appendRunStep(ctx, run.id, { ...step, usage: { inputTokens: -5 } })).rejects.toMatchObject({ details: { field: "usage.inputTokens" } });
    await expect(appendRunStep(ctx, run.id, { ...step, usage: { costMicros: 0.5 } })).rejects.toMatchObject({ details: { field: "usage.costMicros" } });
    expect((await getRun(ctx, run.id)).stepCount).toBe(0);
  });

  it("returns the existing run for a reused idempotency key", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const conversation = await createConversation(ctx);
    const first = await createRun(ctx, { conversationId: conversation.id, idempotencyKey: "req-1" });
    const again = await createRun(ctx, { conversationId: conversation.id, idempotencyKey: "req-1" });
    expect(first.created).toBe(true);
    expect(again).toEqual({ run: first.run, created: false });
    const other = await createConversation(ctx);
    await expect(createRun(ctx, { conversationId: other.id, idempotencyKey: "req-1" })).rejects.toMatchObject({ code: "conflict", details: { field: "idempotencyKey" } });

    // Without a key every request is a new run.
    const a = await createRun(ctx, { conversationId: conversation.id });
    const b = await createRun(ctx, { conversationId: conversation.id });
    expect(a.run.id).not.toBe(b.run.id);
    expect(await listRuns(ctx, { conversationId: conversation.id })).toHaveLength(3);
  });

  it("creates exactly one run when the same key arrives concurrently", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const conversation = await createConversation(ctx);
    const results = await Promise.all(Array.from({ length: 8 }, () => createRun(ctx, { conversationId: conversation.id, idempotencyKey: "double-click" })));
    expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await listRuns(ctx, { conversationId: conversation.id })).toHaveLength(1);
  });

  it("lets two workspaces use the same idempotency key independently", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const runA = await createRun(a, { conversationId: (await createConversation(a)).id, idempotencyKey: "shared" });
    const runB = await createRun(b, { conversationId: (await createConversation(b)).id, idempotencyKey: "shared" });
    expect(runA.created && runB.created).toBe(true);
    expect(runA.run.id).not.toBe(runB.run.id);
  });

  it("describes the state machine as data", () => {
    for (const terminal of TERMINAL_RUN_STATUSES) expect(RUN_TRANSITIONS[terminal]).toEqual([]);
    for (const status of RUN_STATUSES) expect(runPredecessors(status).length).toBeGreaterThan(0);
    expect(canTransitionRun("running", "queued")).toBe(true);
    expect(canTransitionRun("queued", "succeeded")).toBe(false);
    expect(runPredecessors("running").sort()).toEqual(["awaiting_approval", "queued"]);
  });

  it("tracks attempts, start and finish through a run's life", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const run = await newRun(ctx);
    const started = await transitionRun(ctx, run.id, "running");
    expect(started).toMatchObject({ status: "running", attempts: 1, finishedAt: null });
    expect(started.startedAt).toBeInstanceOf(Date);

    // A crashed worker's run is requeued and picked up again: one more attempt, same first start.
    await transitionRun(ctx, run.id, "queued");
    const retried = await transitionRun(ctx, run.id, "running");
    expect(retried.attempts).toBe(2);
    expect(retried.startedAt).toEqual(started.startedAt);

    await transitionRun(ctx, run.id, "awaiting_approval");
    const resumed = await transitionRun(ctx, run.id, "running");
    expect(resumed.attempts).toBe(3);
    const done = await transitionRun(ctx, run.id, "succeeded", { result: { plan: "Lisbon, 2 days" } });
    expect(done).toMatchObject({ status: "succeeded", result: { plan: "Lisbon, 2 days" }, error: null });
    expect(done.finishedAt).toBeInstanceOf(Date);
  });

  it("requires an error to fail a run and stores it", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const run = await walk(ctx, await newRun(ctx), ["running"]);
    await expect(transitionRun(ctx, run.id, "failed")).rejects.toMatchObject({ code: "validation_failed", details: { field: "error" } });
    expect((await getRun(ctx, run.id)).status).toBe("running");
    const failed = await transitionRun(ctx, run.id, "failed", { error: failure });
    expect(failed).toMatchObject({ status: "failed", error: failure });
    expect(failed.finishedAt).toBeInstanceOf(Date);
  });

  it("refuses illegal transitions naming from and to", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const queued = await newRun(ctx);
    await expect(transitionRun(ctx, queued.id, "succeeded")).rejects.toMatchObject({ code: "invalid_state", details: { from: "queued", to: "succeeded" } });
    await expect(transitionRun(ctx, queued.id, "awaiting_approval")).rejects.toThrow(/queued to awaiting_approval/);
    await expect(transitionRun(ctx, queued.id, "queued")).rejects.toMatchObject({ code: "invalid_state" });

    for (const terminal of ["succeeded", "failed", "cancelled"] as const) {
      const finished = await walk(ctx, await newRun(ctx), ["running", terminal]);
      for (const next of RUN_STATUSES) {
        await expect(transitionRun(ctx, finished.id, next, { error: failure })).rejects.toMatchObject({ code: "invalid_state", details: { from: terminal, to: next } });
      }
      expect((await getRun(ctx, finished.id)).status).toBe(terminal);
    }
  });

  it("lets exactly one of two racing workers win a transition", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const run = await newRun(ctx);
    const claims = await Promise.allSettled([transitionRun(ctx, run.id, "running"), transitionRun(ctx, run.id, "running")]);
    expect(claims.filter((c) => c.status === "fulfilled")).toHaveLength(1);
    expect(claims.find((c) => c.status === "rejected")).toMatchObject({ reason: { code: "invalid_state" } });
    expect((await getRun(ctx, run.id)).attempts).toBe(1);

    const endings = await Promise.allSettled([transitionRun(ctx, run.id, "succeeded"), transitionRun(ctx, run.id, "failed", { error: failure })]);
    expect(endings.filter((c) => c.status === "fulfilled")).toHaveLength(1);
    const winner = endings.find((c) => c.status === "fulfilled");
    expect((await getRun(ctx, run.id)).status).toBe(winner?.status === "fulfilled" ? winner.value.status : "none");
  });

  it("cancels a queued or paused run at once and flags a running one", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const queued = await requestRunCancel(ctx, (await newRun(ctx)).id);
    expect(queued.status).toBe("cancelled");
    expect(queued.cancelRequestedAt).toBeInstanceOf(Date);
    expect(queued.finishedAt).toBeInstanceOf(Date);
    // Asking again is harmless and changes nothing.
    expect(await requestRunCancel(ctx, queued.id)).toEqual(queued);

    const paused = await requestRunCancel(ctx, (await walk(ctx, await newRun(ctx), ["running", "awaiting_approval"])).id);
    expect(paused.status).toBe("cancelled");

    const running = await walk(ctx, await newRun(ctx), ["running"]);
    const flagged = await requestRunCancel(ctx, running.id);
    expect(flagged).toMatchObject({ status: "running", finishedAt: null });
    expect(flagged.cancelRequestedAt).toBeInstanceOf(Date);
    const again = await requestRunCancel(ctx, running.id);
    expect(again.cancelRequestedAt).toEqual(flagged.cancelRequestedAt);
    expect((await transitionRun(ctx, running.id, "cancelled")).status).toBe("cancelled");

    const done = await walk(ctx, await newRun(ctx), ["running", "succeeded"]);
    await expect(requestRunCancel(ctx, done.id)).rejects.toMatchObject({ code: "invalid_state" });
    expect((await getRun(ctx, done.id)).cancelRequestedAt).toBeNull();
  });

  it("appends steps, adding usage to the run's totals", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const run = await walk(ctx, await newRun(ctx), ["running"]);
    const turn = await appendRunStep(ctx, run.id, {
      seq: 0,
      kind: "model_turn",
      payload: { role: "assistant", content: [{ type: "text", text: "Looking for venues" }] },
      usage: { inputTokens: 1200, outputTokens: 300, cacheWriteTokens: 1000, cacheReadTokens: 0, costMicros: 9_450 },
    });
    expect(turn).toMatchObject({ runId: run.id, workspaceId: ctx.workspaceId, seq: 0, kind: "model_turn", inputTokens: 1200, costMicros: 9_450 });
    await appendRunStep(ctx, run.id, { seq: 1, kind: "tool_call", payload: { name: "postgres__search_venues", input: { city: "Lisbon" } } });
    await appendRunStep(ctx, run.id, { seq: 2, kind: "model_turn", payload: { text: "done" }, usage: { inputTokens: 1500, outputTokens: 200, cacheReadTokens: 1000, costMicros: 5_000 } });

    const totals = await getRun(ctx, run.id);
    expect(totals.stepCount).toBe(3);
    expect(runUsage(totals)).toEqual({ inputTokens: 2700, outputTokens: 500, cacheWriteTokens: 1000, cacheReadTokens: 1000, costMicros: 14_450 });
  });

  it("makes a retried append idempotent and refuses a different step at a taken seq", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const run = await walk(ctx, await newRun(ctx), ["running"]);
    const step: AppendRunStepInput = { seq: 0, kind: "model_turn", payload: { text: "hello", tools: ["a", "b"] }, usage: { inputTokens: 10, costMicros: 7 } };
    const stored = await appendRunStep(ctx, run.id, step);
    // Same step with its keys in another order: still the same step.
    const retried = await appendRunStep(ctx, run.id, { ...step, payload: { tools: ["a", "b"], text: "hello" } });
    expect(retried).toEqual(stored);
    await expect(appendRunStep(ctx, run.id, { ...step, payload: { text: "something else" } })).rejects.toMatchObject({ code: "conflict", details: { field: "seq" } });
    await expect(appendRunStep(ctx, run.id, { ...step, kind: "tool_result" })).rejects.toMatchObject({ code: "conflict" });
    expect(await getRun(ctx, run.id)).toMatchObject({ stepCount: 1, inputTokens: 10, costMicros: 7 });
  });

  it("counts a step once when the same append runs concurrently", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const run = await walk(ctx, await newRun(ctx), ["running"]);
    const step: AppendRunStepInput = { seq: 0, kind: "model_turn", payload: { text: "hi" }, usage: { outputTokens: 50, costMicros: 100 } };
    const results = await Promise.all(Array.from({ length: 5 }, () => appendRunStep(ctx, run.id, step)));
    expect(new Set(results.map((s) => s.id)).size).toBe(1);
    expect(await getRun(ctx, run.id)).toMatchObject({ stepCount: 1, outputTokens: 50, costMicros: 100 });
  });

  it("lists steps in seq order and resumes after a seq", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const run = await walk(ctx, await newRun(ctx), ["running"]);
    for (const seq of [2, 0, 3, 1]) await appendRunStep(ctx, run.id, { seq, kind: "status_change", payload: { seq } });
    expect((await listRunSteps(ctx, run.id)).map((s) => s.seq)).toEqual([0, 1, 2, 3]);
    expect((await listRunSteps(ctx, run.id, { afterSeq: 1 })).map((s) => s.seq)).toEqual([2, 3]);
    expect(await listRunSteps(ctx, run.id, { afterSeq: 3 })).toEqual([]);
    const withSteps = await getRunWithSteps(ctx, run.id);
    expect(withSteps).toMatchObject({ id: run.id, stepCount: 4 });
    expect(withSteps.steps.map((s) => s.seq)).toEqual([0, 1, 2, 3]);
  });

  it("lists runs newest first, filtered by conversation and status", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const conversation = await createConversation(ctx);
    const first = (await createRun(ctx, { conversationId: conversation.id })).run;
    const second = (await createRun(ctx, { conversationId: conversation.id })).run;
    const elsewhere = await newRun(ctx);
    await transitionRun(ctx, second.id, "running");
    expect((await listRuns(ctx)).map((r) => r.id)).toEqual([elsewhere.id, second.id, first.id]);
    expect((await listRuns(ctx, { conversationId: conversation.id })).map((r) => r.id)).toEqual([second.id, first.id]);
    expect((await listRuns(ctx, { status: "running" })).map((r) => r.id)).toEqual([second.id]);
    expect(await listRuns(ctx, { limit: 1 })).toHaveLength(1);
  });

  it("sums the workspace's usage as numbers", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const since = new Date(Date.now() - 60_000);
    expect(await workspaceUsage(ctx, { since })).toEqual({ runs: 0, inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, costMicros: 0 });

    const one = await walk(ctx, await newRun(ctx), ["running"]);
    const two = await walk(ctx, await newRun(ctx), ["running"]);
    // Above 2^31 on purpose: a bigint sum must still come back as an exact number.
    await appendRunStep(ctx, one.id, { seq: 0, kind: "model_turn", payload: {}, usage: { inputTokens: 2_000_000_000, costMicros: 3_000_000_000 } });
    await appendRunStep(ctx, two.id, { seq: 0, kind: "model_turn", payload: {}, usage: { inputTokens: 2_000_000_000, outputTokens: 7, cacheWriteTokens: 3, cacheReadTokens: 4, costMicros: 3_000_000_001 } });

    const other = await newWorkspaceContext(t().db, "other");
    await appendRunStep(other, (await walk(other, await newRun(other), ["running"])).id, { seq: 0, kind: "model_turn", payload: {}, usage: { inputTokens: 99, costMicros: 99 } });

    const usage = await workspaceUsage(ctx, { since: since.toISOString() });
    expect(usage).toEqual({ runs: 2, inputTokens: 4_000_000_000, outputTokens: 7, cacheWriteTokens: 3, cacheReadTokens: 4, costMicros: 6_000_000_001 });
    expect(typeof usage.costMicros).toBe("number");
    expect(await workspaceUsage(ctx, { since: new Date(Date.now() + 3_600_000) })).toMatchObject({ runs: 0, costMicros: 0 });
  });

  it("never shows or touches another workspace's runs and steps", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const mine = await newRun(a);
    const foreignConversation = await createConversation(b);
    const foreignMessage = await addMessage(b, foreignConversation.id, { role: "user", content: "theirs" });
    const foreign = (await createRun(b, { conversationId: foreignConversation.id, idempotencyKey: "k" })).run;
    await appendRunStep(b, foreign.id, { seq: 0, kind: "model_turn", payload: { text: "private" } });

    expect((await listRuns(a)).map((r) => r.id)).toEqual([mine.id]);
    expect(await listRuns(a, { conversationId: foreignConversation.id })).toEqual([]);
    await expect(getRun(a, foreign.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(getRunWithSteps(a, foreign.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(listRunSteps(a, foreign.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(transitionRun(a, foreign.id, "running")).rejects.toMatchObject({ code: "not_found" });
    await expect(requestRunCancel(a, foreign.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(appendRunStep(a, foreign.id, { seq: 1, kind: "model_turn", payload: {} })).rejects.toMatchObject({ code: "not_found" });
    await expect(appendRunStep(a, foreign.id, { seq: 0, kind: "model_turn", payload: { text: "private" } })).rejects.toMatchObject({ code: "not_found" });
    await expect(createRun(a, { conversationId: foreignConversation.id })).rejects.toMatchObject({ code: "not_found" });
    await expect(createRun(a, { conversationId: (await createConversation(a)).id, triggerMessageId: foreignMessage.id })).rejects.toMatchObject({ code: "not_found" });

    const untouched = await getRunWithSteps(b, foreign.id);
    expect(untouched).toMatchObject({ status: "queued", stepCount: 1, attempts: 0, cancelRequestedAt: null });
    expect(untouched.steps.map((s) => s.seq)).toEqual([0]);
  });
});
