/**
 * Redis dies mid-run and comes back. A private `redis-server` (append-only file, as in Compose)
 * carries the queue; the API and a worker run on it in this process. While a run's model turn is
 * in flight, Redis is killed with SIGKILL: `/readyz` says 503 and names redis, and a request sent
 * meanwhile is still stored. Redis restarts on the same port and directory with its data: `/readyz`
 * is 200 again and both runs finish, each exactly once, each side effect made once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../agent/model/testing/fake-anthropic.js";
import { listEvents } from "../domain/events.js";
import { getRun, listRunSteps } from "../domain/runs.js";
import { listOutbox } from "../domain/sandbox.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { gate, startPrivateRedis, type PrivateRedis } from "../test/processes.js";
import { eventThenTwoPosts, postThenAnswer, runTagOf, turnOf } from "./testing/scripts.js";
import { readiness, startInProcessStack, type InProcessStack } from "./testing/stack.js";

let database: TestDatabase;
let redisDir: string;
let redis: PrivateRedis;
let fake: FakeAnthropic;
let stack: InProcessStack;
const held = gate();

beforeAll(async () => {
  redisDir = mkdtempSync(path.join(tmpdir(), "ept-redis-restart-"));
  [database, redis] = await Promise.all([createTestDatabase("postgres"), startPrivateRedis(redisDir)]);
  // The Lisbon run's second turn is held: the run is mid-flight while Redis is away.
  fake = await startFakeAnthropic((request) => (runTagOf(request) === "lisbon" ? eventThenTwoPosts(turnOf(request), { hold: held.promise }) : postThenAnswer(turnOf(request), "Porto dinner booked.")));
  stack = await startInProcessStack({ handle: database.handle, databaseUrl: database.url!, redisUrl: redis.url, anthropicUrl: fake.url });
});
afterAll(async () => {
  held.open();
  await stack?.close();
  await redis?.stop();
  await fake?.close();
  await database?.drop();
  rmSync(redisDir, { recursive: true, force: true });
});

describe("Redis restarted mid-run", () => {
  it("/readyz turns 503 naming redis, then 200; no run is lost or doubled, each side effect happens once", async () => {
    expect(await readiness(stack.baseUrl)).toEqual({ status: 200, failed: [] });
    const { ctx, auth } = await stack.workspace();
    const lisbon = await stack.submit(auth, "[run:lisbon] Plan a 2-day offsite for 40 people in Lisbon");
    await expect.poll(() => fake.requests.length, { timeout: 30_000, interval: 50 }).toBe(2);

    redis.server.child.kill("SIGKILL");
    await redis.server.exited;
    const killedAt = Date.now();
    expect(await readiness(stack.baseUrl)).toEqual({ status: 503, failed: ["redis"] });
    // Sent while the queue is away: the run is stored before the enqueue is tried, so it is not lost.
    const porto = stack.submit(auth, "[run:porto] Book a team dinner in Porto");

    await redis.restart();
    await expect.poll(() => readiness(stack.baseUrl), { timeout: 30_000, interval: 100 }).toEqual({ status: 200, failed: [] });
    const readyAfterMs = Date.now() - killedAt;
    held.open();
    const portoRun = await porto;
    await expect.poll(async () => [(await getRun(ctx, lisbon)).status, (await getRun(ctx, portoRun)).status], { timeout: 60_000, interval: 200 }).toEqual(["succeeded", "succeeded"]);
    console.info(`Redis restart: /readyz 200 again ${(readyAfterMs / 1000).toFixed(1)} s after kill -9 (restart included); both runs done ${((Date.now() - killedAt) / 1000).toFixed(1)} s after it`);

    expect((await listEvents(ctx, {})).map((event) => event.title)).toEqual(["Lisbon offsite"]);
    expect((await listOutbox(ctx, "slack")).map((post) => post.data.text).sort()).toEqual(["Porto dinner booked.", "Started planning the Lisbon offsite.", "Venues shortlisted."]);
    // Each run was worked on by one job, completed once; each model turn was asked for once.
    expect(Object.fromEntries(stack.completions)).toEqual({ [lisbon]: 1, [portoRun]: 1 });
    expect(fake.requests).toHaveLength(5);
    expect(fake.errors).toEqual([]);
    for (const runId of [lisbon, portoRun]) {
      const statuses = (await listRunSteps(ctx, runId)).filter((step) => step.kind === "status_change").map((step) => (step.payload as { to: string }).to);
      expect(statuses.filter((to) => to === "succeeded")).toHaveLength(1);
    }
    const counts = await stack.queue.depth();
    expect(Object.values(counts).every((count) => count === 0), JSON.stringify(counts)).toBe(true);
  }, 120_000);
});
