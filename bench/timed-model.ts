/** Model clients for the bench: the offline planner behind a fixed latency, timing every turn. */
import { OfflineModel } from "../agent/model/offline/offline-model.js";
import { ZERO_USAGE, type ModelClient, type ModelRequest, type ModelTurn } from "../agent/model/types.js";
import { sleep } from "./env.js";

export interface TurnLog {
  turns: number;
  modelMs: number;
}

/** Delegates to `inner` (default: the offline planner) after `latencyMs`, adding each turn's time to a per-run log. */
export class TimedModel implements ModelClient {
  readonly model: string;
  private readonly logs = new Map<string, TurnLog>();

  constructor(
    private readonly latencyMs: number,
    private readonly inner: ModelClient = new OfflineModel(),
  ) {
    this.model = inner.model;
  }

  async turn(request: ModelRequest): Promise<ModelTurn> {
    const start = performance.now();
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const turn = await this.inner.turn(request);
    const log = this.logFor(firstUserText(request));
    log.turns += 1;
    log.modelMs += performance.now() - start;
    return turn;
  }

  /** Runs are told apart by their request text, which the bench makes unique per run. */
  logFor(requestText: string): TurnLog {
    let log = this.logs.get(requestText);
    if (!log) this.logs.set(requestText, (log = { turns: 0, modelMs: 0 }));
    return log;
  }
}

function firstUserText(request: ModelRequest): string {
  const first = request.messages[0];
  if (!first) return "";
  if (typeof first.content === "string") return first.content;
  return first.content.map((block) => (block.type === "text" ? block.text : "")).join("");
}

/** Answers at once with a short text and no tool call: a run that is all queue and bookkeeping. */
export const oneTurnModel: ModelClient = {
  model: "bench-one-turn",
  turn: () => Promise.resolve({ content: [{ type: "text", text: "Noted." }], stopReason: "end_turn", usage: { ...ZERO_USAGE, inputTokens: 10, outputTokens: 2 }, model: "bench-one-turn" }),
};
