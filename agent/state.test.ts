import { describe, expect, it } from "vitest";
import { checkRunLimits, checkWorkspaceBudget, startOfMonthUtc } from "./limits.js";
import { foldSteps, nextAction, normaliseHistory } from "./state.js";
import type { StepPayloads, TypedStep } from "./steps.js";

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 24, 12, 0, seconds));
const zero = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
let seq = 0;
function step<K extends keyof StepPayloads>(kind: K, payload: StepPayloads[K], second = seq): TypedStep {
  return { seq: seq++, kind, payload, createdAt: at(second) } as TypedStep;
}
function turn(n: number, content: StepPayloads["model_turn"]["content"], stopReason = "tool_use", usage = zero): TypedStep {
  return step("model_turn", { turn: n, model: "claude-sonnet-4-6", stopReason, content, usage, costMicros: 10 });
}
const history = [{ role: "user" as const, content: "Plan an offsite" }];
const createEvent = { type: "tool_use" as const, id: "t1", name: "postgres__create_event", input: { title: "Offsite" } };
const pay = { type: "tool_use" as const, id: "t2", name: "stripe__pay_vendor_deposit", input: { amountMinor: 100 } };

describe("run state folded from steps", () => {
  it("starts by calling the model", () => {
    seq = 0;
    const state = foldSteps(history, []);
    expect(nextAction(state)).toEqual({ kind: "call_model" });
    expect(state.messages).toEqual(history);
    expect(state.nextSeq).toBe(0);
  });

  it("classifies each tool use of the latest turn by how far it got", () => {
    seq = 0;
    const steps = [
      step("status_change", { to: "running" }),
      turn(0, [{ type: "text", text: "On it." }, createEvent, pay, { type: "tool_use", id: "t3", name: "twilio__send_sms", input: {} }, { type: "tool_use", id: "t4", name: "postgres__list_events", input: {} }]),
      step("tool_call", { toolUseId: "t1", tool: "postgres__create_event", args: { title: "Offsite", idempotency_key: "k1" } }),
      step("approval_requested", { toolUseId: "t2", tool: "stripe__pay_vendor_deposit", approvalId: "a2", args: { amountMinor: 100 }, summary: "Pay", reasons: ["money"] }),
      step("approval_requested", { toolUseId: "t3", tool: "twilio__send_sms", approvalId: "a3", args: {}, summary: "Text", reasons: ["people"] }),
      step("approval_decided", { toolUseId: "t3", approvalId: "a3", status: "rejected", edited: false, note: null }),
    ];
    const state = foldSteps(history, steps);
    expect(state.pending.map((progress) => [progress.use.id, progress.stage])).toEqual([
      ["t1", "interrupted"],
      ["t2", "awaiting_decision"],
      ["t3", "decided"],
      ["t4", "new"],
    ]);
    expect(nextAction(state)).toMatchObject({ kind: "run_tools" });
    // The results are not in the conversation until every tool use has one.
    expect(state.messages.at(-1)!.role).toBe("assistant");
    expect(state.nextSeq).toBe(6);
  });

  it("puts a turn's results back in the model's order, rebuilds taint, sums usage and active time", () => {
    seq = 0;
    const steps = [
      step("status_change", { to: "running" }, 0),
      turn(0, [createEvent, { type: "tool_use", id: "t5", name: "twilio__list_inbound_messages", input: {} }], "tool_use", { ...zero, inputTokens: 100, outputTokens: 5 }),
      step("tool_result", { toolUseId: "t5", tool: "twilio__list_inbound_messages", isError: false, content: "[]", structured: { messages: [] } }, 3),
      step("tool_result", { toolUseId: "t1", tool: "postgres__create_event", isError: false, content: "{}" }, 4),
      step("status_change", { to: "awaiting_approval" }, 5),
      // Twenty seconds waiting for a person do not count as work.
      step("status_change", { to: "running" }, 25),
      turn(1, [{ type: "text", text: "Done." }], "end_turn", { ...zero, inputTokens: 50, cacheReadTokens: 900 }),
    ];
    steps[6] = { ...steps[6]!, createdAt: at(27) };
    const state = foldSteps(history, steps);
    expect(state.messages.map((message) => message.role)).toEqual(["user", "assistant", "user", "assistant"]);
    const results = state.messages[2]!.content as { tool_use_id: string }[];
    expect(results.map((block) => block.tool_use_id)).toEqual(["t1", "t5"]);
    expect(state.taint.tainted).toBe(true);
    expect(state.usage).toEqual({ inputTokens: 150, outputTokens: 5, cacheWriteTokens: 0, cacheReadTokens: 900 });
    expect(state.costMicros).toBe(20);
    expect(state.activeMs).toBe(7000);
    expect(nextAction(state)).toEqual({ kind: "finish", text: "Done." });
  });

  it("refuses steps that contradict each other", () => {
    seq = 0;
    const steps = [turn(0, [createEvent]), step("tool_result", { toolUseId: "someone-else", tool: "x", isError: false, content: "" })];
    expect(() => foldSteps(history, steps)).toThrow(/did not ask for/);
  });

  it("maps stop reasons to what happens next", () => {
    const after = (stopReason: string, content: StepPayloads["model_turn"]["content"] = [{ type: "text", text: "..." }]) => {
      seq = 0;
      return nextAction(foldSteps(history, [turn(0, content, stopReason)]));
    };
    expect(after("end_turn")).toEqual({ kind: "finish", text: "..." });
    expect(after("max_tokens")).toMatchObject({ kind: "fail", code: "model_output_limit" });
    expect(after("refusal")).toMatchObject({ kind: "fail", code: "model_refused" });
    expect(after("pause_turn")).toEqual({ kind: "call_model" });
    expect(after("model_context_window_exceeded")).toMatchObject({ kind: "fail", code: "context_exhausted" });
  });

  it("merges consecutive messages of one role and starts with the user", () => {
    expect(
      normaliseHistory([
        { role: "assistant", content: "stray" },
        { role: "user", content: "a" },
        { role: "user", content: "b" },
        { role: "assistant", content: "c" },
      ]),
    ).toEqual([
      { role: "user", content: "a\n\nb" },
      { role: "assistant", content: "c" },
    ]);
  });
});

