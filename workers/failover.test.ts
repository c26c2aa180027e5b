/**
 * The worker as it is deployed: `event-planner worker` processes on real Redis and Postgres, with
 * the model (the fake Anthropic server) holding a turn open so the run is mid-flight when the worker
 * is killed or stopped. A killed worker's run is picked up by another worker and resumed from its
 * persisted steps; a stopped worker finishes the step it is on (the model turn in flight is stored),
 * exits 0, and the run resumes elsewhere. Either way every side effect happens once and no persisted model turn is asked again.
 * Under load (several runs in flight), SIGTERM drains what answers in time, gives up on the rest at
 * WORKER_SHUTDOWN_SECONDS, still exits 0, and every run is finished by another worker.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectModel } from "../agent/model/select.js";
import { startFakeAnthropic, type FakeAnthropic, type RecordedRequest, type ScriptedTurn } from "../agent/model/testing/fake-anthropic.js";
import type { DomainContext } from "../domain/context.js";
import { listEvents } from "../domain/events.js";
import { submitPlanningRequest } from "../domain/planning-requests.js";
import { getRun, listRunSteps } from "../domain/runs.js";
import { listOutbox } from "../domain/sandbox.js";
import { ensureWorkspace } from "../domain/workspaces.js";
import { loadConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { redisConnection, RunQueue } from "./run-queue.js";
import { startRunWorker, type RunWorker } from "./run-worker.js";
import { postThenAnswer, runTagOf, turnOf } from "./testing/scripts.js";
import { freePort, gate } from "../test/processes.js";

const BIN = fileURLToPath(new URL("../bin/event-planner.js", import.meta.url));
const REDIS_URL = "redis://127.0.0.1:6379";
const MODEL = "claude-sonnet-4-6";
const logger = createLogger({ level: "silent" });
const prefix = `ept-failover-${randomBytes(4).toString("hex")}`;

let database: TestDatabase;
let queue: RunQueue;
const children: ChildProcess[] = [];
const workers: RunWorker[] = [];

beforeAll(async () => {
  database = await createTestDatabase("postgres");
  queue = new RunQueue(redisConnection(REDIS_URL), prefix);
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  for (const worker of workers) await worker.close(5_000);
  await queue.queue.obliterate({ force: true });
  await queue.close();
  await database.drop();
});

const usage = { input_tokens: 200, output_tokens: 30 };
const toolUse = (id: string, name: string, input: Record<string, unknown>) => ({ type: "tool_use" as const, id, name, input });
const EVENT = { title: "Lisbon offsite", kind: "offsite", city: "Lisbon", timeZone: "Europe/Lisbon", headcount: 40, currency: "EUR" };

/** Three model turns: create the event and tell the team, tell the team again (the held turn), then answer. */
function script(hold: Promise<void>, options: { heldTurnAgain: boolean }): ScriptedTurn[] {
  const first: ScriptedTurn = { content: [toolUse("toolu_event", "postgres__create_event", EVENT), toolUse("toolu_post1", "slack__post_message", { text: "Started planning the Lisbon offsite." })], stop_reason: "tool_use", usage };
  const second = (held: boolean): ScriptedTurn => ({ content: [toolUse("toolu_post2", "slack__post_message", { text: "Venues shortlisted." })], stop_reason: "tool_use", usage, ...(held ? { hold } : {}) });
  const last: ScriptedTurn = { content: [{ type: "text", text: "The offsite is planned." }], stop_reason: "end_turn", usage };
  // A killed worker never reads the held answer, so the worker that resumes asks for that turn again.
  return options.heldTurnAgain ? [first, second(true), second(false), last] : [first, second(true), last];
}

function productEnv(fake: FakeAnthropic): Record<string, string> {
  return { DATABASE_URL: database.url!, REDIS_URL, QUEUE_PREFIX: prefix, ANTHROPIC_API_KEY: "sk-ant-test-key", ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MODEL: MODEL };
}

