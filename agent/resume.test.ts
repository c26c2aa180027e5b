/**
 * Crash and resume: a run is killed (SIGKILL) right after each kind of step — a persisted model
 * turn, a started tool call, a finished tool call, an approval request, an approved call started —
 * and resumed each time in a new process. It must end exactly as an uninterrupted run does, with
 * every side effect made once (counted in the sandbox outbox): one deposit, one SMS per guest, one
 * Slack post. How long a fresh process takes to resume and reach the next step is reported.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listApprovals } from "../domain/approvals.js";
import type { DomainContext } from "../domain/context.js";
import { listEvents } from "../domain/events.js";
import { submitPlanningRequest } from "../domain/planning-requests.js";
import { getRun } from "../domain/runs.js";
import { listOutbox } from "../domain/sandbox.js";
import { listToolCalls } from "../domain/tool-calls.js";
import { ensureWorkspace } from "../domain/workspaces.js";
import { loadConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { decideRunApproval } from "./approvals.js";
import { executeRun } from "./execute.js";
import { selectModel } from "./model/select.js";
import { startFakeAnthropic, type ScriptedTurn } from "./model/testing/fake-anthropic.js";

const CHILD = fileURLToPath(new URL("./testing/crash-child.ts", import.meta.url));
const logger = createLogger({ level: "silent" });
const usage = { input_tokens: 100, output_tokens: 10 };
const use = (id: string, name: string, input: Record<string, unknown>) => ({ type: "tool_use" as const, id, name, input });

const GUESTS = ["+351912345678", "+351912345679"];
const TEAM_POST = "Lisbon offsite: event created, deposit requested.";

/** Create the event; post internally and pay a deposit (approval); text two guests (approvals); answer. */
const SCRIPT: ScriptedTurn[] = [
  { content: [use("toolu_1", "postgres__create_event", { title: "Lisbon offsite", kind: "offsite", city: "Lisbon", timeZone: "Europe/Lisbon", headcount: 40, currency: "EUR" })], stop_reason: "tool_use", usage },
  {
    content: [
      use("toolu_2", "slack__post_message", { text: TEAM_POST }),
      use("toolu_3", "stripe__pay_vendor_deposit", { vendorName: "Tagus Riverside Hall", description: "30% venue deposit", amountMinor: 450_000, currency: "EUR" }),
    ],
    stop_reason: "tool_use",
    usage,
  },
  { content: GUESTS.map((to, index) => use(`toolu_sms${index}`, "twilio__send_sms", { to, body: "You are invited to the Lisbon offsite, 2-3 March." })), stop_reason: "tool_use", usage },
  { content: [{ type: "text", text: "Planned: event, deposit paid, guests invited." }], stop_reason: "end_turn", usage },
];

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase("postgres");
});
afterAll(async () => {
  await database.drop();
});

async function newRun(fakeUrl: string) {
  const workspace = await ensureWorkspace(database.db, `resume-${randomBytes(4).toString("hex")}`);
  const ctx: DomainContext = { db: database.db, workspaceId: workspace.id, actor: { kind: "system" } };
  const { run } = await submitPlanningRequest(ctx, { content: "Plan the Lisbon offsite", provider: "anthropic" });
  // No SMS quiet hours: the children run on the real clock, and the suite runs at any hour.
  const env = { DATABASE_URL: database.url!, ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: fakeUrl, LOG_LEVEL: "warn", RUN_ID: run.id, WORKSPACE_ID: workspace.id, TWILIO_QUIET_HOURS: "00:00-00:00" };
  return { workspace, ctx, runId: run.id, env };
}

async function approveAll(ctx: DomainContext, runId: string): Promise<number> {
  const pending = await listApprovals(ctx, { runId, status: "pending" });
  for (const approval of pending) await decideRunApproval({ ...ctx, actor: { kind: "user", id: "key-ana" } }, approval.id, { decision: "approve" });
  return pending.length;
}

