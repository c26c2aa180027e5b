/**
 * The worker: takes run jobs off the queue and works on them with the agent loop. A killed worker's
 * job lock lapses after LOCK_MS and BullMQ's stalled check (every STALLED_CHECK_MS) hands the job to
 * another worker, which resumes the run from its persisted steps: picked up again within 20 s.
 */
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from "bullmq";
import { RunEvents } from "../agent/events.js";
import { executeRun } from "../agent/execute.js";
import type { ModelChoice } from "../agent/model/select.js";
import { transitionRun } from "../domain/runs.js";
import type { DatabaseHandle } from "../drizzle/client.js";
import type { Config } from "../lib/config.js";
import { AppError } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import type { RunMetrics } from "./metrics.js";
import type { RedisRunProgressPublisher } from "./progress.js";
import { RUN_QUEUE, runJobData } from "./run-queue.js";

export const LOCK_MS = 10_000;
export const STALLED_CHECK_MS = 5_000;

export interface RunWorkerDeps {
  handle: DatabaseHandle;
  config: Config;
  logger: Logger;
  model: ModelChoice;
  connection: ConnectionOptions;
  concurrency: number;
  publisher?: Pick<RedisRunProgressPublisher, "publish">;
  metrics?: RunMetrics;
  /** QUEUE_PREFIX, the same as the queue's. */
  prefix: string;
}

export interface RunWorker {
  readonly worker: Worker;
  /** Stop taking jobs, let active runs reach a step boundary, and wait at most `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

/** Errors that no retry can fix: the job is failed at once and its run marked failed. */
function isPermanent(error: unknown): boolean {
  return error instanceof AppError && ["validation_failed", "not_found", "forbidden", "config_invalid", "invalid_state"].includes(error.code);
}

export function startRunWorker(deps: RunWorkerDeps): RunWorker {
  const { handle, config, logger, model, publisher, metrics } = deps;
  const stopping = new AbortController();

  const processJob = async (job: Job): Promise<{ status: string }> => {
    const parsed = runJobData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`run job ${job.id ?? "?"} has malformed data`);
    const { workspaceId, runId } = parsed.data;
    const events = new RunEvents();
    if (publisher) events.subscribe((event) => publisher.publish(event));
    if (metrics) events.subscribe((event) => metrics.observe(event));
    try {
      const run = await executeRun({ handle, config, logger, model, workspaceId, runId, events, stop: stopping.signal });
      // Stopped at a step boundary by shutdown: fail this attempt so the job is retried and the run resumes elsewhere.
      if (run.status === "running") throw new Error(`worker shut down during run ${runId}; it resumes from its last persisted step`);
      return { status: run.status };
    } catch (error) {
      if (isPermanent(error)) throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
      throw error;
    }
  };

  const worker = new Worker(RUN_QUEUE, processJob, {
    connection: deps.connection,
    concurrency: deps.concurrency,
    lockDuration: LOCK_MS,
    stalledInterval: STALLED_CHECK_MS,
    // A run whose worker keeps dying is retried this often before it is given up.
    maxStalledCount: 5,
    prefix: deps.prefix,
  });

  worker.on("failed", (job, error) => {
    if (!job) return;
    const finalAttempt = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    logger.warn({ jobId: job.id, attempt: job.attemptsMade, finalAttempt, err: error }, "run job failed");
    if (!finalAttempt) return;
    const parsed = runJobData.safeParse(job.data);
    if (!parsed.success) return;
    const ctx = { db: handle.db, workspaceId: parsed.data.workspaceId, actor: { kind: "system" as const, id: "worker" } };
    transitionRun(ctx, parsed.data.runId, "failed", { error: { code: "worker_failed", message: `The run could not be completed: ${error.message}`.slice(0, 4000) } }).catch((transitionError: unknown) => {
      // Already finished (or gone): nothing to record.
      logger.debug({ err: transitionError, runId: parsed.data.runId }, "could not mark the run failed");
    });
  });
  worker.on("error", (error) => logger.error({ err: error }, "run worker error"));

  return {
    worker,
    async close(timeoutMs) {
      stopping.abort();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      const result = await Promise.race([worker.close().then(() => "closed" as const), timedOut]);
      clearTimeout(timer);
      // Past the bound: drop the Redis connections so the jobs' locks stop being renewed and lapse;
      // another worker resumes those runs from their steps. (Not `close(true)`: while a close is
      // pending, BullMQ returns that same close, which waits for the jobs still running.)
      if (result === "timeout") await worker.disconnect();
    },
  };
}