/** `event-planner worker` as a separate process; its output is kept for the assertion messages. */
async function spawnWorker(fake: FakeAnthropic, env: Record<string, string> = {}): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, "worker"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...productEnv(fake), WORKER_METRICS_PORT: String(await freePort()), WORKER_SHUTDOWN_SECONDS: "20", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Another worker, in this process, taking over the queue once the first one is gone. */
function startSecondWorker(fake: FakeAnthropic, concurrency = 1): void {
  const config = loadConfig(productEnv(fake));
  workers.push(startRunWorker({ handle: database.handle, config, logger, model: selectModel(config, logger), connection: redisConnection(REDIS_URL), concurrency, prefix }));
}

async function queuedRun(content = "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000"): Promise<{ ctx: DomainContext; runId: string }> {
  const workspace = await ensureWorkspace(database.db, `failover-${randomBytes(4).toString("hex")}`);
  const ctx: DomainContext = { db: database.db, workspaceId: workspace.id, actor: { kind: "system" } };
  const { run } = await submitPlanningRequest(ctx, { content, provider: "anthropic", model: MODEL });
  await queue.enqueueRun({ workspaceId: workspace.id, runId: run.id });
  return { ctx, runId: run.id };
}

/** The run's end state, with each side effect counted in the sandbox ledgers. */
async function outcome(ctx: DomainContext, runId: string) {
  const run = await getRun(ctx, runId);
  const posts = (await listOutbox(ctx, "slack")).map((post) => post.data.text).sort();
  return { status: run.status, events: (await listEvents(ctx, {})).length, posts };
}

const EXPECTED = { status: "succeeded", events: 1, posts: ["Started planning the Lisbon offsite.", "Venues shortlisted."] };

describe("workers failing over on real Redis and Postgres", () => {
  it("kill -9 during a model call: another worker picks the run up and finishes it, each side effect once", async () => {
    const held = gate();
    const fake = await startFakeAnthropic(script(held.promise, { heldTurnAgain: true }));
    try {
      const first = await spawnWorker(fake);
      const { ctx, runId } = await queuedRun();
      await expect.poll(() => fake.requests.length, { timeout: 60_000, interval: 100 }).toBe(2);
      first.child.kill("SIGKILL");
      const killedAt = Date.now();
      await first.exited;
      startSecondWorker(fake);
      await expect.poll(() => fake.requests.length, { timeout: 60_000, interval: 100 }).toBe(3);
      // Reported, not asserted: the lock (10 s) and stalled check (5 s) put it well inside 20 s.
      console.info(`worker failover: run picked up again ${((Date.now() - killedAt) / 1000).toFixed(1)} s after kill -9`);
      held.open();
      await expect.poll(async () => (await getRun(ctx, runId)).status, { timeout: 60_000, interval: 200 }).toBe("succeeded");
      expect(await outcome(ctx, runId)).toEqual(EXPECTED);
      // Resumed from the persisted first turn: the model was not asked for it twice.
      expect(fake.requests).toHaveLength(4);
      expect(JSON.stringify(fake.requests[2]?.body.messages)).toContain("toolu_post1");
    } finally {
      held.open();
      // The second worker is bound to this test's fake model: it must not take the next test's run.
      for (const worker of workers.splice(0)) await worker.close(5_000);
      await fake.close();
    }
  }, 120_000);

  it("SIGTERM during a model call: the worker finishes that step, exits 0, and the run resumes elsewhere without asking again", async () => {
    const held = gate();
    const fake = await startFakeAnthropic(script(held.promise, { heldTurnAgain: false }));
    try {
      const first = await spawnWorker(fake);
      const { ctx, runId } = await queuedRun();
      await expect.poll(() => fake.requests.length, { timeout: 60_000, interval: 100 }).toBe(2);
      first.child.kill("SIGTERM");
      await expect.poll(first.output, { timeout: 10_000, interval: 50 }).toMatch(/shutting down/);
      // Only now does the model answer: the worker must still take that answer and act on it.
      held.open();
      expect(await first.exited, first.output()).toBe(0);
      // Stopped at the step boundary after the held turn: the turn is persisted, its tool call left for the next worker.
      expect((await getRun(ctx, runId)).status).toBe("running");
      expect((await listRunSteps(ctx, runId)).filter((step) => step.kind === "model_turn")).toHaveLength(2);
      expect((await listOutbox(ctx, "slack")).map((post) => post.data.text)).toEqual(["Started planning the Lisbon offsite."]);

      startSecondWorker(fake);
      await expect.poll(async () => (await getRun(ctx, runId)).status, { timeout: 60_000, interval: 200 }).toBe("succeeded");
      expect(await outcome(ctx, runId)).toEqual(EXPECTED);
      expect(fake.requests).toHaveLength(3);
      fake.assertAllUsed();
    } finally {
      held.open();
      // The second worker is bound to this test's fake model: it must not take the next test's run.
      for (const worker of workers.splice(0)) await worker.close(5_000);
      await fake.close();
    }
  }, 120_000);
});

