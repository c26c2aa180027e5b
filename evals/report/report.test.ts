import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { trialCost } from "../graders/efficiency.js";
import { gradeTrial } from "../graders/index.js";
import { createProgress } from "../progress.js";
import { summariseScenario, suiteTotals, type SuiteResult, type TrialResult } from "../results.js";
import { cleanTrial, scenario } from "../testing/synthetic.js";
import { compareWithBaseline, loadBaseline } from "./baseline.js";
import { barChart, formatHtml } from "./html.js";
import { formatMarkdown } from "./markdown.js";
import { formatTable } from "./table.js";
import { writeReports } from "./write.js";

const dir = mkdtempSync(path.join(tmpdir(), "ept-evals-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two scenarios of two trials: "good" passes both, "flaky" passes one, and one of its trials is unsafe. */
function suite(): SuiteResult {
  const good = scenario({}, { id: "good", title: "Good" });
  const flaky = scenario({ event: { city: "Porto" } }, { id: "flaky", title: "Flaky <script>alert(1)</script>" });
  const trial = (id: string, number: number, change?: (record: ReturnType<typeof cleanTrial>) => void): TrialResult => {
    const transcript = { ...cleanTrial(), scenarioId: id, trial: number };
    change?.(transcript);
    const grade = gradeTrial(transcript, id === "good" ? good : flaky);
    return { scenarioId: id, trial: number, passed: grade.passed, safe: grade.safe, grades: grade.results, cost: trialCost(transcript), transcript };
  };
  const trials = [
    trial("good", 1),
    trial("good", 2),
    trial("flaky", 1),
    trial("flaky", 2, (record) => {
      record.approvals[0]!.status = "rejected";
      record.events[0]!.city = "Lisbon";
    }),
  ];
  const scenarios = [summariseScenario(good, trials.slice(0, 2)), summariseScenario(flaky, trials.slice(2))];
  return {
    version: 1,
    startedAt: "2026-11-24T10:00:00.000Z",
    finishedAt: "2026-11-24T10:01:00.000Z",
    model: { mode: "offline", provider: "offline", name: "offline-rules-1" },
    database: "postgres",
    k: 2,
    concurrency: 4,
    totals: suiteTotals(scenarios, trials, 60),
    scenarios,
    trials,
  };
}

describe("suite summaries", () => {
  it("counts pass@1, pass@k, pass^k and safety per scenario and over the suite", () => {
    const result = suite();
    expect(result.scenarios.map(({ id, passes, passRate, passAtK, passHatK, safe }) => ({ id, passes, passRate, passAtK, passHatK, safe }))).toEqual([
      { id: "good", passes: 2, passRate: 1, passAtK: 1, passHatK: 1, safe: true },
      { id: "flaky", passes: 1, passRate: 0.5, passAtK: 1, passHatK: 0, safe: false },
    ]);
    expect(result.scenarios[1]!.failedGraders).toEqual(["final_state", "safety.approval_gate", "safety.approval_binding"]);
    expect(result.totals).toMatchObject({ scenarios: 2, trials: 4, passRate: 0.75, passAtK: 1, passHatK: 0.5, safetyPassRate: 0.75 });
  });
});

describe("baseline comparison", () => {
  it("lists regressions first, safety ones before the rest, and improvements, new and removed scenarios", async () => {
    const current = suite();
    const file = path.join(dir, "baseline.json");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(file, JSON.stringify({ finishedAt: "2026-11-01T00:00:00Z", model: { mode: "anthropic", name: "claude-sonnet-4-6" }, totals: { passRate: 0.9 }, scenarios: [{ id: "flaky", passRate: 1, safe: true }, { id: "good", passRate: 0.5, safe: true }, { id: "gone", passRate: 1, safe: true }] }));
    const comparison = compareWithBaseline(current, await loadBaseline(file), file);
    expect(comparison).toMatchObject({
      regressions: [{ id: "flaky", before: 1, after: 0.5, safetyLost: true }],
      improvements: [{ id: "good", before: 0.5, after: 1 }],
      added: [],
      removed: ["gone"],
      passRateBefore: 0.9,
      passRateAfter: 0.75,
    });
    const table = formatTable(current, comparison);
    expect(table.indexOf("REGRESSIONS")).toBe(0);
    expect(table).toMatch(/flaky: 100% → 50% \(a safety grader now fails\)/);
    const markdown = formatMarkdown(current, comparison);
    expect(markdown.indexOf("Against the baseline")).toBeLessThan(markdown.indexOf("## Scenarios"));
    const html = formatHtml(current, comparison);
    expect(html.indexOf("Against the baseline")).toBeLessThan(html.indexOf("pass@1 per scenario"));
    await expect(loadBaseline(path.join(dir, "missing.json"))).rejects.toMatchObject({ code: "validation_failed" });
  });
});

describe("reports", () => {
  it("prints a table with pass@k and pass^k columns when trials repeat, and marks offline surprises", () => {
    const table = formatTable(suite());
    expect(table).toMatch(/scenario +passed +pass@1 +pass@2 +pass\^2 +safe +cost +time +offline expected/);
    expect(table).toMatch(/flaky +1\/2 +50% +100% +0% +NO .*pass {2}\(!\)/);
    expect(table).toMatch(/2 scenarios, 4 trials .*pass@1 75%, pass@2 100%, pass\^2 50%, safety 75%/);
  });

  it("writes a self-contained HTML page with the charts, grader results and transcripts, escaping what it shows", async () => {
    const files = await writeReports(path.join(dir, "run"), suite());
    const html = readFileSync(files.html, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3)/i);
    expect(html).toContain("Flaky &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html.match(/<svg class="chart"/g)).toHaveLength(2);
    expect(html).toContain("pass@1 per scenario");
    expect(html).toContain("mean cost per trial (USD)");
    expect(html).toContain("safety.approval_binding");
    expect(html).toContain("stripe__pay_vendor_deposit");
    expect(JSON.parse(readFileSync(files.json, "utf8"))).toMatchObject({ version: 1, totals: { trials: 4 } });
    expect(readFileSync(files.markdown, "utf8")).toMatch(/## What failed\n\n### flaky, trial 2/);
  });

  it("draws bars in proportion to their values", () => {
    const svg = barChart("t", [{ label: "a", value: 1, text: "100%", colour: "#000" }, { label: "b", value: 0.5, text: "50%", colour: "#000" }], 1);
    const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((match) => Number(match[1]));
    expect(widths[1]! * 2).toBeCloseTo(widths[0]!);
  });
});

describe("progress", () => {
  const result = suite().trials[3]!;

  it("redraws one bar in a terminal", () => {
    const written: string[] = [];
    const progress = createProgress({ isTTY: true, columns: 80, write: (text) => written.push(text) });
    progress.onProgress({ type: "started", total: 2 });
    progress.onProgress({ type: "trial_finished", done: 1, total: 2, result });
    progress.done();
    expect(written[1]).toMatch(/^\r\[#{14}-{14}\] 1\/2, 1 failed {2}flaky #2 FAIL \(unsafe\)/);
    expect(written.at(-1)).toBe("\n");
  });

  it("writes one plain line per trial otherwise", () => {
    const written: string[] = [];
    const progress = createProgress({ isTTY: false, write: (text) => written.push(text) });
    progress.onProgress({ type: "started", total: 2 });
    progress.onProgress({ type: "trial_finished", done: 1, total: 2, result });
    progress.done();
    expect(written).toEqual(["Running 2 trial(s)\n", "[1/2] flaky #2 FAIL (unsafe) (1.2 s)\n"]);
  });
});
