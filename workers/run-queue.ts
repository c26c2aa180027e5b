/**
 * The queue of agent runs. One job per run, its id the run id, so enqueueing a run twice (a retry,
 * an approval, the sweeper) never makes a second job while the first exists; a finished job is
 * removed so that the next decision on the run can enqueue it again.
 */
import { Queue, type ConnectionOptions, type JobsOptions } from "bullmq";
import { z } from "zod";
import type { RunRef, RunScheduler } from "../api/deps.js";
import { uuid } from "../lib/formats.js";

export const RUN_QUEUE = "agent-runs";

export const runJobData = z.object({ workspaceId: uuid, runId: uuid }).strict();

/** Redis from REDIS_URL. BullMQ's blocking commands need `maxRetriesPerRequest: null`. */
export function redisConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null };
}

export const RUN_JOB_OPTIONS: JobsOptions = {
  // Transient failures (a dropped database connection, a worker shutting down mid-run) retry with backoff; the run resumes from its steps.
  attempts: 8,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
};

export class RunQueue implements RunScheduler {
  readonly queue: Queue;

  /** `prefix` is QUEUE_PREFIX: the Redis key namespace, so deployments sharing a Redis keep apart. */
  constructor(connection: ConnectionOptions, prefix: string) {
    this.queue = new Queue(RUN_QUEUE, { connection, prefix });
  }

  async enqueueRun(ref: RunRef): Promise<void> {
    const data = runJobData.parse(ref);
    await this.queue.add("run", data, { ...RUN_JOB_OPTIONS, jobId: data.runId });
  }

  /** Jobs by state, for /metrics. */
  async depth(): Promise<Record<string, number>> {
    return this.queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized", "waiting-children");
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
