/**
 * Postgres dies mid-run and comes back. A private cluster (initdb in a temporary directory) holds
 * the data; the API and a worker run on it in this process, with the queue on the shared Redis.
 * While a run's model turn is in flight the server is stopped with `pg_ctl stop -m immediate`:
 * `/readyz` says 503 and names postgres. The model then answers, the worker cannot store the
 * turn, and the job's attempt fails and is retried with backoff. Postgres starts again: `/readyz`
 * is 200 and the run resumes from its last stored step and finishes once, each side effect once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../agent/model/testing/fake-anthropic.js";
import { listEvents } from "../domain/events.js";
import { getRun, listRunSteps } from "../domain/runs.js";
import { listOutbox } from "../domain/sandbox.js";
import { createDatabase, type DatabaseHandle } from "../drizzle/client.js";
import { runMigrations } from "../drizzle/migrate.js";
import { seedCatalogue } from "../drizzle/seed/seed-catalogue.js";
import { startPrivatePostgres, type PrivatePostgres } from "../test/postgres-cluster.js";
import { gate } from "../test/processes.js";
import { eventThenTwoPosts, turnOf } from "./testing/scripts.js";
import { readiness, startInProcessStack, type InProcessStack } from "./testing/stack.js";

const REDIS_URL = "redis://127.0.0.1:6379";

let postgres: PrivatePostgres;
let handle: DatabaseHandle;
let fake: FakeAnthropic;
let stack: InProcessStack;
const held = gate();

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  handle = await createDatabase({ database: { kind: "postgres", url: postgres.url, poolSize: 4 } });
  await runMigrations(handle);
  await seedCatalogue(handle.db);
  fake = await startFakeAnthropic((request) => eventThenTwoPosts(turnOf(request), { hold: held.promise }));
  stack = await startInProcessStack({ handle, databaseUrl: postgres.url, redisUrl: REDIS_URL, anthropicUrl: fake.url });
});
afterAll(async () => {
  held.open();
  await stack?.close();
  await handle?.close();
  await fake?.close();
  await postgres?.destroy();
});

describe("Postgres restarted mid-run", () => {
  it("/readyz turns 503 naming postgres, then 200; the run resumes from its stored steps and finishes once", async () => {
    expect(await readiness(stack.baseUrl)).toEqual({ status: 200, failed: [] });
    const { ctx, auth } = await stack.workspace();
    const runId = await stack.submit(auth, "Plan a 2-day offsite for 40 people in Lisbon");
    await expect.poll(() => fake.requests.length, { timeout: 30_000, interval: 50 }).toBe(2);

    await postgres.crash();
    const crashedAt = Date.now();
    expect(await readiness(stack.baseUrl)).toEqual({ status: 503, failed: ["postgres"] });
    // The model answers while the database is away: the worker cannot store the turn, so this attempt fails.
    held.open();
    await expect.poll(() => stack.failures.get(runId) ?? 0, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(1);

    await postgres.start();
    await expect.poll(() => readiness(stack.baseUrl), { timeout: 30_000, interval: 100 }).toEqual({ status: 200, failed: [] });
    const readyAfterMs = Date.now() - crashedAt;
    await expect.poll(async () => (await getRun(ctx, runId)).status, { timeout: 60_000, interval: 200 }).toBe("succeeded");
    console.info(
      `Postgres restart: /readyz 200 again ${(readyAfterMs / 1000).toFixed(1)} s after the crash (restart included); run done ${((Date.now() - crashedAt) / 1000).toFixed(1)} s after it, ${String(stack.failures.get(runId))} failed attempt(s)`,
    );

    expect((await listEvents(ctx, {})).map((event) => event.title)).toEqual(["Lisbon offsite"]);
    expect((await listOutbox(ctx, "slack")).map((post) => post.data.text).sort()).toEqual(["Started planning the Lisbon offsite.", "Venues shortlisted."]);
    expect(Object.fromEntries(stack.completions)).toEqual({ [runId]: 1 });
    // The turn that could not be stored is asked again; the stored first turn is not.
    expect(fake.requests.map(turnOf)).toEqual([0, 1, 1, 2]);
    expect(fake.errors).toEqual([]);
    const steps = await listRunSteps(ctx, runId);
    expect(steps.filter((step) => step.kind === "model_turn")).toHaveLength(3);
    expect(steps.filter((step) => step.kind === "tool_call")).toHaveLength(3);
    expect(steps.filter((step) => step.kind === "status_change" && (step.payload as { to: string }).to === "succeeded")).toHaveLength(1);
  }, 120_000);
});
