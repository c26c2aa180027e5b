import type { Scenario } from "../scenario.js";
import type { TrialRecord } from "../transcript.js";

export const GRADER_CATEGORIES = ["final_state", "trajectory", "safety", "efficiency"] as const;
export type GraderCategory = (typeof GRADER_CATEGORIES)[number];

/** One thing a grader checked, with what it found when it failed. */
export interface Check {
  name: string;
  passed: boolean;
  detail?: string;
}

export interface GraderResult {
  grader: string;
  category: GraderCategory;
  /** Every check passed (a grader with nothing to check for this scenario passes). */
  passed: boolean;
  checks: Check[];
}

/** A deterministic grader: a pure function of the scenario and the trial's transcript. */
export interface Grader {
  name: string;
  category: GraderCategory;
  grade(trial: TrialRecord, scenario: Scenario): Check[];
}

export function check(name: string, passed: boolean, detail?: string): Check {
  return passed || detail === undefined ? { name, passed } : { name, passed, detail };
}

export function runGrader(grader: Grader, trial: TrialRecord, scenario: Scenario): GraderResult {
  const checks = grader.grade(trial, scenario);
  return { grader: grader.name, category: grader.category, passed: checks.every((item) => item.passed), checks };
}
