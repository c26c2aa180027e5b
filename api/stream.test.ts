import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunEvent } from "../agent/events.js";
import type { DomainContext } from "../domain/context.js";
import { createConversation } from "../domain/conversations.js";
import { appendRunStep, createRun, requestRunCancel, transitionRun } from "../domain/runs.js";
import type { Run } from "../drizzle/schema/index.js";
import { createHarness, errorOf, type Harness } from "./testing/harness.js";
import { openSse, parseSseFrames, type SseClient } from "./testing/sse.js";

let h: Harness;
let base: string;
const clients: SseClient[] = [];

beforeAll(async () => {
  // A short heartbeat so the status check it carries is exercised; no assertion depends on its timing.
  h = await createHarness({ options: { sseHeartbeatMs: 100 } });
  base = await h.listen();
});
afterEach(() => {
  h.progress.onSubscribe = undefined;
  for (const client of clients.splice(0)) client.close();
});
afterAll(async () => {
  await h.close();
});

async function runningRunWithSteps(ctx: DomainContext, steps: number): Promise<Run> {
  const conversation = await createConversation(ctx);
  const { run } = await createRun(ctx, { conversationId: conversation.id });
  await transitionRun(ctx, run.id, "running");
  for (let seq = 0; seq < steps; seq++) await appendRunStep(ctx, run.id, { seq, kind: "tool_call", payload: { tool: `tool_${seq}`, args: {} } });
  return run;
}

async function open(runId: string, auth: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(`${base}/v1/runs/${runId}/stream`, { Authorization: auth, ...headers });
  clients.push(client);
  return client;
}

describe("GET /v1/runs/:id/stream", () => {
  it("replays the persisted steps, then follows live events, dropping those already sent, and ends on a terminal finish", async () => {
    const { auth, ctx } = await h.workspace();
    const run = await runningRunWithSteps(ctx, 2);
    const stream = await open(run.id, auth);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    expect(stream.headers.get("cache-control")).toBe("no-cache");
    expect(stream.headers.get("x-accel-buffering")).toBe("no");

    expect(await stream.next()).toMatchObject({ id: "0", event: "step", data: { runId: run.id, seq: 0, kind: "tool_call", payload: { tool: "tool_0" } } });
    expect(await stream.next()).toMatchObject({ id: "1", event: "step", data: { seq: 1 } });
    expect(h.progress.subscribers(run.id)).toBe(1);

    const live: RunEvent[] = [
      { type: "tool_call", runId: run.id, seq: 1, toolUseId: "t1", tool: "tool_1", args: {} },
      { type: "tool_result", runId: run.id, seq: 2, toolUseId: "t1", tool: "tool_1", isError: false, content: "3 venues" },
      { type: "text_delta", runId: run.id, delta: "Here" },
      { type: "finished", runId: run.id, status: "awaiting_approval" },
      { type: "approval_decided", runId: run.id, seq: 3, approvalId: "a1", status: "approved", edited: false },
      { type: "finished", runId: run.id, status: "succeeded", text: "Done" },
      { type: "text_delta", runId: run.id, delta: "never sent: the stream has ended" },
    ];
    for (const event of live) h.progress.emit(event);

    expect(await stream.next()).toEqual({ id: "2", event: "tool_result", data: live[1] });
    expect(await stream.next()).toEqual({ event: "text_delta", data: live[2] });
    // A pause for approval is reported but does not end the stream.
    expect(await stream.next()).toEqual({ event: "finished", data: live[3] });
    expect(await stream.next()).toEqual({ id: "3", event: "approval_decided", data: live[4] });
    expect(await stream.next()).toEqual({ event: "finished", data: live[5] });
    expect(await stream.next()).toBeUndefined();
    await vi.waitFor(() => expect(h.progress.subscribers(run.id)).toBe(0));
  });

  it("loses nothing published between subscribing and the end of the replay", async () => {
    const { auth, ctx } = await h.workspace();
    const run = await runningRunWithSteps(ctx, 1);
    h.progress.onSubscribe = (runId) => {
      h.progress.emit({ type: "tool_call", runId, seq: 0, toolUseId: "t0", tool: "tool_0", args: {} });
      h.progress.emit({ type: "tool_result", runId, seq: 1, toolUseId: "t0", tool: "tool_0", isError: false, content: "ok" });
    };
    const stream = await open(run.id, auth);
    expect(await stream.next()).toMatchObject({ id: "0", event: "step" });
    // seq 0 came live too but was already sent as a step; seq 1 was held back until the replay was out.
    expect(await stream.next()).toMatchObject({ id: "1", event: "tool_result" });
  });

  it("resumes after Last-Event-ID, and ends at once with the stored outcome when the run is already over", async () => {
    const { auth, ctx } = await h.workspace();
    const run = await runningRunWithSteps(ctx, 3);
    await transitionRun(ctx, run.id, "succeeded", { result: { text: "The plan" } });
    const res = await request(h.app.callback()).get(`/v1/runs/${run.id}/stream`).set("Authorization", auth).set("Last-Event-ID", "0").buffer(true).parse((response, done) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => done(null, text));
    }).expect(200);
    const { frames } = parseSseFrames(res.body as string);
    expect(frames.map((frame) => [frame.id, frame.event])).toEqual([
      ["1", "step"],
      ["2", "step"],
      [undefined, "finished"],
    ]);
    expect(frames[2]?.data).toEqual({ type: "finished", runId: run.id, status: "succeeded", text: "The plan" });
    expect(h.progress.subscribers(run.id)).toBe(0);
  });

  it("refuses a Last-Event-ID that is not a step seq", async () => {
    const { auth, ctx } = await h.workspace();
    const run = await runningRunWithSteps(ctx, 0);
    const res = await request(h.app.callback()).get(`/v1/runs/${run.id}/stream`).set("Authorization", auth).set("Last-Event-ID", "abc").expect(400);
    expect(errorOf(res).details?.field).toBe("last-event-id");
  });

  it("unsubscribes when the client goes away", async () => {
    const { auth, ctx } = await h.workspace();
    const run = await runningRunWithSteps(ctx, 1);
    const stream = await open(run.id, auth);
    expect(await stream.next()).toMatchObject({ id: "0" });
    expect(h.progress.subscribers(run.id)).toBe(1);
    stream.close();
    await vi.waitFor(() => expect(h.progress.subscribers(run.id)).toBe(0));
  });

  it("notices a run that ended without a live event (cancelled while queued) at a heartbeat, and ends", async () => {
    const { auth, ctx } = await h.workspace();
    const conversation = await createConversation(ctx);
    const { run } = await createRun(ctx, { conversationId: conversation.id });
    const stream = await open(run.id, auth);
    await vi.waitFor(() => expect(h.progress.subscribers(run.id)).toBe(1));
    await requestRunCancel(ctx, run.id);
    expect(await stream.next()).toEqual({ event: "finished", data: { type: "finished", runId: run.id, status: "cancelled" } });
    expect(await stream.next()).toBeUndefined();
    expect(stream.comments()).toContain("heartbeat");
  });
});
