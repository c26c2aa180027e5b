import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConversation, listMessages } from "../domain/conversations.js";
import { getRun, listRuns } from "../domain/runs.js";
import { bodyOf, createHarness, dataOf, errorOf, type Harness } from "./testing/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const api = () => request(h.app.callback());

describe("POST /v1/conversations", () => {
  it("creates a conversation, with or without a title", async () => {
    const { auth, ctx } = await h.workspace();
    const bare = await api().post("/v1/conversations").set("Authorization", auth).expect(201);
    expect(bodyOf(bare).id).toMatch(/^[0-9a-f-]{36}$/);
    expect(bare.headers.location).toBe(`/v1/conversations/${bodyOf<{ id: string }>(bare).id}`);
    const titled = await api().post("/v1/conversations").set("Authorization", auth).send({ title: " Lisbon offsite " }).expect(201);
    expect(titled.body).toMatchObject({ title: "Lisbon offsite", channel: "api", workspaceId: ctx.workspaceId });
    // Dates leave as ISO strings.
    expect(bodyOf(titled).createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it("names the field it refuses, including a field it does not know", async () => {
    const { auth } = await h.workspace();
    const empty = await api().post("/v1/conversations").set("Authorization", auth).send({ title: "  " }).expect(400);
    expect(errorOf(empty)).toMatchObject({ code: "validation_failed", details: { field: "title" } });
    expect(errorOf(empty).message).toMatch(/^title: /);
    const extra = await api().post("/v1/conversations").set("Authorization", auth).send({ channel: "slack" }).expect(400);
    expect(errorOf(extra).message).toContain("channel");
  });
});

describe("GET /v1/conversations", () => {
  it("lists only the key's workspace, most recently active first", async () => {
    const mine = await h.workspace();
    const other = await h.workspace();
    const older = await createConversation(mine.ctx, { title: "older" });
    const newer = await createConversation(mine.ctx, { title: "newer" });
    await createConversation(other.ctx, { title: "not mine" });
    const res = await api().get("/v1/conversations").set("Authorization", mine.auth).expect(200);
    expect(dataOf(res).map((c) => c.id)).toEqual([newer.id, older.id]);
    const limited = await api().get("/v1/conversations?limit=1").set("Authorization", mine.auth).expect(200);
    expect(dataOf(limited)).toHaveLength(1);
    const bad = await api().get("/v1/conversations?limit=lots").set("Authorization", mine.auth).expect(400);
    expect(errorOf(bad).details?.field).toBe("limit");
  });
});

describe("POST /v1/conversations/:id/messages", () => {
  it("stores the message, queues a run with the configured model and hands it to the workers", async () => {
    const { auth, ctx } = await h.workspace();
    const conversation = await createConversation(ctx);
    const res = await api()
      .post(`/v1/conversations/${conversation.id}/messages`)
      .set("Authorization", auth)
      .send({ content: "Plan a 2-day offsite for 40 people in Lisbon in March" })
      .expect(202);
    expect(res.body).toMatchObject({ runId: expect.any(String) as string, conversationId: conversation.id, status: "queued", created: true });
    expect(res.headers.location).toBe(`/v1/runs/${bodyOf<{ runId: string }>(res).runId}`);
    expect(h.scheduler.calls).toContainEqual({ workspaceId: ctx.workspaceId, runId: bodyOf(res).runId });
    const run = await getRun(ctx, bodyOf<{ runId: string }>(res).runId);
    // No ANTHROPIC_API_KEY in the test config: the offline model.
    expect(run).toMatchObject({ provider: "offline", model: "offline", status: "queued" });
    const messages = await listMessages(ctx, conversation.id);
    expect(messages.map((m) => [m.role, m.content])).toEqual([["user", "Plan a 2-day offsite for 40 people in Lisbon in March"]]);
    expect(run.triggerMessageId).toBe(messages[0]?.id);
  });

  it("returns the same run for a repeated Idempotency-Key and stores the message once", async () => {
    const { auth, ctx } = await h.workspace();
    const conversation = await createConversation(ctx);
    const send = () =>
      api().post(`/v1/conversations/${conversation.id}/messages`).set("Authorization", auth).set("Idempotency-Key", "client-retry-1").send({ content: "Book a venue" }).expect(202);
    const first = await send();
    const again = await send();
    expect(bodyOf(again).runId).toBe(bodyOf(first).runId);
    expect(bodyOf(again).created).toBe(false);
    expect(await listMessages(ctx, conversation.id)).toHaveLength(1);
    expect(await listRuns(ctx, { conversationId: conversation.id })).toHaveLength(1);
    // Enqueued both times: harmless (job id = run id), and it heals a first enqueue that failed.
    expect(h.scheduler.calls.filter((call) => call.runId === bodyOf(first).runId)).toHaveLength(2);
  });

  it("continues the same conversation with a follow-up message", async () => {
    const { auth, ctx } = await h.workspace();
    const conversation = await createConversation(ctx);
    const first = await api().post(`/v1/conversations/${conversation.id}/messages`).set("Authorization", auth).send({ content: "Plan a party" }).expect(202);
    const second = await api().post(`/v1/conversations/${conversation.id}/messages`).set("Authorization", auth).send({ content: "Make it 50 people" }).expect(202);
    expect(bodyOf(second).runId).not.toBe(bodyOf(first).runId);
    const thread = await api().get(`/v1/conversations/${conversation.id}`).set("Authorization", auth).expect(200);
    expect(bodyOf<{ messages: { content: string }[] }>(thread).messages.map((m) => m.content)).toEqual(["Plan a party", "Make it 50 people"]);
    expect(bodyOf<{ runs: { id: string }[] }>(thread).runs.map((r) => r.id)).toEqual([bodyOf(first).runId, bodyOf(second).runId]);
  });

  it("names content when it is missing or blank, and stores nothing", async () => {
    const { auth, ctx } = await h.workspace();
    const conversation = await createConversation(ctx);
    const missing = await api().post(`/v1/conversations/${conversation.id}/messages`).set("Authorization", auth).send({}).expect(400);
    expect(errorOf(missing)).toMatchObject({ code: "validation_failed", details: { field: "content" } });
    const blank = await api().post(`/v1/conversations/${conversation.id}/messages`).set("Authorization", auth).send({ content: "   " }).expect(400);
    expect(errorOf(blank).details?.field).toBe("content");
    const badKey = await api().post(`/v1/conversations/${conversation.id}/messages`).set("Authorization", auth).set("Idempotency-Key", " ").send({ content: "hi" }).expect(400);
    expect(errorOf(badKey).details?.field).toBe("idempotency-key");
    expect(await listMessages(ctx, conversation.id)).toHaveLength(0);
  });

  it("accepts the message when the queue is unreachable (the run is stored; the sweeper enqueues it), and a retry re-enqueues", async () => {
    const { auth, ctx } = await h.workspace();
    const conversation = await createConversation(ctx);
    h.scheduler.failWith = new Error("ECONNREFUSED 127.0.0.1:6379");
    let runId: string;
    try {
      const res = await api().post(`/v1/conversations/${conversation.id}/messages`).set("Authorization", auth).set("Idempotency-Key", "k1").send({ content: "hi" }).expect(202);
      runId = bodyOf<{ runId: string }>(res).runId;
      expect((await getRun(ctx, runId)).status).toBe("queued");
      expect(h.logText()).toContain("the sweeper will enqueue it");
    } finally {
      h.scheduler.failWith = undefined;
    }
    const retry = await api().post(`/v1/conversations/${conversation.id}/messages`).set("Authorization", auth).set("Idempotency-Key", "k1").send({ content: "hi" }).expect(202);
    expect(bodyOf<{ runId: string }>(retry).runId).toBe(runId);
    expect(h.scheduler.calls).toContainEqual({ workspaceId: ctx.workspaceId, runId });
    expect(await listMessages(ctx, conversation.id)).toHaveLength(1);
  });
});

describe("GET /v1/conversations/:id", () => {
  it("answers 404 for another workspace's conversation, and 400 for a malformed id", async () => {
    const mine = await h.workspace();
    const theirs = await h.workspace();
    const foreign = await createConversation(theirs.ctx, { title: "secret" });
    const res = await api().get(`/v1/conversations/${foreign.id}`).set("Authorization", mine.auth).expect(404);
    expect(errorOf(res).code).toBe("not_found");
    await api().post(`/v1/conversations/${foreign.id}/messages`).set("Authorization", mine.auth).send({ content: "hi" }).expect(404);
    expect(await listMessages(theirs.ctx, foreign.id)).toHaveLength(0);
    const malformed = await api().get("/v1/conversations/not-a-uuid").set("Authorization", mine.auth).expect(400);
    expect(errorOf(malformed).details?.field).toBe("id");
  });
});
