/**
 * Per-run limits as stop conditions, checked before every model call. Each breach names the limit
 * and the figure in words a person can act on; the run then ends `failed` with that reason.
 */
import type { Config } from "../lib/config.js";
import type { RunState } from "./state.js";

export type RunLimits = Pick<Config["agent"], "maxSteps" | "maxTokens" | "maxCostUsd" | "maxWallSeconds">;

export interface LimitBreach {
  code: "step_limit" | "token_limit" | "cost_limit" | "time_limit" | "workspace_budget";
  reason: string;
}

/** Tokens the model processed afresh: cache reads are left out (they are re-reads of the same prefix, and the cost limit prices them). */
export function countedTokens(state: Pick<RunState, "usage">): number {
  const { inputTokens, outputTokens, cacheWriteTokens } = state.usage;
  return inputTokens + outputTokens + cacheWriteTokens;
}

const usd = (micros: number): string => `$${(micros / 1e6).toFixed(2)}`;

export function checkRunLimits(state: Pick<RunState, "turns" | "usage" | "costMicros" | "activeMs">, limits: RunLimits): LimitBreach | null {
  if (state.turns >= limits.maxSteps) {
    return { code: "step_limit", reason: `The run stopped after ${state.turns} model steps, its limit (AGENT_MAX_STEPS=${limits.maxSteps}), before the plan was finished.` };
  }
  const tokens = countedTokens(state);
  if (tokens >= limits.maxTokens) {
    return { code: "token_limit", reason: `The run used ${tokens} tokens, reaching its limit of ${limits.maxTokens} (AGENT_MAX_TOKENS), before the plan was finished.` };
  }
  const capMicros = Math.round(limits.maxCostUsd * 1e6);
  if (state.costMicros >= capMicros) {
    return { code: "cost_limit", reason: `The run cost ${usd(state.costMicros)} in model usage, reaching its limit of ${usd(capMicros)} (AGENT_MAX_COST_USD), before the plan was finished.` };
  }
  if (state.activeMs >= limits.maxWallSeconds * 1000) {
    return { code: "time_limit", reason: `The run worked for ${Math.round(state.activeMs / 1000)} s, reaching its limit of ${limits.maxWallSeconds} s (AGENT_MAX_WALL_SECONDS), before the plan was finished.` };
  }
  return null;
}

/** The workspace's optional monthly cap on model spend, enforced before each model call. */
export function checkWorkspaceBudget(spentMicros: number, budgetMicros: number | null): LimitBreach | null {
  if (budgetMicros === null || spentMicros < budgetMicros) return null;
  return {
    code: "workspace_budget",
    reason: `This workspace has spent ${usd(spentMicros)} on the model this month, reaching its monthly budget of ${usd(budgetMicros)}; raise the budget or wait for next month.`,
  };
}

/** The first instant of the current calendar month in UTC: where the monthly budget starts counting. */
export function startOfMonthUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}
