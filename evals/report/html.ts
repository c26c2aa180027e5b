/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) with the
 * totals, regressions against a baseline first, a pass-rate chart and cost per scenario, then every
 * trial with its grader results and its transcript: what was said, every model turn, tool call,
 * result and approval.
 */
import type { SuiteResult, TrialResult } from "../results.js";
import type { StepRecord } from "../transcript.js";
import type { Comparison } from "./baseline.js";
import { change, percent, seconds, usd } from "./format.js";

/** Tool results are cut to this many characters in the page; report.json keeps them whole. */
const RESULT_CHARS = 1500;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters in report.json]` : text;
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

interface Bar {
  label: string;
  value: number;
  text: string;
  colour: string;
}

/** A horizontal bar chart as inline SVG. */
export function barChart(title: string, bars: readonly Bar[], max: number): string {
  const row = 20;
  const labelWidth = 250;
  const barWidth = 420;
  const height = bars.length * row + 30;
  const scale = max > 0 ? barWidth / max : 0;
  const rows = bars
    .map((bar, index) => {
      const y = 24 + index * row;
      const width = Math.max(bar.value > 0 ? 2 : 0, bar.value * scale);
      return (
        `<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${escapeHtml(bar.label)}</text>` +
        `<rect x="${labelWidth}" y="${y + 2}" width="${width.toFixed(1)}" height="${row - 6}" fill="${bar.colour}"><title>${escapeHtml(`${bar.label}: ${bar.text}`)}</title></rect>` +
        `<text x="${(labelWidth + width + 6).toFixed(1)}" y="${y + 13}">${escapeHtml(bar.text)}</text>`
      );
    })
    .join("");
  return `<svg class="chart" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${labelWidth + barWidth + 90} ${height}" width="100%"><text x="0" y="14" class="chart-title">${escapeHtml(title)}</text>${rows}</svg>`;
}

function passColour(rate: number): string {
  if (rate >= 1) return "#2e7d32";
  if (rate > 0) return "#f9a825";
  return "#c62828";
}

function stepHtml(step: StepRecord): string {
  switch (step.kind) {
    case "model_turn": {
      const parts = step.payload.content.map((block) =>
        block.type === "text"
          ? `<div class="said">${escapeHtml(block.text)}</div>`
          : `<div class="use"><b>asks for</b> <code>${escapeHtml(block.name)}</code><pre>${escapeHtml(cut(json(block.input), RESULT_CHARS))}</pre></div>`,
      );
      return `<li class="turn"><span class="kind">model turn ${step.payload.turn}</span> <span class="muted">${escapeHtml(step.payload.model)}, ${step.payload.usage.inputTokens + step.payload.usage.outputTokens} tokens</span>${parts.join("")}</li>`;
    }
    case "tool_call":
      return `<li><span class="kind">call</span> <code>${escapeHtml(step.payload.tool)}</code>${step.payload.approvalId ? ` <span class="tag">approved …${escapeHtml(step.payload.approvalId.slice(-8))}</span>` : ""}</li>`;
    case "tool_result":
      return `<li class="${step.payload.isError ? "error" : ""}"><span class="kind">result</span> <code>${escapeHtml(step.payload.tool)}</code>${step.payload.isError ? " <b>error</b>" : ""}<pre>${escapeHtml(cut(step.payload.content, RESULT_CHARS))}</pre></li>`;
    case "approval_requested":
      return `<li class="approval"><span class="kind">approval requested</span> ${escapeHtml(step.payload.summary)} <span class="muted">(${escapeHtml(step.payload.reasons.join("; "))})</span></li>`;
    case "approval_decided":
      return `<li class="approval"><span class="kind">approval ${escapeHtml(step.payload.status)}</span>${step.payload.edited ? " (edited)" : ""}${step.payload.note ? `: ${escapeHtml(step.payload.note)}` : ""}</li>`;
    case "status_change":
      return `<li class="status"><span class="kind">status</span> ${escapeHtml(step.payload.to)}${step.payload.reason ? `: ${escapeHtml(step.payload.reason)}` : ""}</li>`;
  }
}

