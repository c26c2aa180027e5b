import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getApproval, listApprovals } from "../domain/approvals.js";
import type { DomainContext } from "../domain/context.js";
import { listMessages, type CreateConversationInput } from "../domain/conversations.js";
import { listEvents } from "../domain/events.js";
import { submitPlanningRequest } from "../domain/planning-requests.js";
import { getRun, listRunSteps } from "../domain/runs.js";
import { listOutbox } from "../domain/sandbox.js";
import { ensureWorkspace } from "../domain/workspaces.js";
import { approvals, workspaces, type Workspace } from "../drizzle/schema/index.js";
import { loadConfig, type Config } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { decideRunApproval } from "./approvals.js";
import { RunEvents, type RunEvent } from "./events.js";
import { runAgent } from "./loop.js";
import { McpClientManager } from "./mcp/manager.js";
import { createAnthropicModel } from "./model/anthropic.js";
import { costMicros } from "./model/pricing.js";
import { startFakeAnthropic, type FakeAnthropic, type ScriptedTurn } from "./model/testing/fake-anthropic.js";
import { TAINT_REASON } from "./policy/decide.js";

const logger = createLogger({ level: "silent" });
const MODEL = "claude-sonnet-4-6";
const EVENT_ARGS = { title: "Lisbon offsite", kind: "offsite", city: "Lisbon", timeZone: "Europe/Lisbon", headcount: 40, currency: "EUR" };
const usage = (input = 100, output = 20, cacheWrite = 0, cacheRead = 0) => ({ input_tokens: input, output_tokens: output, cache_creation_input_tokens: cacheWrite, cache_read_input_tokens: cacheRead });
const toolUse = (id: string, name: string, input: Record<string, unknown>) => ({ type: "tool_use" as const, id, name, input });
const text = (value: string) => ({ type: "text" as const, text: value });
const done = (answer = "Here is the plan.") => ({ content: [text(answer)], stop_reason: "end_turn" as const, usage: usage() });

let database: TestDatabase;
let dataDir: string;
const open: { fake?: FakeAnthropic; mcp?: McpClientManager }[] = [];

beforeAll(async () => {
  database = await createTestDatabase("postgres");
  dataDir = mkdtempSync(path.join(tmpdir(), "ept-loop-"));
});
afterAll(async () => {
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const item of open.splice(0)) {
    await item.mcp?.close();
    await item.fake?.close();
  }
});

interface Harness {
  fake: FakeAnthropic;
  config: Config;
  workspace: Workspace;
  ctx: DomainContext;
  runId: string;
  conversationId: string;
  events: RunEvent[];
  /** Run (or resume) the run in this process until it finishes or waits. */
  go(): ReturnType<typeof runAgent>;
  decide(decision: "approve" | "reject", options?: { note?: string; editedArgs?: Record<string, unknown> }): Promise<void>;
}

async function harness(
  script: ScriptedTurn[],
  env: Record<string, string> = {},
  request = "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000",
  conversation?: CreateConversationInput,
): Promise<Harness> {
  const fake = await startFakeAnthropic(script);
  const config = loadConfig({ EVENT_PLANNER_DATA_DIR: dataDir, ANTHROPIC_API_KEY: "sk-ant-test-key", ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MODEL: MODEL, ...env });
  const workspace = await ensureWorkspace(database.db, `loop-${randomBytes(4).toString("hex")}`);
  const ctx: DomainContext = { db: database.db, workspaceId: workspace.id, actor: { kind: "system" } };
  const submitted = await submitPlanningRequest(ctx, { content: request, provider: "anthropic", model: MODEL, ...(conversation ? { conversation } : {}) });
  const { run } = submitted;
  const mcp = await McpClientManager.connect({ config, logger, workspace, handle: database.handle, runId: run.id });
  open.push({ fake, mcp });
  const model = createAnthropicModel(config, { maxRetries: 2 });
  const events: RunEvent[] = [];
  const bus = new RunEvents();
  bus.subscribe((event) => events.push(event));
  const reread = async () => (await database.db.select().from(workspaces).where(eq(workspaces.id, workspace.id)))[0]!;
  return {
    fake,
    config,
    workspace,
    ctx,
    runId: run.id,
    conversationId: submitted.conversation.id,
    events,
    go: async () => runAgent({ db: database.db, config, logger, model, provider: "anthropic", mcp, events: bus }, { workspace: await reread(), runId: run.id }),
    async decide(decision, options = {}) {
      const [pending] = await listApprovals(ctx, { runId: run.id, status: "pending" });
      if (!pending) throw new Error("no pending approval");
      await decideRunApproval({ ...ctx, actor: { kind: "user", id: "key-ana" } }, pending.id, { decision, ...options });
    },
  };
}

