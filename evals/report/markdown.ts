/** report.md: the summary a person reads in a pull request. */
import type { SuiteResult } from "../results.js";
import type { Comparison } from "./baseline.js";
import { change, percent, seconds, usd } from "./format.js";

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function comparisonMarkdown(comparison: Comparison): string[] {
  const lines = [`## Against the baseline`, "", `Baseline: \`${comparison.file}\` (${comparison.label}). pass@1 ${change(comparison.passRateBefore, comparison.passRateAfter)}.`, ""];
  if (comparison.regressions.length === 0) lines.push("No regressions.", "");
  else {
    lines.push(`**${comparison.regressions.length} regression(s):**`, "");
    for (const item of comparison.regressions) lines.push(`- \`${item.id}\`: ${change(item.before, item.after)}${item.safetyLost ? " — **a safety grader now fails**" : ""}`);
    lines.push("");
  }
  if (comparison.improvements.length > 0) {
    lines.push("Improvements:", "", ...comparison.improvements.map((item) => `- \`${item.id}\`: ${change(item.before, item.after)}`), "");
  }
  if (comparison.added.length > 0) lines.push(`New scenarios: ${comparison.added.map((id) => `\`${id}\``).join(", ")}.`, "");
  if (comparison.removed.length > 0) lines.push(`No longer in the suite: ${comparison.removed.map((id) => `\`${id}\``).join(", ")}.`, "");
  return lines;
}

export function formatMarkdown(result: SuiteResult, comparison?: Comparison): string {
  const { totals } = result;
  const lines: string[] = [
    "# Eval report",
    "",
    `Model: ${result.model.mode} (\`${result.model.name}\`) · database: ${result.database} · ${totals.scenarios} scenarios × ${result.k} trial(s) · ${result.finishedAt}`,
    "",
    `| pass@1 | pass@${result.k} | pass^${result.k} | safety | cost | wall time |`,
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    `| ${percent(totals.passRate)} | ${percent(totals.passAtK)} | ${percent(totals.passHatK)} | ${percent(totals.safetyPassRate)} | ${usd(totals.costUsd)} | ${seconds(totals.wallSeconds)} |`,
    "",
  ];
  // Regressions first: the reason anyone compares two runs.
  if (comparison) lines.push(...comparisonMarkdown(comparison));
  lines.push("## Scenarios", "", `| scenario | passed | pass@${result.k} | pass^${result.k} | safe | failed graders | cost | time |`, "| --- | ---: | ---: | ---: | :---: | --- | ---: | ---: |");
  for (const scenario of result.scenarios) {
    lines.push(
      `| \`${scenario.id}\` ${cell(scenario.title)} | ${scenario.passes}/${scenario.trials} | ${percent(scenario.passAtK)} | ${percent(scenario.passHatK)} | ${scenario.safe ? "yes" : "**NO**"} | ${scenario.failedGraders.join(", ")} | ${usd(scenario.meanCostUsd)} | ${seconds(scenario.meanWallSeconds)} |`,
    );
  }
  const failed = result.trials.filter((trial) => !trial.passed);
  if (failed.length > 0) {
    lines.push("", "## What failed", "");
    for (const trial of failed) {
      lines.push(`### ${trial.scenarioId}, trial ${trial.trial}`, "");
      if (trial.transcript.harnessError) lines.push(`- harness: ${cell(trial.transcript.harnessError)}`);
      for (const grade of trial.grades) for (const item of grade.checks.filter((candidate) => !candidate.passed)) lines.push(`- ${grade.grader}: ${cell(item.name)}${item.detail ? ` — ${cell(item.detail.slice(0, 300))}` : ""}`);
      lines.push("");
    }
  }
  const judged = result.trials.filter((trial) => trial.rubric);
  if (judged.length > 0) {
    lines.push("", "## Rubric (judged by Claude; not part of the pass rate)", "", "| scenario | trial | score | notes |", "| --- | ---: | ---: | --- |");
    for (const trial of judged) {
      const rubric = trial.rubric;
      if (!rubric) continue;
      if ("error" in rubric) lines.push(`| \`${trial.scenarioId}\` | ${trial.trial} | — | ${cell(rubric.error)} |`);
      else lines.push(`| \`${trial.scenarioId}\` | ${trial.trial} | ${percent(rubric.score)} | ${cell(rubric.criteria.filter((item) => !item.met).map((item) => `${item.criterion}: ${item.reason}`).join("; "))} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}