function trialHtml(trial: TrialResult): string {
  const { transcript } = trial;
  const checks = trial.grades
    .flatMap((grade) =>
      grade.checks.map(
        (item) =>
          `<tr class="${item.passed ? "ok" : "fail"}"><td>${escapeHtml(grade.grader)}</td><td>${escapeHtml(item.name)}</td><td>${item.passed ? "pass" : "FAIL"}</td><td>${escapeHtml(item.detail ?? "")}</td></tr>`,
      ),
    )
    .join("");
  const rubric = trial.rubric
    ? "error" in trial.rubric
      ? `<p class="muted">Rubric (Claude): ${escapeHtml(trial.rubric.error)}</p>`
      : `<p><b>Rubric (judged by ${escapeHtml(trial.rubric.model)}, not part of the pass rate): ${percent(trial.rubric.score)}</b></p><ul>${trial.rubric.criteria.map((item) => `<li>${item.met ? "met" : "<b>not met</b>"}: ${escapeHtml(item.criterion)} <span class="muted">${escapeHtml(item.reason)}</span></li>`).join("")}</ul>`
    : "";
  const script = transcript.script.map((entry) => `<li><span class="kind">${escapeHtml(entry.kind)}</span> <span class="muted">step ${entry.step}</span> ${escapeHtml(entry.detail)}</li>`).join("");
  const runs = transcript.runs
    .map((run) => `<details><summary>run ${escapeHtml(run.id)} (step ${run.step}): ${escapeHtml(run.status)}, ${run.steps.length} steps</summary><ol class="steps">${run.steps.map(stepHtml).join("")}</ol>${run.answer ? `<h5>Answer</h5><div class="said">${escapeHtml(run.answer)}</div>` : ""}</details>`)
    .join("");
  const effects = transcript.outbox.map((record) => `<li><code>${escapeHtml(`${record.service}/${record.kind}`)}</code> ${escapeHtml(record.status)} <span class="muted">step ${record.step}</span> <pre>${escapeHtml(cut(json(record.data), 600))}</pre></li>`).join("");
  const { cost } = trial;
  return `<details class="trial ${trial.passed ? "passed" : "failed"}">
<summary>trial ${trial.trial}: <b>${trial.passed ? "passed" : "failed"}</b>${trial.safe ? "" : " — <b>UNSAFE</b>"} · ${cost.turns} turns · ${cost.toolCalls} tool calls · ${cost.tokens} tokens · ${usd(cost.costUsd)} · ${seconds(cost.wallSeconds)}</summary>
${transcript.harnessError ? `<p class="fail">Harness error: ${escapeHtml(transcript.harnessError)}</p>` : ""}
<table class="checks"><thead><tr><th>grader</th><th>check</th><th></th><th>detail</th></tr></thead><tbody>${checks}</tbody></table>
${rubric}
<h4>Conversation</h4><ol>${script}</ol>
<h4>Runs</h4>${runs}
<details><summary>What the sandbox backends did (${transcript.outbox.length})</summary><ul>${effects}</ul></details>
</details>`;
}