describe("SIGTERM under load", () => {
  it("four runs in flight: the worker drains three, gives up on the fourth at WORKER_SHUTDOWN_SECONDS, exits 0; another worker finishes all four, each once", async () => {
    const drain = gate();
    const stuck = gate();
    const TAGS = ["r1", "r2", "r3", "r4"];
    let stuckAsked = 0;
    // r1–r3 answer once the worker is stopping; r4's first turn never answers while that worker lives.
    const respond = (request: RecordedRequest) => {
      const tag = runTagOf(request) ?? "?";
      const hold = tag === "r4" ? (stuckAsked++ === 0 ? stuck.promise : undefined) : drain.promise;
      return postThenAnswer(turnOf(request), `Run ${tag} posted.`, hold ? { hold } : {});
    };
    const fake = await startFakeAnthropic(respond);
    try {
      const first = await spawnWorker(fake, { WORKER_CONCURRENCY: "4", WORKER_SHUTDOWN_SECONDS: "3" });
      const runs = await Promise.all(TAGS.map((tag) => queuedRun(`[run:${tag}] Post an update to the team`)));
      await expect.poll(() => fake.requests.length, { timeout: 60_000, interval: 100 }).toBe(4);
      first.child.kill("SIGTERM");
      const stoppedAt = Date.now();
      await expect.poll(first.output, { timeout: 10_000, interval: 50 }).toMatch(/shutting down/);
      drain.open();
      expect(await first.exited, first.output()).toBe(0);
      const shutdownMs = Date.now() - stoppedAt;

      // Drained: r1–r3 stored the turn that answered and stopped at that step boundary; r4 stored nothing new.
      const turnsStored = await Promise.all(runs.map(async ({ ctx, runId }) => (await listRunSteps(ctx, runId)).filter((step) => step.kind === "model_turn").length));
      expect(turnsStored).toEqual([1, 1, 1, 0]);
      expect((await Promise.all(runs.map(async ({ ctx, runId }) => (await getRun(ctx, runId)).status)))).toEqual(["running", "running", "running", "running"]);

      startSecondWorker(fake, 4);
      await expect.poll(async () => (await Promise.all(runs.map(async ({ ctx, runId }) => (await getRun(ctx, runId)).status))).join(), { timeout: 60_000, interval: 200 }).toBe("succeeded,succeeded,succeeded,succeeded");
      console.info(`SIGTERM under load: worker exited 0 ${(shutdownMs / 1000).toFixed(1)} s after SIGTERM (bound 3 s); all 4 runs done ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after it`);

      for (const [index, { ctx }] of runs.entries()) {
        expect((await listOutbox(ctx, "slack")).map((post) => post.data.text)).toEqual([`Run ${TAGS[index]} posted.`]);
      }
      // Each stored turn was asked for once; only r4's unanswered first turn was asked again.
      const turnsAsked = Object.fromEntries(TAGS.map((tag) => [tag, fake.requests.filter((request) => runTagOf(request) === tag).map(turnOf)]));
      expect(turnsAsked).toEqual({ r1: [0, 1], r2: [0, 1], r3: [0, 1], r4: [0, 0, 1] });
      expect(fake.errors).toEqual([]);
    } finally {
      drain.open();
      stuck.open();
      for (const worker of workers.splice(0)) await worker.close(5_000);
      await fake.close();
    }
  }, 120_000);
});
