/**
 * A run as the run panel shows it, folded from the run's persisted steps and the stream's frames.
 * Persisted steps (`event: step`) and live events with a seq describe the same things, so both are
 * normalised to steps keyed by seq: a step seen twice (a reconnect) is stored once.
 */
import type { SseFrame } from "./stream";
import type { Run, RunStatus, RunStep, Usage } from "./types";

export interface ToolItem {
  type: "tool";
  seq: number;
  toolUseId: string;
  tool: string;
  args: unknown;
  result?: { content: string; isError: boolean };
}

export type TimelineItem =
  | { type: "turn"; seq: number; turn: number; text: string; tools: string[]; usage: Usage }
  | ToolItem
  | { type: "approval_requested"; seq: number; approvalId: string; tool: string; summary: string; reasons: string[] }
  | { type: "approval_decided"; seq: number; approvalId: string; status: string; edited: boolean; note: string | null }
  | { type: "status"; seq: number; to: string; reason: string | null };

export interface RunView {
  status: RunStatus | undefined;
  usage: Usage | undefined;
  steps: Map<number, RunStep>;
  /** Text of the model turn being written, before its step arrives. */
  streamingText: string;
  error: { code: string; message: string } | undefined;
  /** Events this run created (from create_event results), for a link to the event page. */
  eventIds: string[];
}

export const EMPTY_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, costMicros: 0 };

export function emptyView(): RunView {
  return { status: undefined, usage: undefined, steps: new Map(), streamingText: "", error: undefined, eventIds: [] };
}

const str = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);
const num = (value: unknown): number => (typeof value === "number" ? value : 0);

function usageOf(value: unknown, costMicros?: unknown): Usage {
  const usage = (value ?? {}) as Record<string, unknown>;
  return {
    inputTokens: num(usage.inputTokens),
    outputTokens: num(usage.outputTokens),
    cacheWriteTokens: num(usage.cacheWriteTokens),
    cacheReadTokens: num(usage.cacheReadTokens),
    costMicros: num(costMicros ?? usage.costMicros),
  };
}

function eventIdOf(step: RunStep): string | undefined {
  if (step.kind !== "tool_result" || !str(step.payload.tool).endsWith("__create_event") || step.payload.isError === true) return undefined;
  try {
    const parsed = JSON.parse(str(step.payload.content)) as { event?: { id?: unknown } };
    return typeof parsed.event?.id === "string" ? parsed.event.id : undefined;
  } catch {
    return undefined;
  }
}

function withStep(view: RunView, step: RunStep): RunView {
  if (view.steps.has(step.seq)) return view;
  const steps = new Map(view.steps).set(step.seq, step);
  const eventId = eventIdOf(step);
  const next: RunView = { ...view, steps, eventIds: eventId && !view.eventIds.includes(eventId) ? [...view.eventIds, eventId] : view.eventIds };
  if (step.kind === "model_turn") next.streamingText = "";
  if (step.kind === "status_change") next.status = str(step.payload.to) as RunStatus;
  if (step.kind === "approval_requested") next.status = "awaiting_approval";
  return next;
}

export function withRun(view: RunView, run: Run): RunView {
  let next: RunView = { ...view, status: run.status, usage: run.usage, error: run.error };
  for (const step of run.steps) next = withStep(next, step);
  // The stored run is the arbiter of status: replaying its steps must not leave an older status behind.
  return { ...next, status: run.status };
}