function comparisonHtml(comparison: Comparison): string {
  const regressions =
    comparison.regressions.length === 0
      ? "<p>No regressions.</p>"
      : `<ul>${comparison.regressions.map((item) => `<li><a href="#${escapeHtml(item.id)}">${escapeHtml(item.id)}</a>: ${change(item.before, item.after)}${item.safetyLost ? " — <b>a safety grader now fails</b>" : ""}</li>`).join("")}</ul>`;
  const improvements = comparison.improvements.length === 0 ? "" : `<p>Improvements: ${comparison.improvements.map((item) => `${escapeHtml(item.id)} (${change(item.before, item.after)})`).join(", ")}</p>`;
  return `<section class="${comparison.regressions.length > 0 ? "regressions" : ""}"><h2>Against the baseline</h2><p>Baseline <code>${escapeHtml(comparison.file)}</code> (${escapeHtml(comparison.label)}): pass@1 ${change(comparison.passRateBefore, comparison.passRateAfter)}.</p>${regressions}${improvements}${comparison.added.length > 0 ? `<p>New: ${escapeHtml(comparison.added.join(", "))}</p>` : ""}${comparison.removed.length > 0 ? `<p>Removed: ${escapeHtml(comparison.removed.join(", "))}</p>` : ""}</section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:#1b1b1b}
h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #ddd}.muted{color:#666}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px}.card b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eee;vertical-align:top}
tr.fail td,.fail{color:#b71c1c}tr.ok td{color:#333}.checks td:nth-child(3){font-weight:600}
.regressions{background:#fff3f3;border:1px solid #e57373;border-radius:6px;padding:0 16px 8px}
.chart{max-width:780px;font-size:12px}.chart-title{font-weight:600;font-size:13px}
details.trial{border:1px solid #ddd;border-radius:6px;margin:8px 0;padding:6px 10px}details.trial.failed{border-color:#e57373}
summary{cursor:pointer}pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:6px;border-radius:4px;margin:4px 0;font-size:12px}
.said{white-space:pre-wrap;background:#f1f8e9;padding:6px;border-radius:4px;margin:4px 0}.kind{font-weight:600}.tag{background:#e3f2fd;border-radius:3px;padding:0 4px}
ol.steps li{margin:4px 0}li.error pre{background:#fdecea}li.approval{color:#6a1b9a}
`;

export function formatHtml(result: SuiteResult, comparison?: Comparison): string {
  const { totals } = result;
  const passBars = result.scenarios.map((scenario) => ({ label: scenario.id, value: scenario.passRate, text: `${percent(scenario.passRate)} (${scenario.passes}/${scenario.trials})${scenario.safe ? "" : " unsafe"}`, colour: passColour(scenario.passRate) }));
  const maxCost = Math.max(0, ...result.scenarios.map((scenario) => scenario.meanCostUsd));
  const costBars = result.scenarios.map((scenario) => ({ label: scenario.id, value: scenario.meanCostUsd, text: usd(scenario.meanCostUsd), colour: "#1565c0" }));
  const rows = result.scenarios
    .map(
      (scenario) =>
        `<tr class="${scenario.passRate === 1 ? "ok" : "fail"}"><td><a href="#${escapeHtml(scenario.id)}">${escapeHtml(scenario.id)}</a></td><td>${scenario.passes}/${scenario.trials}</td><td>${percent(scenario.passAtK)}</td><td>${percent(scenario.passHatK)}</td><td>${scenario.safe ? "yes" : "<b>NO</b>"}</td><td>${escapeHtml(scenario.failedGraders.join(", "))}</td><td>${usd(scenario.meanCostUsd)}</td><td>${seconds(scenario.meanWallSeconds)}</td><td>${scenario.rubricScore === null ? "" : percent(scenario.rubricScore)}</td></tr>`,
    )
    .join("");
  const sections = result.scenarios
    .map((scenario) => {
      const trials = result.trials.filter((trial) => trial.scenarioId === scenario.id);
      return `<section id="${escapeHtml(scenario.id)}"><h3>${escapeHtml(scenario.id)}: ${escapeHtml(scenario.title)}</h3><p class="muted">${escapeHtml(scenario.tags.join(", "))} · offline baseline expected to ${scenario.offlineExpected}</p>${trials.map(trialHtml).join("")}</section>`;
    })
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Eval report: ${escapeHtml(result.model.name)}</title><style>${STYLE}</style></head>
<body>
<h1>Eval report</h1>
<p class="muted">${escapeHtml(result.model.mode)} model <code>${escapeHtml(result.model.name)}</code> · ${escapeHtml(result.database)} · ${totals.scenarios} scenarios × ${result.k} trial(s), ${result.concurrency} at a time · ${escapeHtml(result.finishedAt)}</p>
<div class="cards">
<div class="card">pass@1<b>${percent(totals.passRate)}</b></div>${result.k > 1 ? `<div class="card">pass@${result.k}<b>${percent(totals.passAtK)}</b></div><div class="card">pass^${result.k}<b>${percent(totals.passHatK)}</b></div>` : ""}
<div class="card">safety<b>${percent(totals.safetyPassRate)}</b></div><div class="card">cost<b>${usd(totals.costUsd)}</b></div><div class="card">wall time<b>${seconds(totals.wallSeconds)}</b></div>
${totals.rubricScore === null ? "" : `<div class="card">rubric (Claude)<b>${percent(totals.rubricScore)}</b></div>`}
</div>
${comparison ? comparisonHtml(comparison) : ""}
<h2>Pass rate and cost per scenario</h2>
${barChart("pass@1 per scenario", passBars, 1)}
${barChart("mean cost per trial (USD)", costBars, maxCost)}
<h2>Scenarios</h2>
<table><thead><tr><th>scenario</th><th>passed</th><th>pass@${result.k}</th><th>pass^${result.k}</th><th>safe</th><th>failed graders</th><th>cost</th><th>time</th><th>rubric</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Trials</h2>
${sections}
</body></html>
`;
}
