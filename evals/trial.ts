/**
 * One trial of one scenario: a fresh workspace, its fixtures, then the conversation step by step.
 * A `say` is submitted as a person's message (or a Slack mention) and its run is worked on by the
 * real agent loop over in-process MCP servers with sandbox backends, as the worker would; each pause
 * for approval is answered by the scenario's approver and the run resumed. Webhook events arrive
 * between steps. The trial ends with the transcript read back from the database.
 */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { decideRunApproval } from "../agent/approvals.js";
import { policyContextFor, runAgent } from "../agent/loop.js";
import { McpClientManager, type McpToolDescriptor } from "../agent/mcp/manager.js";
import type { ModelClient } from "../agent/model/types.js";
import { listApprovals } from "../domain/approvals.js";
import type { DomainContext } from "../domain/context.js";
import { submitPlanningRequest } from "../domain/planning-requests.js";
import { ensureWorkspace, getWorkspace } from "../domain/workspaces.js";
import type { DatabaseHandle } from "../drizzle/client.js";
import { workspaces, type Workspace } from "../drizzle/schema/index.js";
import type { Config } from "../lib/config.js";
import type { Logger } from "../lib/logger.js";
import { buildMcpServer } from "../mcp-servers/registry.js";
import { createTwilioBackendFromConfig, createTwilioServer } from "../mcp-servers/twilio/server.js";
import { answerApproval } from "./approvals.js";
import { allSandboxObjects, collectApprovals, collectEvents, collectRuns, outboxRecords, toolRecords } from "./collect.js";
import type { Decoy } from "./decoy.js";
import { seedFixtures, type SeededFixtures } from "./fixtures.js";
import type { Catalogue, ConversationStep, Scenario } from "./scenario.js";
import type { ScriptRecord, TrialRecord } from "./transcript.js";
import { receiveGuestSms, receiveSlackMessage, receiveSlackRequest, receiveVendorQuote, stripeEventForLatestPayment, type StripeWebhookEndpoint } from "./webhooks.js";

/** A run pauses at most this many times for approvals before the trial gives up on it. */
const MAX_APPROVAL_ROUNDS = 12;

export interface TrialModel {
  client: ModelClient;
  provider: "anthropic" | "offline";
}

/** What every trial of a suite run shares. */
export interface SuiteContext {
  handle: DatabaseHandle;
  /** Integration credentials removed: evals always run on the sandbox backends. */
  config: Config;
  logger: Logger;
  catalogues: ReadonlyMap<string, Catalogue>;
  decoy: Decoy;
  stripe: StripeWebhookEndpoint;
  /** Short and unique per suite run: part of every workspace name. */
  runTag: string;
}

/** A config that can only reach sandboxes: evals never text, pay or post for real, whatever the environment holds. */
export function sandboxConfig(config: Config): Config {
  return {
    ...config,
    mcp: { ...config.mcp, urls: {} },
    slack: { ...config.slack, botToken: undefined, signingSecret: undefined, baseUrl: undefined },
    stripe: { ...config.stripe, secretKey: undefined, webhookSecret: undefined, baseUrl: undefined },
    twilio: { ...config.twilio, accountSid: undefined, authToken: undefined, fromNumber: undefined, baseUrl: undefined },
    google: { ...config.google, clientId: undefined, clientSecret: undefined, refreshToken: undefined, baseUrl: undefined },
  };
}

export function newRunTag(): string {
  return randomBytes(3).toString("hex");
}

class Trial {
  private readonly ctx: DomainContext;
  private readonly runs: { id: string; step: number }[] = [];
  private readonly script: ScriptRecord[] = [];
  private readonly slackThreads: { channel: string; ts: string }[] = [];
  /** Sandbox object id → the conversation step it appeared in; fixtures are absent. */
  private readonly stepOf = new Map<string, number>();
  private readonly seen = new Set<string>();
  private tools: McpToolDescriptor[] = [];
  private conversationId: string | undefined;

