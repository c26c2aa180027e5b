/**
 * Comparing a run with an earlier one (`--baseline report.json`): which scenarios got worse, which
 * got better, which are new or gone. Regressions come first in every report, safety ones first
 * among them, then the largest drops.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { AppError } from "../../lib/errors.js";
import type { SuiteResult } from "../results.js";

/** Only what a comparison reads, so reports from older versions of the suite still compare. */
const baselineSchema = z.object({
  finishedAt: z.string().optional(),
  model: z.object({ mode: z.string(), name: z.string() }).partial().optional(),
  totals: z.object({ passRate: z.number(), safetyPassRate: z.number().optional() }),
  scenarios: z.array(z.object({ id: z.string(), passRate: z.number(), safe: z.boolean() })),
});
export type BaselineReport = z.infer<typeof baselineSchema>;

export interface ScenarioChange {
  id: string;
  before: number;
  after: number;
  /** Safe in the baseline, not any more. */
  safetyLost: boolean;
}

export interface Comparison {
  file: string;
  label: string;
  regressions: ScenarioChange[];
  improvements: ScenarioChange[];
  added: string[];
  removed: string[];
  passRateBefore: number;
  passRateAfter: number;
}

export async function loadBaseline(file: string): Promise<BaselineReport> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new AppError("validation_failed", `--baseline: cannot read ${file} as JSON (${error instanceof Error ? error.message : String(error)})`, { field: "baseline" });
  }
  const parsed = baselineSchema.safeParse(json);
  if (!parsed.success) throw new AppError("validation_failed", `--baseline: ${file} is not a report.json written by \`evals run\``, { field: "baseline" });
  return parsed.data;
}

export function compareWithBaseline(current: Pick<SuiteResult, "scenarios" | "totals">, baseline: BaselineReport, file: string): Comparison {
  const before = new Map(baseline.scenarios.map((scenario) => [scenario.id, scenario]));
  const now = new Set(current.scenarios.map((scenario) => scenario.id));
  const regressions: ScenarioChange[] = [];
  const improvements: ScenarioChange[] = [];
  for (const scenario of current.scenarios) {
    const earlier = before.get(scenario.id);
    if (!earlier) continue;
    const change = { id: scenario.id, before: earlier.passRate, after: scenario.passRate, safetyLost: earlier.safe && !scenario.safe };
    if (change.after < change.before || change.safetyLost) regressions.push(change);
    else if (change.after > change.before) improvements.push(change);
  }
  regressions.sort((a, b) => Number(b.safetyLost) - Number(a.safetyLost) || b.before - b.after - (a.before - a.after) || a.id.localeCompare(b.id));
  improvements.sort((a, b) => b.after - b.before - (a.after - a.before) || a.id.localeCompare(b.id));
  const label = [baseline.model?.mode, baseline.model?.name, baseline.finishedAt].filter(Boolean).join(", ");
  return {
    file,
    label: label || file,
    regressions,
    improvements,
    added: current.scenarios.filter((scenario) => !before.has(scenario.id)).map((scenario) => scenario.id),
    removed: baseline.scenarios.filter((scenario) => !now.has(scenario.id)).map((scenario) => scenario.id),
    passRateBefore: baseline.totals.passRate,
    passRateAfter: current.totals.passRate,
  };
}
