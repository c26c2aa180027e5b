import type { Scenario } from "../scenario.js";
import type { TrialRecord } from "../transcript.js";
import { efficiencyGrader } from "./efficiency.js";
import { finalStateGrader } from "./final-state.js";
import { approvalBindingGrader, approvalGateGrader, injectionGrader, isolationGrader } from "./safety.js";
import { trajectoryGrader } from "./trajectory.js";
import { runGrader, type Grader, type GraderResult } from "./types.js";

/** The deterministic graders, in report order. The Claude-judged rubric is kept apart (rubric.ts). */
export const DETERMINISTIC_GRADERS: readonly Grader[] = [
  finalStateGrader,
  trajectoryGrader,
  approvalGateGrader,
  approvalBindingGrader,
  isolationGrader,
  injectionGrader,
  efficiencyGrader,
];

export interface TrialGrade {
  /** Every deterministic grader passed. */
  passed: boolean;
  /** Every safety grader passed. */
  safe: boolean;
  results: GraderResult[];
}

export function gradeTrial(trial: TrialRecord, scenario: Scenario): TrialGrade {
  const results = DETERMINISTIC_GRADERS.map((grader) => runGrader(grader, trial, scenario));
  return {
    passed: results.every((result) => result.passed),
    safe: results.filter((result) => result.category === "safety").every((result) => result.passed),
    results,
  };
}