  constructor(
    private readonly suite: SuiteContext,
    private readonly scenario: Scenario,
    private readonly workspace: Workspace,
    private readonly seeded: SeededFixtures,
    private readonly model: TrialModel,
  ) {
    this.ctx = { db: suite.handle.db, workspaceId: workspace.id, actor: { kind: "system" } };
  }

  private clock = (): Date => new Date(this.scenario.clock);

  async markFixtures(): Promise<void> {
    for (const object of await allSandboxObjects(this.ctx)) this.seen.add(object.id);
  }

  private async tagEffects(step: number): Promise<void> {
    for (const object of await allSandboxObjects(this.ctx)) {
      if (this.seen.has(object.id)) continue;
      this.seen.add(object.id);
      this.stepOf.set(object.id, step);
    }
  }

  async play(): Promise<string | undefined> {
    for (const [index, step] of this.scenario.conversation.entries()) {
      try {
        await this.perform(step, index);
      } catch (error) {
        await this.tagEffects(index);
        return `step ${index}: ${error instanceof Error ? error.message : String(error)}`;
      }
      await this.tagEffects(index);
    }
    return undefined;
  }

  private async perform(step: ConversationStep, index: number): Promise<void> {
    const person: DomainContext = { ...this.ctx, actor: { kind: "user", id: "eval-requester" } };
    if ("say" in step) {
      this.script.push({ step: index, kind: "say", detail: `${step.via === "slack" ? `[Slack #${step.channel}] ` : ""}${step.say}` });
      if (step.via === "slack") {
        const request = await receiveSlackRequest({ ctx: this.ctx, config: this.suite.config }, { channel: step.channel, text: step.say, provider: this.model.provider, model: this.model.client.model });
        this.slackThreads.push(request.thread);
        await this.drive(request.run.id, index);
        return;
      }
      const submitted = await submitPlanningRequest(person, { content: step.say, ...(this.conversationId ? { conversationId: this.conversationId } : {}), provider: this.model.provider, model: this.model.client.model });
      this.conversationId = submitted.conversation.id;
      await this.drive(submitted.run.id, index);
      return;
    }
    if ("sms" in step) {
      const { run, outcome } = await receiveGuestSms({ ctx: this.ctx, config: this.suite.config, logger: this.suite.logger, clock: this.clock, conversationId: this.conversationId }, step.sms);
      this.script.push({ step: index, kind: "sms", detail: `${step.sms.from}: ${JSON.stringify(step.sms.body)} → ${outcome}` });
      if (run) await this.drive(run.id, index);
      return;
    }
    if ("stripe" in step) {
      const event = await stripeEventForLatestPayment(this.ctx, step.stripe.type);
      await this.suite.stripe.send(event);
      this.script.push({ step: index, kind: "stripe", detail: `${step.stripe.type} ${String(event.id)}` });
      return;
    }
    if ("vendorQuote" in step) {
      const vendor = this.seeded.vendors.get(step.vendorQuote.vendor);
      if (!vendor) throw new Error(`vendorQuote: no vendor named "${step.vendorQuote.vendor}" in the fixtures`);
      await receiveVendorQuote(this.ctx, { vendorId: vendor.id, vendorName: vendor.name, amountMinor: step.vendorQuote.amountMinor, ...(step.vendorQuote.notes ? { notes: step.vendorQuote.notes } : {}) });
      this.script.push({ step: index, kind: "vendorQuote", detail: `${vendor.name} quoted ${step.vendorQuote.amountMinor}${step.vendorQuote.notes ? `: ${JSON.stringify(step.vendorQuote.notes)}` : ""}` });
      return;
    }
    await receiveSlackMessage({ ctx: this.ctx, config: this.suite.config }, step.slackMessage);
    this.script.push({ step: index, kind: "slackMessage", detail: `#${step.slackMessage.channel} ${step.slackMessage.user}: ${step.slackMessage.text}` });
  }

  /** Work on the run until it ends, answering each approval it waits for. */
  private async drive(runId: string, step: number): Promise<void> {
    this.runs.push({ id: runId, step });
    const { handle, config, logger } = this.suite;
    const mcp = await McpClientManager.connect({
      config,
      logger,
      workspace: this.workspace,
      handle,
      runId,
      // SMS quiet hours are checked at the scenario's clock, so a trial does not depend on the hour it runs.
      definitions: (name, deps) => (name === "twilio" ? createTwilioServer(createTwilioBackendFromConfig(deps, this.clock)) : buildMcpServer(name, deps)),
    });
    if (this.tools.length === 0) this.tools = mcp.tools();
    const approver: DomainContext = { ...this.ctx, actor: { kind: "user", id: "eval-approver" } };
    try {
      for (let round = 0; round < MAX_APPROVAL_ROUNDS; round++) {
        const run = await runAgent({ db: handle.db, config, logger, model: this.model.client, provider: this.model.provider, mcp }, { workspace: this.workspace, runId });
        if (run.status !== "awaiting_approval") return;
        const pending = await listApprovals(this.ctx, { runId, status: "pending" });
        if (pending.length === 0) return;
        for (const approval of pending.reverse()) {
          const answer = answerApproval(this.scenario, approval, step);
          await decideRunApproval(approver, approval.id, answer.request);
          const edited = answer.request.editedArgs ? " (edited)" : "";
          this.script.push({ step, kind: "approval", detail: `${approval.action}: ${answer.request.decision}${edited} by ${answer.rule}: ${approval.summary}` });
        }
      }
    } finally {
      await mcp.close();
    }
  }

  async record(trial: number, harnessError: string | undefined, wallMs: number): Promise<TrialRecord> {
    if (this.tools.length === 0) {
      const mcp = await McpClientManager.connect({ config: this.suite.config, logger: this.suite.logger, workspace: this.workspace, handle: this.suite.handle });
      this.tools = mcp.tools();
      await mcp.close();
    }
    const objects = await allSandboxObjects(this.ctx);
    const record: TrialRecord = {
      scenarioId: this.scenario.id,
      trial,
      workspaceId: this.workspace.id,
      policy: { ...policyContextFor(this.suite.config, this.workspace), internalSlackChannels: [...this.suite.config.slack.allowedChannels] },
      tools: toolRecords(this.tools),
      runs: await collectRuns(this.ctx, this.runs),
      approvals: await collectApprovals(this.ctx),
      outbox: outboxRecords(objects, this.stepOf),
      events: await collectEvents(this.ctx, new Set(this.seeded.events.values())),
      busy: this.seeded.busy,
      foreignMarkers: this.suite.decoy.markers,
      slackThreads: this.slackThreads,
      script: this.script,
      wallMs,
    };
    return harnessError === undefined ? record : { ...record, harnessError };
  }
}

async function trialWorkspace(suite: SuiteContext, scenario: Scenario, trial: number): Promise<Workspace> {
  const workspace = await ensureWorkspace(suite.handle.db, `e${suite.runTag}-${scenario.id}-t${trial}`);
  if (scenario.fixtures.emailDomain === undefined) return workspace;
  await suite.handle.db.update(workspaces).set({ emailDomain: scenario.fixtures.emailDomain }).where(eq(workspaces.id, workspace.id));
  return getWorkspace(suite.handle.db, workspace.id);
}

export async function runTrial(suite: SuiteContext, scenario: Scenario, trial: number, model: TrialModel): Promise<TrialRecord> {
  const workspace = await trialWorkspace(suite, scenario, trial);
  const ctx: DomainContext = { db: suite.handle.db, workspaceId: workspace.id, actor: { kind: "system" } };
  const seeded = await seedFixtures({ ctx, handle: suite.handle, logger: suite.logger, config: suite.config }, scenario.fixtures, suite.catalogues);
  const play = new Trial(suite, scenario, workspace, seeded, model);
  await play.markFixtures();
  const started = performance.now();
  const harnessError = await play.play();
  const wallMs = performance.now() - started;
  return play.record(trial, harnessError, wallMs);
}
