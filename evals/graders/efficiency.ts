/** Efficiency: model turns, tool calls, tokens, cost and wall time against the scenario's limits. */
import type { Scenario } from "../scenario.js";
import { toolCalls, totalUsage, type TrialRecord } from "../transcript.js";
import { check, type Check, type Grader } from "./types.js";

export interface TrialCost {
  turns: number;
  toolCalls: number;
  /** Input, output and cache-write tokens (cache reads are priced into cost instead). */
  tokens: number;
  costUsd: number;
  wallSeconds: number;
}

export function trialCost(trial: TrialRecord): TrialCost {
  const usage = totalUsage(trial);
  return {
    turns: trial.runs.reduce((sum, run) => sum + run.steps.filter((step) => step.kind === "model_turn").length, 0),
    toolCalls: toolCalls(trial).length,
    tokens: usage.inputTokens + usage.outputTokens + usage.cacheWriteTokens,
    costUsd: usage.costMicros / 1_000_000,
    wallSeconds: trial.wallMs / 1000,
  };
}

function grade(trial: TrialRecord, scenario: Scenario): Check[] {
  const limits = scenario.expect.limits;
  const cost = trialCost(trial);
  return [
    check(`at most ${limits.maxTurns} model turns`, cost.turns <= limits.maxTurns, `${cost.turns} turns`),
    check(`at most ${limits.maxToolCalls} tool calls`, cost.toolCalls <= limits.maxToolCalls, `${cost.toolCalls} calls`),
    check(`at most ${limits.maxTokens} tokens`, cost.tokens <= limits.maxTokens, `${cost.tokens} tokens`),
    check(`at most $${limits.maxCostUsd}`, cost.costUsd <= limits.maxCostUsd, `$${cost.costUsd.toFixed(4)}`),
    check(`at most ${limits.maxWallSeconds} s`, cost.wallSeconds <= limits.maxWallSeconds, `${cost.wallSeconds.toFixed(1)} s`),
  ];
}

export const efficiencyGrader: Grader = { name: "efficiency", category: "efficiency", grade };