describe("limits", () => {
  const limits = { maxSteps: 10, maxTokens: 1000, maxCostUsd: 1, maxWallSeconds: 60 };
  const state = { turns: 1, usage: { ...zero, inputTokens: 100 }, costMicros: 0, activeMs: 0 };

  it("passes a run within every limit and names the one it breaks", () => {
    expect(checkRunLimits(state, limits)).toBeNull();
    expect(checkRunLimits({ ...state, turns: 10 }, limits)?.code).toBe("step_limit");
    // Cache reads are re-reads of the same prefix; they are priced by the cost limit, not counted here.
    expect(checkRunLimits({ ...state, usage: { ...zero, inputTokens: 100, cacheReadTokens: 5000 } }, limits)).toBeNull();
    expect(checkRunLimits({ ...state, usage: { ...zero, inputTokens: 900, outputTokens: 100 } }, limits)?.code).toBe("token_limit");
    expect(checkRunLimits({ ...state, costMicros: 1_000_000 }, limits)?.reason).toMatch(/cost \$1\.00.*limit of \$1\.00 \(AGENT_MAX_COST_USD\)/);
    expect(checkRunLimits({ ...state, activeMs: 60_000 }, limits)?.reason).toMatch(/60 s.*AGENT_MAX_WALL_SECONDS/);
  });

  it("checks the workspace's monthly budget from the first of the month, UTC", () => {
    expect(checkWorkspaceBudget(5, null)).toBeNull();
    expect(checkWorkspaceBudget(5, 10)).toBeNull();
    expect(checkWorkspaceBudget(10, 10)?.code).toBe("workspace_budget");
    expect(startOfMonthUtc(new Date("2026-11-24T23:30:00-05:00")).toISOString()).toBe("2026-11-01T00:00:00.000Z");
  });
});
