/**
 * An MCP server killed in the middle of a side-effect call. The Stripe server runs as its own
 * process (`event-planner mcp stripe --http`), its SDK pointed at the fake Stripe, which takes the
 * deposit and then holds its answer while the test kills the server with SIGKILL. The agent's
 * McpClientManager notices the lost connection and reconnects to the restarted server; the loop
 * retries the call with the same idempotency key, the server's ledger lets a retry-safe call
 * through, and Stripe replays the first answer for that key. One payment, not two.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listApprovals } from "../../domain/approvals.js";
import type { DomainContext } from "../../domain/context.js";
import { submitPlanningRequest } from "../../domain/planning-requests.js";
import { getRun, listRunSteps } from "../../domain/runs.js";
import { listToolCalls } from "../../domain/tool-calls.js";
import { ensureWorkspace } from "../../domain/workspaces.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { startFakeStripe, type FakeStripe } from "../../mcp-servers/stripe/testing/fake-stripe.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { gate, killHard, spawnProduct, waitForOutput, type Spawned } from "../../test/processes.js";
import { decideRunApproval } from "../approvals.js";
import { runAgent } from "../loop.js";
import { selectModel } from "../model/select.js";
import { startFakeAnthropic, type ScriptedTurn } from "../model/testing/fake-anthropic.js";
import { McpClientManager } from "./manager.js";

const TOKEN = "mcp-restart-test-token-0123456789";
const SECRET_KEY = "sk_test_mcp_restart_0123456789";
const logger = createLogger({ level: "silent" });
const usage = { input_tokens: 100, output_tokens: 10 };
const DEPOSIT = { vendorName: "Tagus Riverside Hall", description: "30% venue deposit", amountMinor: 450_000, currency: "EUR" };
const SCRIPT: ScriptedTurn[] = [
  { content: [{ type: "tool_use", id: "toolu_deposit", name: "stripe__pay_vendor_deposit", input: DEPOSIT }], stop_reason: "tool_use", usage },
  { content: [{ type: "text", text: "Deposit paid." }], stop_reason: "end_turn", usage },
];

let database: TestDatabase;
let stripe: FakeStripe;
/** 0 until the first server has picked its port. */
let port = 0;
const servers: Spawned[] = [];

/**
 * `event-planner mcp stripe --http`: first on a port the server picks itself (no window in which
 * another process could take a port chosen for it), then again on that same port.
 */
async function startStripeServer(): Promise<Spawned> {
  const server = spawnProduct(["mcp", "stripe", "--http", "--port", String(port)], {
    DATABASE_URL: database.url!,
    MCP_AUTH_TOKEN: TOKEN,
    STRIPE_SECRET_KEY: SECRET_KEY,
    STRIPE_BASE_URL: stripe.url,
    STRIPE_DEPOSIT_PAYMENT_METHOD: "pm_card_visa",
    LOG_LEVEL: "warn",
  });
  servers.push(server);
  const [, listening] = await waitForOutput(server, /listening on http:\/\/127\.0\.0\.1:(\d+)\/mcp/);
  port = Number(listening);
  return server;
}

beforeAll(async () => {
  [database, stripe] = await Promise.all([createTestDatabase("postgres"), startFakeStripe({ secretKey: SECRET_KEY })]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => killHard(server)));
  await stripe.close();
  await database.drop();
});

describe("an MCP server killed during a side-effect call", () => {
  it("the client reconnects to the restarted server and retries with the same key: exactly one payment", async () => {
    let server = await startStripeServer();
    const fake = await startFakeAnthropic(SCRIPT);
    const workspace = await ensureWorkspace(database.db, `mcp-restart-${randomBytes(4).toString("hex")}`);
    const ctx: DomainContext = { db: database.db, workspaceId: workspace.id, actor: { kind: "system" } };
    const { run } = await submitPlanningRequest(ctx, { content: "Pay the venue deposit for the Lisbon offsite", provider: "anthropic" });
    const config = loadConfig({ DATABASE_URL: database.url!, ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: fake.url, MCP_AUTH_TOKEN: TOKEN, MCP_STRIPE_URL: `http://127.0.0.1:${port}/mcp` });
    const lost: string[] = [];
    let restartedMs = 0;
    let restartError: unknown;
    const mcp = await McpClientManager.connect({
      config,
      logger,
      workspace,
      handle: database.handle,
      runId: run.id,
      // The manager reconnects once this resolves: the server is back by then, as a supervisor would bring it back.
      onConnectionLost: async (name) => {
        lost.push(name);
        const started = Date.now();
        try {
          server = await startStripeServer();
        } catch (error) {
          // The manager would swallow this and retry into a closed port; keep it for the failure message.
          restartError = error;
          throw error;
        }
        restartedMs = Date.now() - started;
      },
    });
    const held = gate();
    try {
      expect(mcp.transportOf("stripe")).toBe("http");
      const model = selectModel(config, logger);
      const deps = { db: database.db, config, logger, model: model.client, provider: model.provider, mcp };
      expect((await runAgent(deps, { workspace, runId: run.id })).status).toBe("awaiting_approval");
      const [approval] = await listApprovals(ctx, { runId: run.id, status: "pending" });
      await decideRunApproval({ ...ctx, actor: { kind: "user", id: "key-ana" } }, approval!.id, { decision: "approve" });

      stripe.holdNext({ method: "POST", path: /^\/v1\/payment_intents$/, until: held.promise });
      const resumed = runAgent(deps, { workspace, runId: run.id });
      // Stripe has taken the deposit and is holding its answer: the server dies mid-call.
      await expect.poll(() => stripe.requestsTo("POST", "/v1/payment_intents").length, { timeout: 30_000, interval: 50 }).toBe(1);
      await killHard(server);
      const finished = await resumed.catch((error: unknown) => {
        const outputs = servers.map((spawned) => spawned.output()).join("\n--- next server ---\n");
        throw new Error(`the run failed: ${String(error)}; restarting the server: ${String(restartError)}\n${outputs}`, { cause: error });
      });

      expect(finished.status, JSON.stringify(finished.error)).toBe("succeeded");
      expect(lost).toEqual(["stripe"]);
      console.info(`MCP server restart: stripe server back and the call retried ${(restartedMs / 1000).toFixed(1)} s after the connection was lost`);
      const attempts = stripe.requestsTo("POST", "/v1/payment_intents");
      expect(attempts).toHaveLength(2);
      expect(new Set(attempts.map((request) => request.idempotencyKey)).size).toBe(1);
      expect(stripe.state.paymentIntents.size).toBe(1);
      expect([...stripe.state.paymentIntents.values()].map((intent) => intent.amount)).toEqual([450_000]);
      // The server's ledger: one call under one key, finished by the retry.
      const ledger = (await listToolCalls(ctx, { runId: run.id })).filter((call) => call.tool === "pay_vendor_deposit");
      expect(ledger.map((call) => call.status)).toEqual(["succeeded"]);
      // The loop's record: one call and one successful result, the retry inside that step.
      const steps = await listRunSteps(ctx, run.id);
      const deposit = (kind: string) => steps.filter((step) => step.kind === kind && (step.payload as { tool?: string }).tool === "stripe__pay_vendor_deposit");
      expect(deposit("tool_call")).toHaveLength(1);
      expect(deposit("tool_result").map((step) => (step.payload as { isError: boolean }).isError)).toEqual([false]);
      expect((await getRun(ctx, run.id)).result?.text).toBe("Deposit paid.");
      fake.assertAllUsed();
    } finally {
      held.open();
      await mcp.close();
      await fake.close();
    }
  }, 120_000);
});
