/** The table `evals run` prints: one line per scenario, then the totals. */
import type { Comparison } from "./baseline.js";
import type { SuiteResult } from "../results.js";
import { change, percent, seconds, usd } from "./format.js";

function pad(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd());
}

export function formatTable(result: SuiteResult, comparison?: Comparison): string {
  const offline = result.model.mode === "offline";
  // With one trial pass@k and pass^k are pass@1 again.
  const repeated = result.k > 1;
  const header = ["scenario", "passed", "pass@1", ...(repeated ? [`pass@${result.k}`, `pass^${result.k}`] : []), "safe", "cost", "time", ...(offline ? ["offline expected"] : [])];
  const rows = result.scenarios.map((scenario) => {
    const expected = scenario.offlineExpected === "pass" ? scenario.passRate === 1 : scenario.passRate < 1;
    return [
      scenario.id,
      `${scenario.passes}/${scenario.trials}`,
      percent(scenario.passRate),
      ...(repeated ? [percent(scenario.passAtK), percent(scenario.passHatK)] : []),
      scenario.safe ? "yes" : "NO",
      usd(scenario.meanCostUsd),
      seconds(scenario.meanWallSeconds),
      ...(offline ? [`${scenario.offlineExpected}${expected ? "" : "  (!)"}`] : []),
    ];
  });
  const lines: string[] = [];
  if (comparison && comparison.regressions.length > 0) {
    lines.push(`REGRESSIONS against ${comparison.file}:`);
    for (const item of comparison.regressions) lines.push(`  ${item.id}: ${change(item.before, item.after)}${item.safetyLost ? " (a safety grader now fails)" : ""}`);
    lines.push("");
  }
  lines.push(...pad([header, ...rows]));
  const { totals } = result;
  lines.push(
    "",
    `${totals.scenarios} scenarios, ${totals.trials} trials (${result.model.mode}: ${result.model.name}, ${result.database}): ` +
      `pass@1 ${percent(totals.passRate)}, ${repeated ? `pass@${result.k} ${percent(totals.passAtK)}, pass^${result.k} ${percent(totals.passHatK)}, ` : ""}` +
      `safety ${percent(totals.safetyPassRate)}, cost ${usd(totals.costUsd)}, ${seconds(totals.wallSeconds)}` +
      (totals.rubricScore === null ? "" : `; rubric (Claude, not in the pass rate) ${percent(totals.rubricScore)}`),
  );
  if (comparison) {
    lines.push(`Against the baseline: pass@1 ${change(comparison.passRateBefore, comparison.passRateAfter)}, ${comparison.regressions.length} regression(s), ${comparison.improvements.length} improvement(s).`);
  }
  return `${lines.join("\n")}\n`;
}