/** Everything a person would look at afterwards, without ids and timestamps. */
async function finalState(ctx: DomainContext, runId: string) {
  const run = await getRun(ctx, runId);
  const outbox = await listOutbox(ctx);
  const calls = await listToolCalls(ctx, { runId });
  return {
    status: run.status,
    text: run.result?.text,
    events: (await listEvents(ctx)).map((event) => ({ title: event.title, headcount: event.headcount })),
    outbox: outbox.map((object) => `${object.service}/${object.kind}`).sort(),
    payments: outbox.filter((object) => object.kind === "payment").map((object) => (object.data as { amount?: number }).amount),
    sms: outbox
      .filter((object) => object.kind === "sms")
      .map((object) => (object.data as { to?: string }).to)
      .sort(),
    posts: outbox
      .filter((object) => object.service === "slack" && object.kind === "message")
      .map((object) => (object.data as { text?: string }).text)
      .sort(),
    ledger: calls.map((call) => `${call.server}__${call.tool}:${call.status}`).sort(),
    approvals: (await listApprovals(ctx, { runId })).map((approval) => `${approval.action}:${approval.status}`).sort(),
  };
}

function child(env: Record<string, string>, killAt?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", CHILD], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env, ...(killAt ? { KILL_AT: killAt } : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on("error", reject);
    proc.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe("a run killed at every kind of step boundary and resumed in new processes", () => {
  it("ends exactly like an uninterrupted run, with each side effect made once", async () => {
    // The uninterrupted run, in this process.
    const baselineFake = await startFakeAnthropic(SCRIPT);
    const baseline = await newRun(baselineFake.url);
    const config = loadConfig({ ...baseline.env });
    const model = selectModel(config, logger);
    const runIt = () => executeRun({ handle: database.handle, config, logger, model, workspaceId: baseline.workspace.id, runId: baseline.runId });
    expect((await runIt()).status).toBe("awaiting_approval");
    await approveAll(baseline.ctx, baseline.runId);
    expect((await runIt()).status).toBe("awaiting_approval");
    await approveAll(baseline.ctx, baseline.runId);
    expect((await runIt()).status).toBe("succeeded");
    await baselineFake.close();
    const expected = await finalState(baseline.ctx, baseline.runId);
    expect(expected.payments).toEqual([450_000]);
    expect(expected.sms).toEqual(GUESTS);
    // The team's post, and the loop's own request for each of the three approvals.
    expect(expected.posts.filter((text) => text === TEAM_POST)).toHaveLength(1);
    expect(expected.posts.filter((text) => text?.startsWith("Approval needed:"))).toHaveLength(3);

    // The same run, crashed again and again.
    const fake = await startFakeAnthropic(SCRIPT);
    const crashed = await newRun(fake.url);
    // Each crashed process is followed by a fresh one: how long it takes to start, resume and reach the next boundary.
    const resumeMs: number[] = [];
    const killedAt = async (point: string) => {
      const started = Date.now();
      const result = await child(crashed.env, point);
      resumeMs.push(Date.now() - started);
      expect(result.signal, `${point}: ${result.stderr}`).toBe("SIGKILL");
    };
    const survives = async () => {
      const result = await child(crashed.env);
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { status: string }).status;
    };
    await killedAt("model_turn:1"); // the first model turn is persisted
    await killedAt("tool_call:1"); // create_event is recorded as started, not yet called
    await killedAt("tool_result:1"); // create_event finished (retried under its first key)
    await killedAt("approval_requested:1"); // the deposit waits; the Slack post races with the kill
    expect(await survives()).toBe("awaiting_approval");
    expect(await approveAll(crashed.ctx, crashed.runId)).toBe(1);
    await killedAt("tool_call:1"); // the approved deposit is about to be paid
    await killedAt("tool_result:1"); // the deposit is paid
    expect(await survives()).toBe("awaiting_approval");
    expect(await approveAll(crashed.ctx, crashed.runId)).toBe(2);
    await killedAt("tool_result:1"); // one guest's SMS is sent, the other's may be in flight
    expect(await survives()).toBe("succeeded");
    fake.assertAllUsed();
    await fake.close();

    const crashedState = await finalState(crashed.ctx, crashed.runId);
    expect(crashedState).toEqual(expected);
    // Spelled out: one payment, one SMS per guest, one post.
    expect(crashedState.payments).toEqual([450_000]);
    expect(crashedState.sms).toEqual(GUESTS);
    expect(crashedState.posts.filter((text) => text === TEAM_POST)).toHaveLength(1);
    expect(crashedState.posts).toHaveLength(4);
    console.info(`crash and resume: a fresh process resumed and reached the next step boundary in ${(Math.min(...resumeMs) / 1000).toFixed(1)}-${(Math.max(...resumeMs) / 1000).toFixed(1)} s (${resumeMs.length} crashes)`);
  }, 180_000);
});
