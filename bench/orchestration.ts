/** Item 2: what a full agent run costs besides the model: queue, worker, step persistence, MCP tool calls. */
import type { BenchDatabase } from "./env.js";
import { ms, type Section } from "./report.js";
import { startRunDriver } from "./run-driver.js";
import { median, round, since } from "./stats.js";
import { TimedModel } from "./timed-model.js";

const REQUEST = "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000";

interface RunSample {
  wallMs: number;
  modelMs: number;
  turns: number;
  overheadMs: number;
  overheadPerTurnMs: number;
  status: string;
}

async function sampleRuns(database: BenchDatabase, latencyMs: number, runs: number, tag: string): Promise<RunSample[]> {
  const model = new TimedModel(latencyMs);
  const driver = await startRunDriver(database, model, 1);
  try {
    const samples: RunSample[] = [];
    for (let i = 0; i < runs; i++) {
      const content = `${REQUEST} (bench ${tag} ${i})`;
      const start = performance.now();
      const finished = await driver.submit(content);
      const wallMs = since(start);
      const { turns, modelMs } = model.logFor(content);
      const overheadMs = wallMs - modelMs;
      samples.push({ wallMs, modelMs, turns, overheadMs, overheadPerTurnMs: overheadMs / Math.max(1, turns), status: finished.status });
    }
    return samples;
  } finally {
    await driver.close();
  }
}

export async function measureOrchestration(database: BenchDatabase, quick: boolean): Promise<Section> {
  // The first run pays module loading and cold caches; it is measured but not counted.
  await sampleRuns(database, 0, 1, "warm-up");
  const instant = await sampleRuns(database, 0, quick ? 2 : 12, "instant");
  const slow = await sampleRuns(database, quick ? 100 : 1000, quick ? 1 : 3, "1s");
  const summary = (samples: RunSample[]) => ({
    runs: samples.length,
    turns: median(samples.map((s) => s.turns)),
    wallMs: median(samples.map((s) => s.wallMs)),
    modelMs: median(samples.map((s) => s.modelMs)),
    overheadMs: median(samples.map((s) => s.overheadMs)),
    overheadPerTurnMs: median(samples.map((s) => s.overheadPerTurnMs)),
    statuses: [...new Set(samples.map((s) => s.status))],
  });
  const a = summary(instant);
  const b = summary(slow);
  const share = b.overheadMs / b.wallMs;
  const latencyLabel = quick ? "100 ms (quick)" : "1 s";
  return {
    id: "orchestration",
    title: "2. Orchestration overhead",
    method: `Full agent runs of "${REQUEST}" with the offline planner (the same tool calls every time), submitted as the API does (request and run stored in one transaction, then enqueued) and worked by the real BullMQ worker (concurrency 1) over in-process MCP servers on the bench Postgres, with every step persisted. The model answers instantly, or after a fixed ${latencyLabel}. Overhead = wall time from submit to job completion − time inside the model; per step = per model turn. Runs end in \`${[...new Set([...a.statuses, ...b.statuses])].join("`, `")}\` (the planner stops where a person must approve).`,
    table: [
      ["model latency", "runs", "turns", "wall (median)", "model time", "overhead", "overhead per step", "overhead share"],
      ["instant", String(a.runs), String(a.turns), ms(a.wallMs), ms(a.modelMs), ms(a.overheadMs), ms(a.overheadPerTurnMs), "—"],
      [latencyLabel, String(b.runs), String(b.turns), ms(b.wallMs), ms(b.modelMs), ms(b.overheadMs), ms(b.overheadPerTurnMs), `${(share * 100).toFixed(2)}%`],
    ],
    goals: [
      {
        figure: `overhead as a share of a run with ${latencyLabel} model latency`,
        target: "≤ 2%",
        actual: `${(share * 100).toFixed(2)}%`,
        met: share <= 0.02,
        whyNot: "A CPU profile of these runs (after the schema-validator fix) shows the worker mostly idle: the time is Postgres round trips, because every step, tool call and tool result is committed before the next begins (crash safety), plus opening six in-process MCP servers per run (each lists its tools, which converts every zod schema to JSON Schema). Committing a turn's tool results together, and caching each server's tool listing per process, would shrink it; so would a machine not shared with other work (see the load average).",
      },
    ],
    data: { instant: { ...a, samples: instant.map(roundSample) }, slow: { latencyMs: quick ? 100 : 1000, ...b, samples: slow.map(roundSample) }, share: round(share, 4) },
  };
}

function roundSample(sample: RunSample): Record<string, number | string> {
  return { wallMs: round(sample.wallMs), modelMs: round(sample.modelMs), turns: sample.turns, overheadMs: round(sample.overheadMs), overheadPerTurnMs: round(sample.overheadPerTurnMs), status: sample.status };
}