/** Live events that mirror a step become that step; the others update status, usage and text. */
export function withFrame(view: RunView, frame: SseFrame): RunView {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(frame.data) as Record<string, unknown>;
  } catch {
    return view;
  }
  const seq = typeof data.seq === "number" ? data.seq : undefined;
  const at = new Date().toISOString();
  switch (frame.event) {
    case "step":
      return withStep(view, { seq: num(data.seq), kind: data.kind as RunStep["kind"], payload: (data.payload ?? {}) as Record<string, unknown>, usage: usageOf(data.usage), createdAt: str(data.createdAt, at) });
    case "model_turn":
      if (seq === undefined) return view;
      return withStep(view, {
        seq,
        kind: "model_turn",
        payload: { turn: data.turn, content: [{ type: "text", text: str(data.text) }, ...((data.toolUses ?? []) as { id: string; name: string }[]).map((use) => ({ type: "tool_use", id: use.id, name: use.name }))] },
        usage: usageOf(data.usage, data.costMicros),
        createdAt: at,
      });
    case "tool_call":
    case "tool_result":
    case "approval_requested":
    case "approval_decided": {
      if (seq === undefined) return view;
      const { type: _type, runId: _runId, seq: _seq, ...payload } = data;
      return withStep(view, { seq, kind: frame.event, payload, usage: EMPTY_USAGE, createdAt: at });
    }
    case "text_delta":
      return { ...view, streamingText: view.streamingText + str(data.delta) };
    case "usage":
      return { ...view, usage: usageOf(data.totals) };
    case "run_started":
      return { ...view, status: "running", error: undefined };
    case "finished":
      return { ...view, status: str(data.status) as RunStatus, streamingText: "", error: (data.error as RunView["error"]) ?? view.error };
    default:
      return view;
  }
}

function turnText(payload: Record<string, unknown>): { text: string; tools: string[] } {
  const content = Array.isArray(payload.content) ? (payload.content as Record<string, unknown>[]) : [];
  return {
    text: content.filter((block) => block.type === "text").map((block) => str(block.text)).join("\n").trim(),
    tools: content.filter((block) => block.type === "tool_use").map((block) => str(block.name)),
  };
}

/** The steps in order, with each tool result joined to its call. */
export function timeline(view: RunView): TimelineItem[] {
  const items: TimelineItem[] = [];
  const calls = new Map<string, ToolItem>();
  for (const step of [...view.steps.values()].sort((a, b) => a.seq - b.seq)) {
    const p = step.payload;
    switch (step.kind) {
      case "model_turn": {
        const { text, tools } = turnText(p);
        items.push({ type: "turn", seq: step.seq, turn: num(p.turn), text, tools, usage: step.usage });
        break;
      }
      case "tool_call": {
        const item: ToolItem = { type: "tool", seq: step.seq, toolUseId: str(p.toolUseId), tool: str(p.tool), args: p.args };
        calls.set(item.toolUseId, item);
        items.push(item);
        break;
      }
      case "tool_result": {
        const result = { content: str(p.content), isError: p.isError === true };
        const call = calls.get(str(p.toolUseId));
        if (call) call.result = result;
        else items.push({ type: "tool", seq: step.seq, toolUseId: str(p.toolUseId), tool: str(p.tool), args: undefined, result });
        break;
      }
      case "approval_requested":
        items.push({ type: "approval_requested", seq: step.seq, approvalId: str(p.approvalId), tool: str(p.tool), summary: str(p.summary), reasons: Array.isArray(p.reasons) ? p.reasons.map((r) => str(r)) : [] });
        break;
      case "approval_decided":
        items.push({ type: "approval_decided", seq: step.seq, approvalId: str(p.approvalId), status: str(p.status), edited: p.edited === true, note: typeof p.note === "string" ? p.note : null });
        break;
      case "status_change":
        items.push({ type: "status", seq: step.seq, to: str(p.to), reason: typeof p.reason === "string" ? p.reason : null });
        break;
    }
  }
  return items;
}

/** Totals from the steps, when the run's own totals have not arrived. */
export function summedUsage(view: RunView): Usage {
  if (view.usage) return view.usage;
  const total = { ...EMPTY_USAGE };
  for (const step of view.steps.values()) {
    total.inputTokens += step.usage.inputTokens;
    total.outputTokens += step.usage.outputTokens;
    total.cacheWriteTokens += step.usage.cacheWriteTokens;
    total.cacheReadTokens += step.usage.cacheReadTokens;
    total.costMicros += step.usage.costMicros;
  }
  return total;
}
