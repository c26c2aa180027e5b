/**
 * `npm run bench [-- --quick] [-- --only id,id]`: every measurement in one process, one after the
 * other (they would disturb each other side by side), written to bench/RESULTS.md and results.json.
 * Needs Postgres (BENCH_ADMIN_DATABASE_URL or TEST_DATABASE_URL, default 127.0.0.1:5432/test) and Redis.
 */
import { measureApiLoad } from "./api-load.js";
import { loadavg } from "node:os";
import { createBenchDatabase, describeMachine, round2 } from "./env.js";
import { measureMcpOverhead } from "./mcp-overhead.js";
import { measureOrchestration } from "./orchestration.js";
import { measurePostgresVsPglite } from "./pg-vs-pglite.js";
import { measurePromptEfficiency } from "./prompt-prefix.js";
import { measureQueueThroughput } from "./queue-throughput.js";
import { writeResults, type Section } from "./report.js";
import type { BenchDatabase } from "./env.js";

const MEASUREMENTS: { id: string; run: (database: BenchDatabase, quick: boolean) => Promise<Section> }[] = [
  { id: "mcp", run: measureMcpOverhead },
  { id: "orchestration", run: measureOrchestration },
  { id: "queue", run: measureQueueThroughput },
  { id: "api", run: measureApiLoad },
  { id: "pglite", run: measurePostgresVsPglite },
  { id: "prompt", run: measurePromptEfficiency },
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const onlyAt = args.indexOf("--only");
  const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? "").split(",") : undefined;
  const started = performance.now();
  const machine = await describeMachine(quick ? "quick" : "full");
  const database = await createBenchDatabase();
  const sections: Section[] = [];
  try {
    for (const measurement of MEASUREMENTS) {
      if (only && !only.includes(measurement.id)) continue;
      const start = performance.now();
      process.stderr.write(`bench: ${measurement.id}…\n`);
      sections.push(await measurement.run(database, quick));
      process.stderr.write(`bench: ${measurement.id} done in ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    await database.drop();
  }
  machine.loadAverage.end = round2(loadavg()[0] ?? 0);
  const elapsed = (performance.now() - started) / 1000;
  await writeResults(new URL("./", import.meta.url), machine, sections, elapsed);
  for (const section of sections) for (const goal of section.goals) process.stdout.write(`${goal.met ? "met   " : "MISSED"} ${section.title}: ${goal.figure}: ${goal.actual} (goal ${goal.target})\n`);
  process.stdout.write(`bench: wrote bench/RESULTS.md and bench/results.json in ${elapsed.toFixed(0)} s\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
