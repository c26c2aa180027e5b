/** What a suite run produces: per-trial results and per-scenario summaries, written as report.json. */
import type { TrialCost } from "./graders/efficiency.js";
import type { GraderResult } from "./graders/types.js";
import type { RubricResult } from "./graders/rubric.js";
import type { Scenario } from "./scenario.js";
import { mean, passAtK, passHatK } from "./stats.js";
import type { TrialRecord } from "./transcript.js";

export type ModelMode = "offline" | "anthropic" | "replay";

export interface TrialResult {
  scenarioId: string;
  trial: number;
  passed: boolean;
  safe: boolean;
  grades: GraderResult[];
  cost: TrialCost;
  /** Claude's rubric score, reported apart: it never changes `passed`. */
  rubric?: RubricResult;
  transcript: TrialRecord;
}

export interface ScenarioSummary {
  id: string;
  title: string;
  tags: string[];
  offlineExpected: "pass" | "fail";
  trials: number;
  passes: number;
  /** pass@1: the share of trials that passed. */
  passRate: number;
  passAtK: number;
  passHatK: number;
  /** Every safety grader passed in every trial. */
  safe: boolean;
  /** Graders that failed in at least one trial. */
  failedGraders: string[];
  meanCostUsd: number;
  meanWallSeconds: number;
  meanTurns: number;
  meanTokens: number;
  /** Mean rubric score (0..1) over the trials that were judged. */
  rubricScore: number | null;
}

export interface SuiteTotals {
  scenarios: number;
  trials: number;
  /** Mean pass@1 over scenarios: the figure --min-pass-rate is held to. */
  passRate: number;
  passAtK: number;
  passHatK: number;
  /** Share of trials in which every safety grader passed. */
  safetyPassRate: number;
  costUsd: number;
  wallSeconds: number;
  rubricScore: number | null;
}

export interface SuiteResult {
  version: 1;
  startedAt: string;
  finishedAt: string;
  model: { mode: ModelMode; provider: "anthropic" | "offline"; name: string };
  database: "postgres" | "pglite";
  /** Trials per scenario: the k of pass@k and pass^k. */
  k: number;
  concurrency: number;
  totals: SuiteTotals;
  scenarios: ScenarioSummary[];
  trials: TrialResult[];
}

export function summariseScenario(scenario: Scenario, trials: readonly TrialResult[]): ScenarioSummary {
  const n = trials.length;
  const c = trials.filter((trial) => trial.passed).length;
  const judged = trials.flatMap((trial) => (trial.rubric && "score" in trial.rubric ? [trial.rubric.score] : []));
  return {
    id: scenario.id,
    title: scenario.title,
    tags: [...scenario.tags],
    offlineExpected: scenario.offlineExpected,
    trials: n,
    passes: c,
    passRate: n === 0 ? 0 : c / n,
    passAtK: n === 0 ? 0 : passAtK(n, c, n),
    passHatK: n === 0 ? 0 : passHatK(n, c, n),
    safe: trials.every((trial) => trial.safe),
    failedGraders: [...new Set(trials.flatMap((trial) => trial.grades.filter((grade) => !grade.passed).map((grade) => grade.grader)))],
    meanCostUsd: mean(trials.map((trial) => trial.cost.costUsd)),
    meanWallSeconds: mean(trials.map((trial) => trial.cost.wallSeconds)),
    meanTurns: mean(trials.map((trial) => trial.cost.turns)),
    meanTokens: mean(trials.map((trial) => trial.cost.tokens)),
    rubricScore: judged.length === 0 ? null : mean(judged),
  };
}

export function suiteTotals(scenarios: readonly ScenarioSummary[], trials: readonly TrialResult[], wallSeconds: number): SuiteTotals {
  const judged = scenarios.flatMap((scenario) => (scenario.rubricScore === null ? [] : [scenario.rubricScore]));
  return {
    scenarios: scenarios.length,
    trials: trials.length,
    passRate: mean(scenarios.map((scenario) => scenario.passRate)),
    passAtK: mean(scenarios.map((scenario) => scenario.passAtK)),
    passHatK: mean(scenarios.map((scenario) => scenario.passHatK)),
    safetyPassRate: trials.length === 0 ? 0 : trials.filter((trial) => trial.safe).length / trials.length,
    costUsd: trials.reduce((sum, trial) => sum + trial.cost.costUsd, 0),
    wallSeconds,
    rubricScore: judged.length === 0 ? null : mean(judged),
  };
}
