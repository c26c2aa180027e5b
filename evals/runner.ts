/**
 * The suite: every selected scenario × K trials, N at a time, each trial in a fresh workspace of
 * the same database; graded as it finishes, then summarised (pass@1, pass@k, pass^k, cost).
 */
import { createAnthropicModel } from "../agent/model/anthropic.js";
import { OfflineModel, OFFLINE_MODEL_NAME } from "../agent/model/offline/offline-model.js";
import type { ModelClient } from "../agent/model/types.js";
import type { DatabaseHandle } from "../drizzle/client.js";
import type { Config } from "../lib/config.js";
import type { Logger } from "../lib/logger.js";
import { seedDecoy } from "./decoy.js";
import { trialCost } from "./graders/efficiency.js";
import { gradeTrial } from "./graders/index.js";
import type { RubricJudge } from "./graders/rubric.js";
import { ReplayModel, type Recorder, type Recording } from "./replay/recording.js";
import { summariseScenario, suiteTotals, type ModelMode, type SuiteResult, type TrialResult } from "./results.js";
import type { Catalogue, Scenario } from "./scenario.js";
import type { TrialRecord } from "./transcript.js";
import { newRunTag, runTrial, sandboxConfig, type SuiteContext, type TrialModel } from "./trial.js";
import { StripeWebhookEndpoint } from "./webhooks.js";

export type ProgressEvent =
  | { type: "started"; total: number }
  | { type: "trial_finished"; done: number; total: number; result: TrialResult };

export interface RunSuiteOptions {
  handle: DatabaseHandle;
  config: Config;
  logger: Logger;
  scenarios: readonly Scenario[];
  catalogues: ReadonlyMap<string, Catalogue>;
  mode: ModelMode;
  /** Trials per scenario (k). */
  trials: number;
  concurrency: number;
  /** `--model replay`: what to replay. */
  recording?: Recording;
  /** `--record`: collects every model answer. */
  recorder?: Recorder;
  /** The Claude-judged rubric, when a key is configured. */
  judge?: RubricJudge;
  /** Override the Anthropic client (tests point it at a fake). */
  anthropic?: ModelClient;
  onProgress?: (event: ProgressEvent) => void;
}

export function modelName(options: Pick<RunSuiteOptions, "mode" | "config" | "recording">): { provider: "anthropic" | "offline"; name: string } {
  if (options.mode === "replay") return { provider: options.recording?.provider ?? "offline", name: options.recording?.model ?? "replay" };
  if (options.mode === "anthropic") return { provider: "anthropic", name: options.config.llm.model };
  return { provider: "offline", name: OFFLINE_MODEL_NAME };
}

function trialModel(options: RunSuiteOptions, shared: () => ModelClient, scenario: Scenario, trial: number): TrialModel {
  const { provider } = modelName(options);
  let client: ModelClient;
  if (options.mode === "replay") {
    if (!options.recording) throw new Error("replay needs a recording");
    client = ReplayModel.forTrial(options.recording, scenario.id, trial);
  } else if (options.mode === "anthropic") {
    client = shared();
  } else {
    // The offline planner reads "in March" against the scenario's clock, not today's date.
    client = new OfflineModel({ now: () => new Date(scenario.clock) });
  }
  return { client: options.recorder ? options.recorder.wrap(client, scenario.id, trial) : client, provider };
}

/** A trial the harness could not even set up still gets a transcript, so it is reported and fails. */
function failedTrial(scenario: Scenario, trial: number, error: unknown, markers: string[]): TrialRecord {
  return {
    scenarioId: scenario.id,
    trial,
    workspaceId: "",
    policy: { emailDomain: null, internalSlackChannels: [] },
    tools: [],
    runs: [],
    approvals: [],
    outbox: [],
    events: [],
    busy: [],
    foreignMarkers: markers,
    slackThreads: [],
    script: [],
    wallMs: 0,
    harnessError: error instanceof Error ? error.message : String(error),
  };
}

/** Run `work` over `items`, at most `limit` at a time, results in the items' order. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

export async function runSuite(options: RunSuiteOptions): Promise<SuiteResult> {
  const startedAt = new Date();
  const config = sandboxConfig(options.config);
  const logger = options.logger;
  const used = new Set(options.scenarios.flatMap((scenario) => scenario.fixtures.catalogues));
  const decoy = await seedDecoy({ handle: options.handle, logger, config }, [...options.catalogues.entries()].filter(([name]) => used.has(name)).map(([, catalogue]) => catalogue));
  const stripe = await StripeWebhookEndpoint.start({ handle: options.handle, config, logger });
  const suite: SuiteContext = { handle: options.handle, config, logger, catalogues: options.catalogues, decoy, stripe, runTag: newRunTag() };
  let anthropic: ModelClient | undefined = options.anthropic;
  const shared = () => (anthropic ??= createAnthropicModel(options.config));

  const jobs = options.scenarios.flatMap((scenario) => Array.from({ length: options.trials }, (_, index) => ({ scenario, trial: index + 1 })));
  options.onProgress?.({ type: "started", total: jobs.length });
  let done = 0;
  let results: TrialResult[];
  try {
    results = await pool(jobs, options.concurrency, async ({ scenario, trial }) => {
      let transcript: TrialRecord;
      try {
        transcript = await runTrial(suite, scenario, trial, trialModel(options, shared, scenario, trial));
      } catch (error) {
        logger.error({ err: error, scenario: scenario.id, trial }, "eval trial could not run");
        transcript = failedTrial(scenario, trial, error, decoy.markers);
      }
      const grade = gradeTrial(transcript, scenario);
      const rubric = options.judge ? await options.judge.judge(scenario, transcript) : undefined;
      const result: TrialResult = { scenarioId: scenario.id, trial, passed: grade.passed, safe: grade.safe, grades: grade.results, cost: trialCost(transcript), ...(rubric ? { rubric } : {}), transcript };
      done += 1;
      options.onProgress?.({ type: "trial_finished", done, total: jobs.length, result });
      return result;
    });
  } finally {
    await stripe.close();
  }

  const scenarios = options.scenarios.map((scenario) => summariseScenario(scenario, results.filter((result) => result.scenarioId === scenario.id)));
  const finishedAt = new Date();
  return {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    model: { mode: options.mode, ...modelName(options) },
    database: options.handle.driver === "pglite" ? "pglite" : "postgres",
    k: options.trials,
    concurrency: options.concurrency,
    totals: suiteTotals(scenarios, results, (finishedAt.getTime() - startedAt.getTime()) / 1000),
    scenarios,
    trials: results,
  };
}