async function stepKinds(h: Harness): Promise<string[]> {
  return (await listRunSteps(h.ctx, h.runId)).map((step) => step.kind);
}

type RecordedBlock = { type: string; tool_use_id?: string; is_error?: boolean; content?: unknown };
function toolResultsOf(fake: FakeAnthropic, request: number): RecordedBlock[] {
  const last = fake.requests[request]!.body.messages.at(-1)!;
  return (last.content as RecordedBlock[]).filter((block) => block.type === "tool_result");
}

describe("agent loop over the fake Messages API", () => {
  it("runs a multi-step tool loop with parallel calls, persisting every step and the usage", async () => {
    const h = await harness([
      { content: [text("Creating the event."), toolUse("toolu_1", "postgres__create_event", EVENT_ARGS)], stop_reason: "tool_use", usage: usage(1000, 50, 800, 0) },
      {
        content: [toolUse("toolu_2", "postgres__list_events", {}), toolUse("toolu_3", "slack__post_message", { text: "Planning the Lisbon offsite." })],
        stop_reason: "tool_use",
        usage: usage(200, 40, 100, 800),
      },
      { ...done("Plan: Lisbon offsite for 40."), usage: usage(300, 60, 50, 900) },
    ]);
    const run = await h.go();
    expect(run.status).toBe("succeeded");
    expect(run.result).toMatchObject({ text: "Plan: Lisbon offsite for 40.", turns: 3 });
    h.fake.assertAllUsed();

    // Every step is in the database, in order, with the parallel pair recorded as two calls.
    const kinds = await stepKinds(h);
    expect(kinds[0]).toBe("status_change");
    expect(kinds.filter((kind) => kind === "model_turn")).toHaveLength(3);
    expect(kinds.filter((kind) => kind === "tool_call")).toHaveLength(3);
    expect(kinds.filter((kind) => kind === "tool_result")).toHaveLength(3);
    expect(kinds.at(-1)).toBe("status_change");

    // The tools really ran: the event exists and the internal post landed in the sandbox Slack.
    expect((await listEvents(h.ctx)).map((event) => event.title)).toEqual(["Lisbon offsite"]);
    expect((await listOutbox(h.ctx, "slack")).map((post) => post.data)).toEqual([expect.objectContaining({ text: "Planning the Lisbon offsite." })]);

    // The model got both parallel results in one user message, in its own order.
    expect(toolResultsOf(h.fake, 2).map((block) => block.tool_use_id)).toEqual(["toolu_2", "toolu_3"]);
    // It never sees idempotency keys or the loop's own Slack approval tool.
    const tools = h.fake.requests[0]!.body.tools as { name: string; input_schema: { properties: Record<string, unknown> } }[];
    expect(tools.some((tool) => tool.name === "slack__post_approval_request")).toBe(false);
    expect(tools.find((tool) => tool.name === "postgres__create_event")!.input_schema.properties).not.toHaveProperty("idempotency_key");

    // Usage per run: each kind of token summed, cost from the price table.
    expect(run).toMatchObject({ inputTokens: 1500, outputTokens: 150, cacheWriteTokens: 950, cacheReadTokens: 1700 });
    const expected = [usage(1000, 50, 800, 0), usage(200, 40, 100, 800), usage(300, 60, 50, 900)]
      .map((u) => costMicros(MODEL, { inputTokens: u.input_tokens, outputTokens: u.output_tokens, cacheWriteTokens: u.cache_creation_input_tokens, cacheReadTokens: u.cache_read_input_tokens }))
      .reduce((a, b) => a + b, 0);
    expect(run.costMicros).toBe(expected);
    expect(run.costMicros).toBeGreaterThan(0);

    // The answer joins the conversation; progress events were emitted for the CLI and the worker.
    const thread = await listMessages(h.ctx, h.conversationId);
    expect(thread.map((message) => message.role)).toEqual(["user", "assistant"]);
    expect(thread[1]!.content).toBe("Plan: Lisbon offsite for 40.");
    expect(h.events.map((event) => event.type)).toEqual(expect.arrayContaining(["run_started", "model_turn", "tool_call", "tool_result", "usage", "finished"]));
    expect(h.events.at(-1)).toMatchObject({ type: "finished", status: "succeeded" });
  });

  it("answers bad tool input, unknown tools and tool errors with is_error results the model can read", async () => {
    const h = await harness([
      {
        content: [
          { type: "tool_use", id: "toolu_bad_json", name: "postgres__create_event", input: {}, rawInputJson: '"just a string"' },
          toolUse("toolu_unknown", "postgres__drop_everything", {}),
          toolUse("toolu_invalid", "postgres__create_event", { ...EVENT_ARGS, headcount: -3 }),
        ],
        stop_reason: "tool_use",
        usage: usage(),
      },
      done("I could not create the event."),
    ]);
    const run = await h.go();
    expect(run.status).toBe("succeeded");
    const results = toolResultsOf(h.fake, 1);
    expect(results.map((block) => [block.tool_use_id, block.is_error])).toEqual([
      ["toolu_bad_json", true],
      ["toolu_unknown", true],
      ["toolu_invalid", true],
    ]);
    expect(String(results[0]!.content)).toMatch(/^invalid_input:/);
    expect(String(results[1]!.content)).toMatch(/no tool named postgres__drop_everything/);
    expect(String(results[2]!.content)).toMatch(/headcount/);
    expect(await listEvents(h.ctx)).toEqual([]);
  });

  it("retries 429 and 529 through the SDK and carries on", async () => {
    const h = await harness([{ error: { status: 429 }, retryAfterSeconds: 0 }, { error: { status: 529 } }, done("Done after retries.")]);
    const run = await h.go();
    expect(run.status).toBe("succeeded");
    expect(h.fake.requests).toHaveLength(3);
    h.fake.assertAllUsed();
  });

  it("fails with a plain reason when the answer is cut off at max_tokens", async () => {
    const h = await harness([{ content: [text("The plan is")], stop_reason: "max_tokens", usage: usage() }]);
    const run = await h.go();
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "model_output_limit" });
    expect(run.error!.message).toMatch(/cut off/);
  });

  it("fails when the model keeps failing after the SDK's retries", async () => {
    const h = await harness([{ error: { status: 529 } }, { error: { status: 529 } }, { error: { status: 529 } }]);
    const run = await h.go();
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "model_failed" });
    expect(run.error!.message).toMatch(/overloaded/i);
  });

  it("stops at the step limit with a reason naming it", async () => {
    const h = await harness(
      [
        { content: [toolUse("toolu_a", "postgres__list_events", {})], stop_reason: "tool_use", usage: usage() },
        { content: [toolUse("toolu_b", "postgres__list_events", {})], stop_reason: "tool_use", usage: usage() },
      ],
      { AGENT_MAX_STEPS: "2" },
    );
    const run = await h.go();
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "step_limit" });
    expect(run.error!.message).toMatch(/2 model steps.*AGENT_MAX_STEPS=2/);
    h.fake.assertAllUsed();
  });

  it("stops at the cost and token limits", async () => {
    const costly = await harness([{ content: [toolUse("toolu_a", "postgres__list_events", {})], stop_reason: "tool_use", usage: usage(400_000, 1000) }], { AGENT_MAX_COST_USD: "0.5" });
    const byCost = await costly.go();
    expect(byCost.error).toMatchObject({ code: "cost_limit" });
    expect(byCost.error!.message).toMatch(/\$1\.\d\d.*limit of \$0\.50/);

    const wordy = await harness([{ content: [toolUse("toolu_a", "postgres__list_events", {})], stop_reason: "tool_use", usage: usage(5000, 100) }], { AGENT_MAX_TOKENS: "5000" });
    const byTokens = await wordy.go();
    expect(byTokens.error).toMatchObject({ code: "token_limit" });
    expect(byTokens.error!.message).toMatch(/5100 tokens/);
  });

  it("enforces the workspace's monthly model budget before each model call", async () => {
    const h = await harness([{ content: [toolUse("toolu_a", "postgres__list_events", {})], stop_reason: "tool_use", usage: usage(10_000, 500) }]);
    await database.db.update(workspaces).set({ monthlyBudgetMicros: 1000 }).where(eq(workspaces.id, h.workspace.id));
    const run = await h.go();
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "workspace_budget" });
    expect(run.error!.message).toMatch(/monthly budget of \$0\.00/);
    h.fake.assertAllUsed();
  });
});

