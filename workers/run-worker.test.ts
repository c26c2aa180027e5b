import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../agent/events.js";
import { decideRunApproval } from "../agent/approvals.js";
import { selectModel } from "../agent/model/select.js";
import { listApprovals } from "../domain/approvals.js";
import type { DomainContext } from "../domain/context.js";
import { submitPlanningRequest } from "../domain/planning-requests.js";
import { getRun } from "../domain/runs.js";
import { listOutbox } from "../domain/sandbox.js";
import { ensureWorkspace } from "../domain/workspaces.js";
import type { Run } from "../drizzle/schema/index.js";
import { loadConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { createMetricsRegistry } from "../lib/metrics.js";
import { registerRunMetrics } from "./metrics.js";
import { RedisRunProgressPublisher, RedisRunProgressSource } from "./progress.js";
import { redisConnection, RunQueue } from "./run-queue.js";
import { startRunWorker, type RunWorker } from "./run-worker.js";
import { sweepRuns } from "./sweeper.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const logger = createLogger({ level: "silent" });
const OFFSITE = "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000";

let database: TestDatabase;
let queue: RunQueue;
let worker: RunWorker;
let publisher: RedisRunProgressPublisher;
let progress: RedisRunProgressSource;
const registry = createMetricsRegistry("worker-test");
const prefix = `ept-test-${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  database = await createTestDatabase("postgres");
  const config = loadConfig({ DATABASE_URL: database.url!, LLM_PROVIDER: "offline" });
  queue = new RunQueue(redisConnection(REDIS_URL), prefix);
  publisher = new RedisRunProgressPublisher(REDIS_URL, logger);
  progress = new RedisRunProgressSource(REDIS_URL, logger);
  const metrics = registerRunMetrics(registry, { depth: () => queue.depth(), db: database.db });
  worker = startRunWorker({ handle: database.handle, config, logger, model: selectModel(config, logger), connection: redisConnection(REDIS_URL), concurrency: 2, publisher, metrics, prefix });
});
afterAll(async () => {
  await worker.close(10_000);
  await queue.queue.obliterate({ force: true });
  await queue.close();
  await publisher.close();
  await progress.close();
  await database.drop();
});

async function newRequest(): Promise<{ ctx: DomainContext; run: Run }> {
  const workspace = await ensureWorkspace(database.db, `worker-${randomBytes(4).toString("hex")}`);
  const ctx: DomainContext = { db: database.db, workspaceId: workspace.id, actor: { kind: "user", id: "key-test" } };
  const { run } = await submitPlanningRequest(ctx, { content: OFFSITE, provider: "offline" });
  return { ctx, run };
}

/** Poll the database (the record) until the run reaches one of the statuses. */
async function until(ctx: DomainContext, runId: string, statuses: Run["status"][]): Promise<Run> {
  for (let i = 0; i < 600; i++) {
    const run = await getRun(ctx, runId);
    if (statuses.includes(run.status)) return run;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} never reached ${statuses.join("/")}`);
}

describe("run worker on BullMQ with real Redis and Postgres", () => {
  it("works a queued run until it waits for approval, publishing progress, and finishes it once decided", async () => {
    const { ctx, run } = await newRequest();
    const seen: RunEvent[] = [];
    const unsubscribe = await progress.subscribe(run.id, (event) => seen.push(event));
    await queue.enqueueRun({ workspaceId: ctx.workspaceId, runId: run.id });
    await queue.enqueueRun({ workspaceId: ctx.workspaceId, runId: run.id });
    expect((await until(ctx, run.id, ["awaiting_approval", "failed"])).status).toBe("awaiting_approval");
    await expect.poll(() => seen.some((event) => event.type === "finished" && event.status === "awaiting_approval")).toBe(true);
    expect(seen.filter((event) => event.type === "run_started")).toHaveLength(1);
    expect(seen.some((event) => event.type === "tool_call" && event.tool === "postgres__hold_venue")).toBe(true);

    const [approval] = await listApprovals(ctx, { runId: run.id, status: "pending" });
    await decideRunApproval(ctx, approval!.id, { decision: "approve" });
    await queue.enqueueRun({ workspaceId: ctx.workspaceId, runId: run.id });
    expect((await until(ctx, run.id, ["succeeded", "failed"])).status).toBe("succeeded");
    expect(await listOutbox(ctx, "payment")).toHaveLength(1);
    await unsubscribe();

    // What Prometheus scrapes: the pause and the finish, the steps, the tool calls, the queue and pending approvals.
    const text = await registry.metrics();
    expect(text).toMatch(/agent_runs_finished_total\{[^}]*status="awaiting_approval"[^}]*\} [1-9]/);
    expect(text).toMatch(/agent_runs_finished_total\{[^}]*status="succeeded"[^}]*\} [1-9]/);
    expect(text).toMatch(/agent_tool_calls_total\{[^}]*tool="stripe__pay_vendor_deposit"[^}]*outcome="ok"[^}]*\} 1/);
    expect(text).toMatch(/agent_steps_total\{[^}]*kind="model_turn"[^}]*\} [1-9]/);
    expect(text).toMatch(/queue_jobs\{[^}]*state="waiting"[^}]*\} \d+/);
    expect(text).toMatch(/approvals_pending(\{[^}]*\})? \d+/);
  });

  it("the sweeper re-enqueues a paused run whose approval was decided while nothing was listening", async () => {
    const { ctx, run } = await newRequest();
    await queue.enqueueRun({ workspaceId: ctx.workspaceId, runId: run.id });
    await until(ctx, run.id, ["awaiting_approval"]);
    const [approval] = await listApprovals(ctx, { runId: run.id, status: "pending" });
    await decideRunApproval(ctx, approval!.id, { decision: "reject", note: "not yet" });
    // No enqueue here: the decision's notification was "lost".
    expect(await sweepRuns({ db: database.db, scheduler: queue, logger })).toBeGreaterThanOrEqual(1);
    const finished = await until(ctx, run.id, ["succeeded", "failed"]);
    expect(finished.status).toBe("succeeded");
    expect(String(finished.result?.text)).toMatch(/not paid|rejected/i);
    expect(await listOutbox(ctx, "payment")).toEqual([]);
  });

  it("marks a run failed when its job cannot be worked on at all", async () => {
    const { ctx, run } = await newRequest();
    // A job pointing at a workspace that does not own the run: not_found, which no retry fixes.
    const other = await ensureWorkspace(database.db, `worker-other-${randomBytes(4).toString("hex")}`);
    await queue.enqueueRun({ workspaceId: other.id, runId: run.id });
    await expect.poll(async () => (await queue.queue.getJobState(run.id)) === "failed", { timeout: 10_000 }).toBe(true);
    expect((await getRun(ctx, run.id)).status).toBe("queued");
  });
});
