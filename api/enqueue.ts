import type { ApiDeps, RunRef } from "./deps.js";
import type { ApiContext } from "./state.js";

/**
 * Hand a stored run to the workers. The run (or the decision that resumes it) is already committed,
 * so a queue that cannot be reached does not fail the request: the workers' sweeper
 * (workers/sweeper.ts) re-enqueues queued runs and decided approvals whose job was lost. Answering
 * with an error here would only invite a retry that duplicates the message or is refused as
 * "already decided".
 */
export async function handToWorkers(deps: Pick<ApiDeps, "scheduler">, ctx: ApiContext, ref: RunRef): Promise<void> {
  try {
    await deps.scheduler.enqueueRun(ref);
  } catch (error) {
    ctx.state.log.warn({ err: error, runId: ref.runId }, "run stored but not handed to the worker queue; the sweeper will enqueue it");
  }
}
