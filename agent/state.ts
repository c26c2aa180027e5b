/**
 * A run's state as data, folded from its persisted steps, and the one pure decision the loop asks
 * of it: what happens next. Nothing here does I/O, so resuming in another process is the same code
 * path as carrying on in this one, and every branch is testable from a list of steps.
 */
import { AppError } from "../lib/errors.js";
import { addUsage, ZERO_USAGE, type ContentBlock, type ConversationMessage, type ModelToolUse, type ModelUsage, type ToolResultBlock } from "./model/types.js";
import { RunTaint } from "./policy/decide.js";
import type { ApprovalDecidedPayload, ApprovalRequestedPayload, ModelTurnPayload, ToolCallPayload, ToolResultPayload, TypedStep } from "./steps.js";

/** Where one tool use of the latest model turn stands. */
export type ToolUseProgress =
  /** Nothing persisted yet beyond the model asking for it. */
  | { stage: "new"; use: ModelToolUse }
  /** Waiting for a person; `request` holds the arguments the approval is bound to. */
  | { stage: "awaiting_decision"; use: ModelToolUse; request: ApprovalRequestedPayload }
  /** A person decided; an approved call has not started, a refused one has no result yet. */
  | { stage: "decided"; use: ModelToolUse; request: ApprovalRequestedPayload; decision: ApprovalDecidedPayload }
  /** Started and never finished: a crash mid-call. Retried with the same arguments and key. */
  | { stage: "interrupted"; use: ModelToolUse; call: ToolCallPayload };

export interface RunState {
  /** The conversation as the model sees it: earlier messages, then this run's turns and results. */
  messages: ConversationMessage[];
  turns: number;
  usage: ModelUsage;
  costMicros: number;
  /** Time the run has spent working (not waiting for a person), summed over its segments. */
  activeMs: number;
  taint: RunTaint;
  lastTurn: ModelTurnPayload | undefined;
  /** Tool uses of the latest turn that have no result yet, in the model's order. */
  pending: ToolUseProgress[];
  /** Results of the latest turn so far, by tool_use id. */
  results: Map<string, ToolResultPayload>;
  nextSeq: number;
}

export type NextAction =
  | { kind: "call_model" }
  | { kind: "run_tools"; pending: ToolUseProgress[] }
  | { kind: "finish"; text: string }
  | { kind: "fail"; code: string; reason: string };

/** Consecutive messages of one role become one, and the conversation starts with the user, as the API requires. */
export function normaliseHistory(history: readonly ConversationMessage[]): ConversationMessage[] {
  const merged: ConversationMessage[] = [];
  for (const message of history) {
    const text = typeof message.content === "string" ? message.content : message.content.map((block) => (block.type === "text" ? block.text : "")).join("\n");
    if (merged.length === 0 && message.role !== "user") continue;
    const last = merged.at(-1);
    if (last && last.role === message.role && typeof last.content === "string") last.content = `${last.content}\n\n${text}`;
    else merged.push({ role: message.role, content: text });
  }
  return merged;
}

function toolUses(turn: ModelTurnPayload): ModelToolUse[] {
  return turn.content.filter((block): block is ModelToolUse & { type: "tool_use" } => block.type === "tool_use");
}

function assistantContent(turn: ModelTurnPayload): ContentBlock[] {
  return turn.content.map((block): ContentBlock => (block.type === "text" ? { type: "text", text: block.text } : { type: "tool_use", id: block.id, name: block.name, input: block.input }));
}

export function toolResultBlock(result: ToolResultPayload): ToolResultBlock {
  return { type: "tool_result", tool_use_id: result.toolUseId, content: result.content, ...(result.isError ? { is_error: true } : {}) };
}

/** Time spent between each `running` status change and the last step before the next one. */
function activeTime(steps: readonly TypedStep[]): number {
  let total = 0;
  let segmentStart: Date | undefined;
  let last: Date | undefined;
  for (const step of steps) {
    if (step.kind === "status_change" && step.payload.to === "running") {
      if (segmentStart && last) total += Math.max(0, last.getTime() - segmentStart.getTime());
      segmentStart = step.createdAt;
    }
    last = step.createdAt;
  }
  if (segmentStart && last) total += Math.max(0, last.getTime() - segmentStart.getTime());
  return total;
}

/**
 * Fold the steps (in seq order) over the conversation that started the run. Throws when the steps
 * contradict each other (a result for a call no turn asked for): that run needs a person, not a guess.
 */
