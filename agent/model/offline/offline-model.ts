/**
 * The offline model: a ModelClient that plans by rules instead of calling Claude, so the whole
 * product runs with no API key and no network. It drives the same MCP tools through the same loop,
 * costs nothing and answers the same messages the same way every time.
 */
import { AppError } from "../../../lib/errors.js";
import { ZERO_USAGE, type ModelClient, type ModelContentBlock, type ModelRequest, type ModelTurn } from "../types.js";
import { planNextTurn } from "./planner.js";
import { readTranscript } from "./transcript.js";

export const OFFLINE_MODEL_NAME = "offline-rules-1";

export interface OfflineModelOptions {
  /** The clock "in March" is read against; tests pin it. */
  now?: () => Date;
}

export class OfflineModel implements ModelClient {
  readonly model = OFFLINE_MODEL_NAME;
  private readonly now: () => Date;

  constructor(options: OfflineModelOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  turn(request: ModelRequest): Promise<ModelTurn> {
    if (request.signal?.aborted) return Promise.reject(new AppError("upstream_failed", "The model call was cancelled before it finished.", { cancelled: true }));
    try {
      const planned = planNextTurn({ messages: request.messages, tools: request.tools, now: this.now() });
      // Numbered by the assistant turns before it, so ids stay unique and identical when a run is replayed.
      const turnIndex = readTranscript(request.messages).assistantTurns;
      const content: ModelContentBlock[] = [];
      if (planned.text) content.push({ type: "text", text: planned.text });
      planned.calls.forEach((call, n) => content.push({ type: "tool_use", id: `toolu_offline_${turnIndex}_${n}`, name: call.name, input: call.input }));
      if (planned.text) {
        try {
          request.onText?.(planned.text);
        } catch {
          // Progress is best effort: ModelRequest promises that a failing listener is ignored.
        }
      }
      return Promise.resolve({ content, stopReason: planned.calls.length > 0 ? "tool_use" : "end_turn", usage: { ...ZERO_USAGE }, model: OFFLINE_MODEL_NAME });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
