import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainContext } from "../domain/context.js";
import { createConversation } from "../domain/conversations.js";
import { appendRunStep, createRun, transitionRun } from "../domain/runs.js";
import type { Run } from "../drizzle/schema/index.js";
import { bodyOf, createHarness, errorOf, type Harness } from "./testing/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const api = () => request(h.app.callback());

async function newRun(ctx: DomainContext): Promise<Run> {
  const conversation = await createConversation(ctx);
  return (await createRun(ctx, { conversationId: conversation.id, provider: "offline", model: "offline" })).run;
}

describe("GET /v1/runs/:id", () => {
  it("shows status, steps in order, usage totals and the outcome", async () => {
    const { auth, ctx } = await h.workspace();
    const run = await newRun(ctx);
    await transitionRun(ctx, run.id, "running");
    await appendRunStep(ctx, run.id, { seq: 0, kind: "model_turn", payload: { turn: 0, text: "Looking for venues" }, usage: { inputTokens: 1200, outputTokens: 80, costMicros: 4_800 } });
    await appendRunStep(ctx, run.id, { seq: 1, kind: "tool_call", payload: { tool: "postgres__search_venues", args: { city: "Lisbon" } } });
    await transitionRun(ctx, run.id, "succeeded", { result: { text: "Here is the plan" } });

    const res = await api().get(`/v1/runs/${run.id}`).set("Authorization", auth).expect(200);
    expect(res.body).toMatchObject({
      id: run.id,
      status: "succeeded",
      usage: { inputTokens: 1200, outputTokens: 80, cacheWriteTokens: 0, cacheReadTokens: 0, costMicros: 4_800 },
      result: { text: "Here is the plan" },
    });
    expect(bodyOf(res).error).toBeUndefined();
    expect(bodyOf<{ steps: { seq: number; kind: string }[] }>(res).steps.map((s) => [s.seq, s.kind])).toEqual([
      [0, "model_turn"],
      [1, "tool_call"],
    ]);
    expect(bodyOf<{ steps: unknown[] }>(res).steps[0]).toMatchObject({ payload: { turn: 0, text: "Looking for venues" }, usage: { inputTokens: 1200, costMicros: 4_800 } });
    expect(typeof bodyOf(res).finishedAt).toBe("string");
  });

  it("shows the error of a failed run", async () => {
    const { auth, ctx } = await h.workspace();
    const run = await newRun(ctx);
    await transitionRun(ctx, run.id, "running");
    await transitionRun(ctx, run.id, "failed", { error: { code: "limit_exceeded", message: "The run reached its 40-step limit" } });
    const res = await api().get(`/v1/runs/${run.id}`).set("Authorization", auth).expect(200);
    expect(res.body).toMatchObject({ status: "failed", error: { code: "limit_exceeded", message: "The run reached its 40-step limit" } });
  });

  it("answers 404 for another workspace's run, on every run route", async () => {
    const mine = await h.workspace();
    const theirs = await h.workspace();
    const foreign = await newRun(theirs.ctx);
    await api().get(`/v1/runs/${foreign.id}`).set("Authorization", mine.auth).expect(404);
    await api().get(`/v1/runs/${foreign.id}/stream`).set("Authorization", mine.auth).expect(404);
    const cancel = await api().post(`/v1/runs/${foreign.id}/cancel`).set("Authorization", mine.auth).expect(404);
    expect(errorOf(cancel).code).toBe("not_found");
    const still = await api().get(`/v1/runs/${foreign.id}`).set("Authorization", theirs.auth).expect(200);
    expect(bodyOf(still).status).toBe("queued");
  });
});

describe("POST /v1/runs/:id/cancel", () => {
  it("cancels a queued run at once and answers with the run", async () => {
    const { auth, ctx } = await h.workspace();
    const run = await newRun(ctx);
    const res = await api().post(`/v1/runs/${run.id}/cancel`).set("Authorization", auth).expect(200);
    expect(res.body).toMatchObject({ id: run.id, status: "cancelled", steps: [] });
    expect(typeof bodyOf(res).cancelRequestedAt).toBe("string");
    // Cancelling again is a no-op.
    await api().post(`/v1/runs/${run.id}/cancel`).set("Authorization", auth).expect(200);
  });

  it("only flags a running run (its worker stops between steps), and refuses a finished one", async () => {
    const { auth, ctx } = await h.workspace();
    const running = await newRun(ctx);
    await transitionRun(ctx, running.id, "running");
    const flagged = await api().post(`/v1/runs/${running.id}/cancel`).set("Authorization", auth).expect(200);
    expect(bodyOf(flagged).status).toBe("running");
    expect(typeof bodyOf(flagged).cancelRequestedAt).toBe("string");

    const done = await newRun(ctx);
    await transitionRun(ctx, done.id, "running");
    await transitionRun(ctx, done.id, "succeeded");
    const refused = await api().post(`/v1/runs/${done.id}/cancel`).set("Authorization", auth).expect(409);
    expect(errorOf(refused)).toMatchObject({ code: "invalid_state", details: { from: "succeeded" } });
  });
});