export function foldSteps(history: readonly ConversationMessage[], steps: readonly TypedStep[]): RunState {
  const messages = normaliseHistory(history);
  const taint = new RunTaint();
  let usage = ZERO_USAGE;
  let costMicros = 0;
  let turns = 0;
  let lastTurn: ModelTurnPayload | undefined;
  let results = new Map<string, ToolResultPayload>();
  let requests = new Map<string, ApprovalRequestedPayload>();
  let decisions = new Map<string, ApprovalDecidedPayload>();
  let calls = new Map<string, ToolCallPayload>();

  const closeTurn = (): void => {
    if (!lastTurn) return;
    const uses = toolUses(lastTurn);
    if (uses.length === 0) return;
    const missing = uses.filter((use) => !results.has(use.id));
    if (missing.length > 0) throw new AppError("invalid_state", `run steps are inconsistent: turn ${lastTurn.turn} has tool uses without results (${missing.map((use) => use.id).join(", ")})`);
    messages.push({ role: "user", content: uses.map((use) => toolResultBlock(results.get(use.id)!)) });
  };

  for (const step of steps) {
    switch (step.kind) {
      case "model_turn":
        closeTurn();
        lastTurn = step.payload;
        turns += 1;
        usage = addUsage(usage, step.payload.usage);
        costMicros += step.payload.costMicros;
        messages.push({ role: "assistant", content: assistantContent(step.payload) });
        results = new Map();
        requests = new Map();
        decisions = new Map();
        calls = new Map();
        break;
      case "tool_call":
        calls.set(step.payload.toolUseId, step.payload);
        break;
      case "tool_result":
        if (!lastTurn || !toolUses(lastTurn).some((use) => use.id === step.payload.toolUseId)) {
          throw new AppError("invalid_state", `run steps are inconsistent: step ${step.seq} is a result for tool use ${step.payload.toolUseId}, which the latest turn did not ask for`);
        }
        results.set(step.payload.toolUseId, step.payload);
        taint.observe(step.payload.tool, step.payload.structured ?? step.payload.content);
        break;
      case "approval_requested":
        requests.set(step.payload.toolUseId, step.payload);
        break;
      case "approval_decided":
        decisions.set(step.payload.toolUseId, step.payload);
        break;
      case "status_change":
        break;
    }
  }

  const pending: ToolUseProgress[] = [];
  for (const use of lastTurn ? toolUses(lastTurn) : []) {
    if (results.has(use.id)) continue;
    const call = calls.get(use.id);
    const request = requests.get(use.id);
    const decision = decisions.get(use.id);
    if (call) pending.push({ stage: "interrupted", use, call });
    else if (request && decision) pending.push({ stage: "decided", use, request, decision });
    else if (request) pending.push({ stage: "awaiting_decision", use, request });
    else pending.push({ stage: "new", use });
  }
  if (lastTurn && pending.length === 0) closeTurn();

  return {
    messages,
    turns,
    usage,
    costMicros,
    activeMs: activeTime(steps),
    taint,
    lastTurn,
    pending,
    results,
    nextSeq: steps.length === 0 ? 0 : steps[steps.length - 1]!.seq + 1,
  };
}

function finalText(turn: ModelTurnPayload): string {
  return turn.content
    .filter((block) => block.type === "text")
    .map((block) => block.text)
    .join("\n")
    .trim();
}

/** The pure transition: given the state, what the loop does next. */
export function nextAction(state: RunState): NextAction {
  const turn = state.lastTurn;
  if (!turn) return { kind: "call_model" };
  if (state.pending.length > 0) return { kind: "run_tools", pending: state.pending };
  const usedTools = toolUses(turn).length > 0;
  switch (turn.stopReason) {
    case "tool_use":
    case "pause_turn":
      return { kind: "call_model" };
    case "max_tokens":
      if (usedTools) return { kind: "call_model" };
      return { kind: "fail", code: "model_output_limit", reason: "The model's answer was cut off at its output limit before it finished; try a narrower request." };
    case "refusal":
      return { kind: "fail", code: "model_refused", reason: "The model declined to continue with this request." };
    case "model_context_window_exceeded":
      return { kind: "fail", code: "context_exhausted", reason: "The conversation grew larger than the model can read at once; start a new conversation with a summary of what is needed." };
    default:
      // A turn that used tools always gets to read their results, whatever the stop reason says.
      if (usedTools) return { kind: "call_model" };
      return { kind: "finish", text: finalText(turn) };
  }
}
