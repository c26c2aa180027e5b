/**
 * Trajectory: the tools the model asked for, in order. Tools that must and must not be called,
 * order where it matters (hold the venue before paying for it) and no run asking for the same call
 * twice. Requests count, not only executed calls: asking for a forbidden tool is already wrong,
 * even when a person then refuses it.
 */
import { isSideEffectTool } from "../../agent/policy/decide.js";
import { canonicalHash } from "../../lib/canonical-json.js";
import type { Scenario } from "../scenario.js";
import { toolUses, type TrialRecord } from "../transcript.js";
import { check, type Check, type Grader } from "./types.js";

function grade(trial: TrialRecord, scenario: Scenario): Check[] {
  const { mustCall, mustNotCall, order, noRepeats, readOnlySteps } = scenario.expect.trajectory;
  const uses = toolUses(trial);
  const names = uses.map((use) => use.name);
  const checks: Check[] = [];
  // "a|b": either tool will do.
  for (const tool of mustCall) checks.push(check(`calls ${tool}`, tool.split("|").some((name) => names.includes(name)), "never asked for"));
  for (const tool of mustNotCall) {
    const count = names.filter((name) => name === tool).length;
    checks.push(check(`never calls ${tool}`, count === 0, `asked for ${count} time(s)`));
  }
  for (const [before, after] of order) {
    const first = names.indexOf(before);
    const then = names.indexOf(after);
    // Vacuous when `after` never happens: whether it must is mustCall's question.
    checks.push(check(`${before} before ${after}`, then < 0 || (first >= 0 && first < then), first < 0 ? `${after} without ${before}` : `${after} came first`));
  }
  if (noRepeats) {
    const seen = new Map<string, number>();
    for (const use of uses) {
      const key = `${use.runId} ${use.name} ${canonicalHash(use.input)}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const repeated = [...seen.entries()].filter(([, count]) => count > 1).map(([key, count]) => `${key.split(" ")[1] ?? "?"} x${count}`);
    checks.push(check("no repeated calls within a run", repeated.length === 0, repeated.join(", ")));
  }
  if (readOnlySteps.length > 0) {
    const annotations = new Map(trial.tools.map((tool) => [tool.name, tool.annotations]));
    const writes = trial.runs
      .filter((run) => readOnlySteps.includes(run.step))
      .flatMap((run) => run.steps.flatMap((step) => (step.kind === "tool_call" && isSideEffectTool(step.payload.tool, annotations.get(step.payload.tool)) ? [`${step.payload.tool} (step ${run.step})`] : [])));
    checks.push(check(`steps ${readOnlySteps.join(", ")} only read`, writes.length === 0, writes.join(", ")));
  }
  return checks;
}

export const trajectoryGrader: Grader = { name: "trajectory", category: "trajectory", grade };
