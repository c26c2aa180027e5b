import path from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { createAnthropicModel } from "../../agent/model/anthropic.js";
import { ConfigError } from "../../lib/errors.js";
import { RubricJudge } from "../../evals/graders/rubric.js";
import { loadCatalogues, loadScenarios, selectScenarios } from "../../evals/load.js";
import { createProgress } from "../../evals/progress.js";
import { compareWithBaseline, loadBaseline } from "../../evals/report/baseline.js";
import { percent } from "../../evals/report/format.js";
import { formatTable } from "../../evals/report/table.js";
import { defaultReportDir, writeReports } from "../../evals/report/write.js";
import { loadRecording, Recorder } from "../../evals/replay/recording.js";
import type { ModelMode } from "../../evals/results.js";
import { modelName, runSuite } from "../../evals/runner.js";
import { createRuntime, openDatabase } from "../runtime.js";

interface EvalsRunOptions {
  model: ModelMode;
  scenario?: string[];
  trials: number;
  concurrency?: number;
  report?: string;
  baseline?: string;
  minPassRate?: number;
  record?: string | boolean;
  recording?: string;
  judge: boolean;
  json?: boolean;
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 1000) throw new InvalidArgumentError("must be a whole number from 1 to 1000");
  return parsed;
}

/** 0.8 or 80%: the share of the suite that must pass. */
function rate(value: string): number {
  const trimmed = value.trim();
  const parsed = trimmed.endsWith("%") ? Number(trimmed.slice(0, -1)) / 100 : Number(trimmed);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) throw new InvalidArgumentError("must be a share from 0 to 1, e.g. 0.8 or 80%");
  return parsed;
}

function scenarioIds(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(",").map((id) => id.trim()).filter(Boolean)];
}

async function run(options: EvalsRunOptions): Promise<void> {
  const runtime = createRuntime();
  const { config } = runtime;
  // The suite's own logs are noise next to its table unless LOG_LEVEL asks for them.
  const logger = process.env.LOG_LEVEL ? runtime.logger : runtime.logger.child({}, { level: "warn" });
  if (options.model === "anthropic" && !config.llm.apiKey) throw new ConfigError("evals run --model anthropic needs ANTHROPIC_API_KEY");
  if (options.model === "replay" && !options.recording) throw new ConfigError("evals run --model replay needs --recording FILE (made by `evals run --record`)");
  const recording = options.model === "replay" && options.recording ? await loadRecording(options.recording) : undefined;
  const baseline = options.baseline ? await loadBaseline(options.baseline) : undefined;
  const catalogues = await loadCatalogues();
  const scenarios = selectScenarios(await loadScenarios(catalogues), options.scenario ?? []);

  const handle = await openDatabase(runtime);
  try {
    const concurrency = options.concurrency ?? (handle.driver === "postgres" ? 4 : 1);
    const { provider, name } = modelName({ mode: options.model, config, ...(recording ? { recording } : {}) });
    const recorder = options.record ? new Recorder(provider, name) : undefined;
    const judge = options.judge && config.llm.apiKey ? new RubricJudge(createAnthropicModel(config)) : undefined;
    const out = options.json ? process.stderr : process.stdout;
    out.write(`Evals: ${scenarios.length} scenario(s) × ${options.trials} trial(s) with the ${options.model} model (${name}), ${concurrency} at a time, on ${handle.driver === "postgres" ? "Postgres" : "embedded PGlite"}.\n`);
    const progress = createProgress(out);
    const result = await runSuite({
      handle,
      config,
      logger,
      scenarios,
      catalogues,
      mode: options.model,
      trials: options.trials,
      concurrency,
      ...(recording ? { recording } : {}),
      ...(recorder ? { recorder } : {}),
      ...(judge ? { judge } : {}),
      onProgress: progress.onProgress,
    });
    progress.done();

    const comparison = baseline && options.baseline ? compareWithBaseline(result, baseline, options.baseline) : undefined;
    const dir = options.report ?? defaultReportDir();
    const files = await writeReports(dir, result, comparison);
    if (recorder) {
      const file = typeof options.record === "string" ? options.record : path.join(dir, "recording.json");
      await recorder.save(file);
      out.write(`Recorded the model's answers in ${file}: replay them with \`evals run --model replay --recording ${file}\`.\n`);
    }
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
    else process.stdout.write(`\n${formatTable(result, comparison)}`);
    out.write(`Reports: ${files.html}, ${files.markdown}, ${files.json}\n`);
    if (options.minPassRate !== undefined && result.totals.passRate < options.minPassRate) {
      process.stderr.write(`event-planner: evals: pass@1 ${percent(result.totals.passRate)} is below --min-pass-rate ${percent(options.minPassRate)}\n`);
      process.exitCode = 1;
    }
  } finally {
    await handle.close();
  }
}

export function registerEvals(program: Command): void {
  const evals = program.command("evals").description("the offline eval suite: scenarios, graders, reports");
  evals
    .command("run")
    .description("run the eval scenarios (each trial in a fresh workspace), print the table and write report.json, report.md and report.html")
    .addOption(new Option("--model <model>", "offline (the rule-based planner), anthropic (Claude, needs ANTHROPIC_API_KEY) or replay (a recording)").choices(["offline", "anthropic", "replay"]).default("offline"))
    .option("--scenario <id>", "only this scenario (repeat, or comma-separate; a trailing * matches a prefix)", scenarioIds)
    .option("--trials <k>", "trials per scenario: the k of pass@k and pass^k", positiveInt, 1)
    .option("--concurrency <n>", "trials at once (default 4 on Postgres, 1 on embedded PGlite)", positiveInt)
    .option("--report <dir>", "where to write the reports (default eval-reports/<time>)")
    .option("--baseline <file>", "an earlier report.json: regressions are listed first")
    .option("--min-pass-rate <x>", "exit 1 when pass@1 over the suite is below this share (0.8 or 80%)", rate)
    .option("--record [file]", "save every model answer (default <report dir>/recording.json) for --model replay")
    .option("--recording <file>", "the recording --model replay answers from")
    .option("--no-judge", "skip the rubric Claude judges when ANTHROPIC_API_KEY is set")
    .option("--json", "print report.json to stdout instead of the table")
    .action(async (options: EvalsRunOptions) => {
      await run(options);
    });
}
