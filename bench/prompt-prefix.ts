/**
 * Item 6: how big the fixed part of a model request is (tool definitions, system prompt), and how much
 * of each request is an unchanged prefix of the previous one in the same trial: what prompt caching
 * can serve. Requests are rendered exactly as the Anthropic client sends them (`buildParams`).
 */
import { buildParams } from "../agent/model/anthropic.js";
import { OFFLINE_MODEL_NAME } from "../agent/model/offline/offline-model.js";
import type { ModelClient, ModelRequest, ModelTurn } from "../agent/model/types.js";
import { loadCatalogues, loadScenarios } from "../evals/load.js";
import { Recorder } from "../evals/replay/recording.js";
import { runSuite } from "../evals/runner.js";
import { benchConfig, logger, type BenchDatabase } from "./env.js";
import type { Section } from "./report.js";
import { median, round } from "./stats.js";

/** Rough: Claude's tokenizer averages about 4 characters of English/JSON per token. */
const CHARS_PER_TOKEN = 4;

/** The request in the order the API caches it (tools, system, messages), cache markers removed: they are not content. */
export function renderPrefixOrder(request: ModelRequest): string {
  const params = buildParams("bench", request);
  const strip = (value: unknown): string => JSON.stringify(value, (key, inner: unknown) => (key === "cache_control" ? undefined : inner));
  return [...(params.tools ?? []).map(strip), strip(params.system), ...params.messages.map(strip)].join("\n");
}

function commonPrefix(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

interface RequestSample {
  chars: number;
  sharedChars: number;
}

/** Records every request a trial's model receives, next to the previous one of the same trial. */
class PrefixRecorder extends Recorder {
  readonly samples: RequestSample[] = [];
  readonly firsts: number[] = [];
  toolChars = 0;
  systemChars = 0;
  tools = 0;

  override wrap(client: ModelClient, scenarioId: string, trial: number): ModelClient {
    const inner = super.wrap(client, scenarioId, trial);
    let previous: string | undefined;
    return {
      model: inner.model,
      turn: (request: ModelRequest): Promise<ModelTurn> => {
        const rendered = renderPrefixOrder(request);
        if (previous === undefined) this.firsts.push(rendered.length);
        else this.samples.push({ chars: rendered.length, sharedChars: commonPrefix(previous, rendered) });
        previous = rendered;
        this.tools = request.tools.length;
        this.toolChars = request.tools.map((tool) => JSON.stringify(tool)).join("").length;
        this.systemChars = request.system.length;
        return inner.turn(request);
      },
    };
  }
}

export async function measurePromptEfficiency(database: BenchDatabase, quick: boolean): Promise<Section> {
  const catalogues = await loadCatalogues();
  const all = await loadScenarios(catalogues);
  const scenarios = quick ? all.slice(0, 3) : all;
  const recorder = new PrefixRecorder("offline", OFFLINE_MODEL_NAME);
  const suite = await runSuite({ handle: database.handle, config: benchConfig(database.url), logger, scenarios, catalogues, mode: "offline", trials: 1, concurrency: 2, recorder });
  const { samples, firsts } = recorder;
  const total = samples.reduce((n, s) => n + s.chars, 0);
  const shared = samples.reduce((n, s) => n + s.sharedChars, 0);
  const share = total > 0 ? shared / total : 0;
  const perRequest = median(samples.map((s) => s.sharedChars / s.chars));
  const tokens = (chars: number) => Math.round(chars / CHARS_PER_TOKEN).toLocaleString("en");
  const passed = suite.scenarios.filter((s) => s.passRate === 1).length;
  return {
    id: "prompt",
    title: "6. Prompt efficiency",
    method: `The eval suite (${scenarios.length} scenario(s), one trial each, offline planner) with every model request rendered as the Anthropic client sends it and compared with the previous request of the same trial (the first request of a trial has nothing to share and is left out of the share). Sizes in characters; tokens estimated at ${CHARS_PER_TOKEN} characters each. ${passed} of ${scenarios.length} scenarios passed while measured.`,
    table: [
      ["", "characters", "≈ tokens"],
      [`tool definitions (${recorder.tools} tools)`, recorder.toolChars.toLocaleString("en"), tokens(recorder.toolChars)],
      ["system prompt", recorder.systemChars.toLocaleString("en"), tokens(recorder.systemChars)],
      [`first request of a trial (median of ${firsts.length})`, Math.round(median(firsts)).toLocaleString("en"), tokens(median(firsts))],
      [`later requests (median of ${samples.length})`, Math.round(median(samples.map((s) => s.chars))).toLocaleString("en"), tokens(median(samples.map((s) => s.chars)))],
      ["share of later requests' input that is the previous request's prefix (all characters)", `${(share * 100).toFixed(1)}%`, ""],
      ["… median per request", `${(perRequest * 100).toFixed(1)}%`, ""],
    ],
    goals: [
      {
        figure: "input that is an unchanged prefix of the previous request",
        target: "≥ 85%",
        actual: `${(share * 100).toFixed(1)}%`,
        met: share >= 0.85,
        whyNot: "Something early in the request changes between turns (see the median per request); whatever it is should move after the last cache breakpoint.",
      },
    ],
    data: { scenarios: scenarios.length, requests: samples.length + firsts.length, toolChars: recorder.toolChars, systemChars: recorder.systemChars, tools: recorder.tools, firstRequestChars: median(firsts), laterRequestChars: median(samples.map((s) => s.chars)), prefixShare: round(share, 4), medianPrefixShare: round(perRequest, 4) },
  };
}
