/** Item 3: agent runs per second end to end against raw BullMQ no-op jobs, same Redis, same concurrency. */
import { Queue, Worker, type Job } from "bullmq";
import { redisConnection } from "../workers/run-queue.js";
import { queuePrefix, REDIS_URL, type BenchDatabase } from "./env.js";
import { ms, type Section } from "./report.js";
import { startRunDriver } from "./run-driver.js";
import { distribution, median, round, since, type Distribution } from "./stats.js";
import { oneTurnModel } from "./timed-model.js";

const CONCURRENCY = 8;

interface Trial {
  perSecond: number;
  pickup: Distribution;
}

async function rawTrial(jobs: number): Promise<Trial> {
  const prefix = queuePrefix();
  const queue = new Queue("bench-noop", { connection: redisConnection(REDIS_URL), prefix });
  const pickups: number[] = [];
  let done = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const worker = new Worker("bench-noop", () => Promise.resolve(), { connection: redisConnection(REDIS_URL), prefix, concurrency: CONCURRENCY });
  worker.on("completed", (job: Job) => {
    pickups.push((job.processedOn ?? job.timestamp) - job.timestamp);
    if (++done === jobs) finish();
  });
  await worker.waitUntilReady();
  try {
    const start = performance.now();
    // One add per job, as the API adds one run per request (no bulk).
    for (let i = 0; i < jobs; i++) void queue.add("noop", { i }, { removeOnComplete: true });
    await finished;
    return { perSecond: jobs / (since(start) / 1000), pickup: distribution(pickups) };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

async function runTrial(database: BenchDatabase, runs: number): Promise<Trial> {
  const driver = await startRunDriver(database, oneTurnModel, CONCURRENCY);
  try {
    await driver.submit("warm-up");
    const start = performance.now();
    const finished = await Promise.all(Array.from({ length: runs }, (_, i) => driver.submit(`throughput ${i}`)));
    return { perSecond: runs / (since(start) / 1000), pickup: distribution(finished.map((job) => job.pickupMs)) };
  } finally {
    await driver.close();
  }
}

export async function measureQueueThroughput(database: BenchDatabase, quick: boolean): Promise<Section> {
  const repeats = quick ? 1 : 3;
  const rawJobs = quick ? 300 : 3000;
  const runs = quick ? 20 : 200;
  const raw: Trial[] = [];
  const agent: Trial[] = [];
  // Interleaved, so drift in the machine's load hits both sides alike.
  for (let i = 0; i < repeats; i++) {
    raw.push(await rawTrial(rawJobs));
    agent.push(await runTrial(database, runs));
  }
  const rawRate = median(raw.map((t) => t.perSecond));
  const runRate = median(agent.map((t) => t.perSecond));
  const ratio = runRate / rawRate;
  const pickupOf = (trials: Trial[]) => ({ p50: median(trials.map((t) => t.pickup.p50)), p99: median(trials.map((t) => t.pickup.p99)) });
  const rawPickup = pickupOf(raw);
  const runPickup = pickupOf(agent);
  return {
    id: "queue",
    title: "3. Queue throughput",
    method: `${runs} agent runs submitted at once, each stored as the API stores it (message + run in one transaction), enqueued with the production job options and worked end to end by the real run worker (concurrency ${CONCURRENCY}, in-process MCP clients, steps persisted) with a model that answers in one turn without tools, so the figure is the queue and run machinery, not the planner. Baseline: ${rawJobs} raw BullMQ no-op jobs, one \`add\` each, on the same Redis with the same concurrency. ${repeats} interleaved repetition(s); medians. Pickup = enqueue → the worker starts the job (Redis clock, ms resolution).`,
    table: [
      ["", "per second", "pickup p50", "pickup p99"],
      ["raw BullMQ no-op jobs", round(rawRate, 0).toString(), ms(rawPickup.p50), ms(rawPickup.p99)],
      ["agent runs end to end", round(runRate, 1).toString(), ms(runPickup.p50), ms(runPickup.p99)],
    ],
    goals: [
      {
        figure: "agent runs per second ÷ raw BullMQ jobs per second",
        target: "≥ 50%",
        actual: `${(ratio * 100).toFixed(1)}%`,
        met: ratio >= 0.5,
        whyNot: "A no-op job is two Redis round trips; a run also stores its request, opens six in-process MCP servers, loads its workspace and steps, persists a model turn and finishes in Postgres (about ten transactions). Keeping one set of MCP servers per worker instead of per run, and a larger database pool with more worker concurrency, would raise it; the raw figure stays an upper bound no database-backed job reaches.",
      },
    ],
    data: { concurrency: CONCURRENCY, raw: raw.map(roundTrial), runs: agent.map(roundTrial), ratio: round(ratio, 4) },
  };
}

function roundTrial(trial: Trial): { perSecond: number; pickupP50: number; pickupP99: number } {
  return { perSecond: round(trial.perSecond, 1), pickupP50: trial.pickup.p50, pickupP99: trial.pickup.p99 };
}