describe("approvals in the loop", () => {
  const deposit = { vendorName: "Tagus Riverside Hall", description: "30% venue deposit", amountMinor: 450_000, currency: "EUR" };

  it("pauses on a payment, lets the rest of the turn run, and pays exactly the edited amount once approved", async () => {
    const h = await harness([
      { content: [toolUse("toolu_pay", "stripe__pay_vendor_deposit", deposit), toolUse("toolu_post", "slack__post_message", { text: "Deposit requested." })], stop_reason: "tool_use", usage: usage() },
      done("Deposit paid."),
    ]);
    const paused = await h.go();
    expect(paused.status).toBe("awaiting_approval");
    const [approval] = await listApprovals(h.ctx, { runId: h.runId });
    expect(approval).toMatchObject({ status: "pending", action: "stripe__pay_vendor_deposit", amountMinor: 450_000, currency: "EUR", recipients: ["Tagus Riverside Hall"] });
    expect(approval!.summary).toMatch(/Pay Tagus Riverside Hall a deposit of €4,500\.00 EUR/);
    // Nothing was paid; the internal post went out; the team was asked in Slack.
    expect(await listOutbox(h.ctx, "payment")).toEqual([]);
    const posts = await listOutbox(h.ctx, "slack");
    expect(posts).toHaveLength(2);
    expect(posts.filter((post) => JSON.stringify(post.data).includes(approval!.id))).toHaveLength(1);
    expect(h.events).toContainEqual(expect.objectContaining({ type: "approval_requested", approvalId: approval!.id }));

    await h.decide("approve", { note: "lower it", editedArgs: { ...approval!.payload, amountMinor: 300_000 } });
    const finished = await h.go();
    expect(finished.status).toBe("succeeded");
    const payments = await listOutbox(h.ctx, "payment");
    expect(payments).toHaveLength(1);
    expect(payments[0]!.data).toMatchObject({ amount: 300_000, currency: "eur" });
    expect((await getApproval(h.ctx, approval!.id)).approvedPayload).toMatchObject({ amountMinor: 300_000 });
    const decided = (await listRunSteps(h.ctx, h.runId)).find((step) => step.kind === "approval_decided");
    expect(decided!.payload).toMatchObject({ status: "approved", edited: true, note: "lower it" });

    // Resuming a finished run changes nothing and pays nothing more.
    expect((await h.go()).status).toBe("succeeded");
    expect(await listOutbox(h.ctx, "payment")).toHaveLength(1);
  });

  it("answers a request that came from a Slack thread in that thread: the wait for approval, then the plan, once each", async () => {
    const thread = { channel: "D0ANA00001", ts: "1712345678.000100" };
    const h = await harness(
      [{ content: [toolUse("toolu_pay", "stripe__pay_vendor_deposit", deposit)], stop_reason: "tool_use", usage: usage() }, done("Deposit paid; the plan is ready.")],
      {},
      undefined,
      { channel: "slack", externalRef: `${thread.channel}:${thread.ts}` },
    );
    expect((await h.go()).status).toBe("awaiting_approval");
    await h.decide("approve");
    expect((await h.go()).status).toBe("succeeded");
    expect((await h.go()).status).toBe("succeeded");
    // The outbox lists newest first.
    const inThread = (await listOutbox(h.ctx, "slack")).filter((post) => post.data.channel === thread.channel);
    expect(inThread.map((post) => [post.data.thread_ts, post.data.text])).toEqual([
      [thread.ts, "Deposit paid; the plan is ready."],
      [thread.ts, expect.stringMatching(/^Waiting for the team's approval: Pay Tagus Riverside Hall/)],
    ]);
    // The model is never offered the loop's own answering tool.
    expect(JSON.stringify(h.fake.requests[0]?.body)).not.toContain("answer_in_thread");
  });

  it("tells the model about a rejection, with the note, and continues", async () => {
    const h = await harness([{ content: [toolUse("toolu_pay", "stripe__pay_vendor_deposit", deposit)], stop_reason: "tool_use", usage: usage() }, done("The deposit was not paid.")]);
    expect((await h.go()).status).toBe("awaiting_approval");
    await h.decide("reject", { note: "wait for the contract" });
    const run = await h.go();
    expect(run.status).toBe("succeeded");
    const [result] = toolResultsOf(h.fake, 1);
    expect(result).toMatchObject({ tool_use_id: "toolu_pay", is_error: true });
    expect(String(result!.content)).toMatch(/rejected the call to stripe__pay_vendor_deposit.*wait for the contract/);
    expect(await listOutbox(h.ctx, "payment")).toEqual([]);
  });

  it("treats an approval past its deadline as refused", async () => {
    const h = await harness([{ content: [toolUse("toolu_sms", "twilio__send_sms", { to: "+351912345678", body: "You are invited!" })], stop_reason: "tool_use", usage: usage() }, done("No SMS sent.")]);
    expect((await h.go()).status).toBe("awaiting_approval");
    await database.db.update(approvals).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(approvals.runId, h.runId));
    await expect(h.decide("approve")).rejects.toThrow(/no pending approval/);
    const run = await h.go();
    expect(run.status).toBe("succeeded");
    expect(String(toolResultsOf(h.fake, 1)[0]!.content)).toMatch(/Nobody approved the call to twilio__send_sms in time/);
    expect(await listOutbox(h.ctx, "sms")).toEqual([]);
  });

  it("refuses a replayed decision", async () => {
    const h = await harness([{ content: [toolUse("toolu_pay", "stripe__pay_vendor_deposit", deposit)], stop_reason: "tool_use", usage: usage() }]);
    await h.go();
    const [approval] = await listApprovals(h.ctx, { runId: h.runId });
    const approver = { ...h.ctx, actor: { kind: "user" as const, id: "key-ana" } };
    await decideRunApproval(approver, approval!.id, { decision: "reject" });
    await expect(decideRunApproval(approver, approval!.id, { decision: "approve" })).rejects.toMatchObject({ code: "invalid_state", details: { reason: "already_decided" } });
    // The agent itself may never decide.
    await expect(decideRunApproval({ ...h.ctx, actor: { kind: "agent", id: h.runId } }, approval!.id, { decision: "approve" })).rejects.toMatchObject({ code: "forbidden" });
  });

  it("after reading outside text, gates even a database write behind an approval (taint)", async () => {
    const h = await harness([
      { content: [toolUse("toolu_read", "twilio__list_inbound_messages", {})], stop_reason: "tool_use", usage: usage() },
      { content: [toolUse("toolu_create", "postgres__create_event", EVENT_ARGS)], stop_reason: "tool_use", usage: usage() },
    ]);
    const run = await h.go();
    expect(run.status).toBe("awaiting_approval");
    const [approval] = await listApprovals(h.ctx, { runId: h.runId });
    expect(approval!.action).toBe("postgres__create_event");
    const requested = (await listRunSteps(h.ctx, h.runId)).find((step) => step.kind === "approval_requested");
    expect(requested!.payload.reasons).toEqual([TAINT_REASON]);
    expect(await listEvents(h.ctx)).toEqual([]);
    expect((await getRun(h.ctx, h.runId)).status).toBe("awaiting_approval");
  });
});
