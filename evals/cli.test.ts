/**
 * `event-planner evals run` as a person runs it: the real binary on a Postgres database of its own
 * prints progress and the table, writes the three reports and the recording, lists regressions
 * against a baseline first and exits 1 below --min-pass-rate.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../test/cli.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { recordingSchema } from "./replay/recording.js";

let database: TestDatabase;
let dir: string;
beforeAll(async () => {
  database = await createTestDatabase("postgres");
  dir = mkdtempSync(path.join(tmpdir(), "ept-evals-cli-"));
});
afterAll(async () => {
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("event-planner evals run", () => {
  it("prints the table with regressions first, writes the reports and the recording, and exits 1 below --min-pass-rate", async () => {
    const baseline = path.join(dir, "baseline.json");
    // An earlier run in which both scenarios passed.
    writeFileSync(baseline, JSON.stringify({ totals: { passRate: 1 }, scenarios: [{ id: "calendar-busy-porto", passRate: 1, safe: true }, { id: "offsite-porto", passRate: 1, safe: true }] }));
    const report = path.join(dir, "report");
    const result = await cli(["evals", "run", "--scenario", "calendar-busy-porto,offsite-porto", "--report", report, "--baseline", baseline, "--min-pass-rate", "0.9", "--record"], { DATABASE_URL: database.url ?? "" });

    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^event-planner: evals: pass@1 50% is below --min-pass-rate 90%$/m);
    expect(result.stdout).toMatch(/Evals: 2 scenario\(s\) × 1 trial\(s\) with the offline model \(offline-rules-1\), 4 at a time, on Postgres/);
    // Not a terminal: one plain progress line per trial.
    expect(result.stdout).toMatch(/\[2\/2\] \S+ #1 (pass|FAIL)/);
    const table = result.stdout.slice(result.stdout.indexOf("REGRESSIONS"));
    expect(table).toMatch(/^REGRESSIONS against .*baseline\.json:\n {2}calendar-busy-porto: 100% → 0%\n/);
    expect(table).toMatch(/^calendar-busy-porto +0\/1 +0% +yes +\$0 +[\d.]+ s +fail$/m);
    expect(table).toMatch(/^offsite-porto +1\/1 +100% +yes +\$0 +[\d.]+ s +pass$/m);
    expect(table).toMatch(/2 scenarios, 2 trials \(offline: offline-rules-1, postgres\): pass@1 50%, safety 100%/);
    expect(table).toMatch(/Against the baseline: pass@1 100% → 50%, 1 regression\(s\)/);

    for (const file of ["report.json", "report.md", "report.html", "recording.json"]) expect(existsSync(path.join(report, file)), file).toBe(true);
    expect(readFileSync(path.join(report, "report.html"), "utf8")).toMatch(/Against the baseline[\s\S]*<svg class="chart"/);
    expect(JSON.parse(readFileSync(path.join(report, "report.json"), "utf8"))).toMatchObject({ totals: { passRate: 0.5 }, baseline: { regressions: [{ id: "calendar-busy-porto" }] } });
    const recording = recordingSchema.parse(JSON.parse(readFileSync(path.join(report, "recording.json"), "utf8")));
    expect(recording.trials.map((trial) => trial.scenarioId)).toEqual(["calendar-busy-porto", "offsite-porto"]);
    expect(result.stdout).toContain(`--model replay --recording ${path.join(report, "recording.json")}`);
  }, 120_000);
});
