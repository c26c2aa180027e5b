/**
 * A safety net under the queue: every few seconds, runs that should be moving but have no job (a
 * lost enqueue, Redis restarted without its data, an approval decided or expired while nobody was
 * listening) are enqueued again. Enqueueing is idempotent by run id, so overlap with the normal
 * path costs nothing.
 */
import { findRunsNeedingWork } from "../domain/run-recovery.js";
import type { Database } from "../drizzle/client.js";
import type { Logger } from "../lib/logger.js";
import type { RunScheduler } from "../api/deps.js";

export interface SweeperOptions {
  db: Database;
  scheduler: RunScheduler;
  logger: Logger;
  intervalMs?: number;
  /** A queued or running run untouched this long is enqueued again. */
  staleMs?: number;
}

/** One sweep; returns how many runs were enqueued. */
export async function sweepRuns({ db, scheduler, logger, staleMs = 120_000 }: SweeperOptions, now = new Date()): Promise<number> {
  const runs = await findRunsNeedingWork(db, { staleBefore: new Date(now.getTime() - staleMs) });
  for (const run of runs) {
    await scheduler.enqueueRun({ workspaceId: run.workspaceId, runId: run.runId });
    logger.debug({ runId: run.runId, reason: run.reason }, "sweeper enqueued a run");
  }
  return runs.length;
}

export function startSweeper(options: SweeperOptions): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepRuns(options)
      .catch((error: unknown) => options.logger.warn({ err: error }, "run sweep failed"))
      .finally(() => {
        running = false;
      });
  }, options.intervalMs ?? 5_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
