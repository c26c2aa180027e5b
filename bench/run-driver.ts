/** Submit runs the way the API does (stored, then enqueued) and wait for the in-process worker to finish them. */
import { randomBytes } from "node:crypto";
import type { Job } from "bullmq";
import type { ModelClient } from "../agent/model/types.js";
import { submitPlanningRequest } from "../domain/planning-requests.js";
import { ensureWorkspace } from "../domain/workspaces.js";
import type { DomainContext } from "../domain/context.js";
import { redisConnection, RunQueue } from "../workers/run-queue.js";
import { startRunWorker, type RunWorker } from "../workers/run-worker.js";
import { benchConfig, logger, queuePrefix, REDIS_URL, type BenchDatabase } from "./env.js";

export interface FinishedJob {
  runId: string;
  status: string;
  /** Enqueue → worker picked it up, by Redis's clock (ms). */
  pickupMs: number;
  /** Performance clock, when this process saw the job complete. */
  completedAt: number;
}

export interface RunDriver {
  ctx: DomainContext;
  queue: RunQueue;
  worker: RunWorker;
  /** Store a run for `content` and enqueue it; resolves when the worker has finished it. */
  submit(content: string): Promise<FinishedJob>;
  close(): Promise<void>;
}

export async function startRunDriver(database: BenchDatabase, model: ModelClient, concurrency: number): Promise<RunDriver> {
  const prefix = queuePrefix();
  const config = benchConfig(database.url, { WORKER_CONCURRENCY: String(concurrency) });
  const workspace = await ensureWorkspace(database.handle.db, `bench-runs-${randomBytes(3).toString("hex")}`);
  const ctx: DomainContext = { db: database.handle.db, workspaceId: workspace.id, actor: { kind: "user", id: "bench" } };
  const queue = new RunQueue(redisConnection(REDIS_URL), prefix);
  const worker = startRunWorker({ handle: database.handle, config, logger, model: { client: model, provider: "offline" }, connection: redisConnection(REDIS_URL), concurrency, prefix });
  const waiting = new Map<string, { resolve: (job: FinishedJob) => void; reject: (error: Error) => void }>();
  worker.worker.on("completed", (job: Job, result: { status: string }) => {
    const runId = job.id ?? "";
    waiting.get(runId)?.resolve({ runId, status: result.status, pickupMs: (job.processedOn ?? job.timestamp) - job.timestamp, completedAt: performance.now() });
    waiting.delete(runId);
  });
  worker.worker.on("failed", (job: Job | undefined, error: Error) => {
    const runId = job?.id ?? "";
    waiting.get(runId)?.reject(error);
    waiting.delete(runId);
  });
  await worker.worker.waitUntilReady();
  return {
    ctx,
    queue,
    worker,
    async submit(content) {
      const { run } = await submitPlanningRequest(ctx, { content, provider: "offline", model: model.model });
      const done = new Promise<FinishedJob>((resolve, reject) => waiting.set(run.id, { resolve, reject }));
      await queue.enqueueRun({ workspaceId: ctx.workspaceId, runId: run.id });
      return done;
    },
    async close() {
      await worker.close(10_000);
      await queue.queue.obliterate({ force: true });
      await queue.close();
    },
  };
}
