/**
 * Progress of a run, as one stream of events that the worker (to Redis, then SSE) and the CLI (to
 * the terminal) subscribe to. Events with a `seq` mirror a persisted step, so a client that
 * reconnects can ask for the steps after the last seq it saw and then follow the live events.
 */
import type { RunStatus } from "../drizzle/schema/index.js";
import type { ModelUsage } from "./model/types.js";

export interface RunUsageTotals extends ModelUsage {
  costMicros: number;
}

export type RunEvent =
  | { type: "run_started"; runId: string; resumed: boolean; model: string; provider: string }
  | { type: "model_turn"; runId: string; seq: number; turn: number; text: string; toolUses: { id: string; name: string }[]; usage: ModelUsage; costMicros: number }
  | { type: "text_delta"; runId: string; delta: string }
  | { type: "tool_call"; runId: string; seq: number; toolUseId: string; tool: string; args: Record<string, unknown> }
  | { type: "tool_result"; runId: string; seq: number; toolUseId: string; tool: string; isError: boolean; content: string }
  | { type: "approval_requested"; runId: string; seq: number; approvalId: string; tool: string; summary: string; reasons: string[] }
  | { type: "approval_decided"; runId: string; seq: number; approvalId: string; status: string; edited: boolean }
  | { type: "usage"; runId: string; totals: RunUsageTotals }
  | { type: "finished"; runId: string; status: RunStatus; text?: string; error?: { code: string; message: string } };

export type RunEventListener = (event: RunEvent) => void;

/** Fan-out to any number of listeners; a listener that throws never breaks the run or the others. */
export class RunEvents {
  private readonly listeners = new Set<RunEventListener>();

  subscribe(listener: RunEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: RunEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // Progress is advisory: the persisted steps are the record.
      }
    }
  }
}
