/**
 * Record and replay. `--record` wraps each trial's model so every answer it gives is saved with the
 * message it answered; `--model replay` runs the suite again from that file with no model at all:
 * each trial gets its recorded answers in order, with the ids they name mapped to the replay's own
 * (id-map.ts). A replay that asks something the recording never answered fails loudly rather than
 * inventing an answer.
 */
import { readFile, writeFile } from "node:fs/promises";
import { z } from "zod";
import { AppError } from "../../lib/errors.js";
import { STOP_REASONS, type ConversationMessage, type ModelClient, type ModelRequest, type ModelTurn } from "../../agent/model/types.js";
import { IdMap, looksLikeId } from "./id-map.js";

const usage = z.object({ inputTokens: z.number().int(), outputTokens: z.number().int(), cacheWriteTokens: z.number().int(), cacheReadTokens: z.number().int() });
const turnSchema = z.object({
  content: z.array(
    z.discriminatedUnion("type", [
      z.object({ type: z.literal("text"), text: z.string() }),
      z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.record(z.string(), z.unknown()), inputError: z.string().optional() }),
    ]),
  ),
  stopReason: z.enum(STOP_REASONS),
  usage,
  model: z.string(),
});

const recordedCall = z.object({
  /** The last message of the request, the new information the model answered (a user turn or tool results), as JSON. */
  answered: z.string(),
  turn: turnSchema,
});
type RecordedCall = z.infer<typeof recordedCall>;

export const recordingSchema = z.object({
  version: z.literal(1),
  recordedAt: z.string(),
  provider: z.enum(["anthropic", "offline"]),
  model: z.string(),
  trials: z.array(z.object({ scenarioId: z.string(), trial: z.number().int().positive(), calls: z.array(recordedCall) })),
});
export type Recording = z.infer<typeof recordingSchema>;

function lastMessage(messages: readonly ConversationMessage[]): string {
  return JSON.stringify(messages.at(-1) ?? null);
}

/** Collects the answers of every trial while the suite runs; `toJSON` is the file `--model replay` reads. */
export class Recorder {
  private readonly trials = new Map<string, { scenarioId: string; trial: number; calls: RecordedCall[] }>();

  constructor(
    private readonly provider: "anthropic" | "offline",
    private readonly model: string,
  ) {}

  /** The model a trial uses, recording what it answers. */
  wrap(client: ModelClient, scenarioId: string, trial: number): ModelClient {
    const calls: RecordedCall[] = [];
    this.trials.set(`${scenarioId}#${trial}`, { scenarioId, trial, calls });
    return {
      model: client.model,
      async turn(request: ModelRequest): Promise<ModelTurn> {
        const turn = await client.turn(request);
        calls.push({ answered: lastMessage(request.messages), turn: structuredClone(turn) });
        return turn;
      },
    };
  }

  toJSON(): Recording {
    const trials = [...this.trials.values()].sort((a, b) => a.scenarioId.localeCompare(b.scenarioId) || a.trial - b.trial);
    return { version: 1, recordedAt: new Date().toISOString(), provider: this.provider, model: this.model, trials };
  }

  async save(file: string): Promise<void> {
    await writeFile(file, `${JSON.stringify(this.toJSON(), null, 1)}\n`);
  }
}

export async function loadRecording(file: string): Promise<Recording> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new AppError("validation_failed", `--recording: cannot read ${file} (${error instanceof Error ? error.message : String(error)}); make one with \`evals run --record\``, { field: "recording" });
  }
  const parsed = recordingSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new AppError("validation_failed", `--recording: ${file} is not a recording made by \`evals run --record\`: ${parsed.error.issues[0]?.message ?? "invalid"}`, { field: "recording" });
  return parsed.data;
}

/** Answers one trial from its recorded calls, in order. */
export class ReplayModel implements ModelClient {
  readonly model: string;
  private cursor = 0;
  private readonly ids = new IdMap();

  constructor(
    private readonly calls: readonly RecordedCall[],
    model: string,
    private readonly label: string,
  ) {
    this.model = model;
  }

  static forTrial(recording: Recording, scenarioId: string, trial: number): ReplayModel {
    const found = recording.trials.find((candidate) => candidate.scenarioId === scenarioId && candidate.trial === trial);
    return new ReplayModel(found?.calls ?? [], recording.model, `${scenarioId} trial ${trial}`);
  }

  turn(request: ModelRequest): Promise<ModelTurn> {
    if (request.signal?.aborted) return Promise.reject(new AppError("upstream_failed", "The model call was cancelled before it finished.", { cancelled: true }));
    const recorded = this.calls[this.cursor];
    if (!recorded) {
      return Promise.reject(new AppError("upstream_failed", `replay of ${this.label}: the recording has no answer for model call ${this.cursor + 1} (it recorded ${this.calls.length}); the run went further than the recorded one`));
    }
    const live = lastMessage(request.messages);
    if (!sameShape(recorded.answered, live)) {
      return Promise.reject(new AppError("upstream_failed", `replay of ${this.label}: model call ${this.cursor + 1} was asked something else than recorded; the tools answered differently, so the replay diverged`));
    }
    this.ids.learn(recorded.answered, live);
    this.cursor += 1;
    const turn: ModelTurn = {
      ...recorded.turn,
      content: recorded.turn.content.map((block) => (block.type === "text" ? { ...block, text: this.ids.rewriteText(block.text) } : { ...block, input: this.ids.rewrite(block.input) })),
    };
    const text = turn.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n");
    if (text) {
      try {
        request.onText?.(text);
      } catch {
        // Progress is best effort, as ModelRequest promises.
      }
    }
    return Promise.resolve(turn);
  }
}

/** Ids masked, so a person's message compares equal across runs while any other change does not. */
function masked(text: string): string {
  return text.replace(/[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?/g, (token) => (looksLikeId(token) ? "#" : token));
}

/** Same role and words (ids aside), or the same tool_use ids and error flags: only tool output values may differ. */
function sameShape(recorded: string, live: string): boolean {
  const skeleton = (json: string) => {
    const message = JSON.parse(json) as ConversationMessage | null;
    if (message === null) return "none";
    if (typeof message.content === "string") return `${message.role}:${masked(message.content)}`;
    return `${message.role}:${message.content.map((block) => (block.type === "tool_result" ? `result(${block.tool_use_id},${String(block.is_error === true)})` : block.type)).join(",")}`;
  };
  return skeleton(recorded) === skeleton(live);
}
