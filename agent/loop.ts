/**
 * The agent loop: model turn, tool calls, approvals, repeat. Every step is persisted before the
 * next begins, and the loop's state is re-derived from the persisted steps (agent/state.ts), so
 * running a run for the first time and resuming it after a crash in another process are the same
 * code. Side effects carry an idempotency key derived from (run, tool use); the MCP servers'
 * ledger turns a retried call into a replay of the first.
 */
import { and, eq } from "drizzle-orm";
import { createApproval, expireApprovals, getApproval, listApprovals } from "../domain/approvals.js";
import type { DomainContext } from "../domain/context.js";
import { addMessage, getConversation, listMessages } from "../domain/conversations.js";
import { appendRunStep, getRun, listRunSteps, transitionRun, workspaceUsage } from "../domain/runs.js";
import { messages as messagesTable, type Approval, type Run, type RunStepKind, type Workspace } from "../drizzle/schema/index.js";
import { canonicalHash } from "../lib/canonical-json.js";
import type { Config } from "../lib/config.js";
import { AppError, isOutcomeUnknown } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import { parseSlackThreadRef } from "../domain/slack-threads.js";
import { RunEvents } from "./events.js";
import { checkRunLimits, checkWorkspaceBudget, startOfMonthUtc } from "./limits.js";
import type { McpClientManager, McpToolDescriptor } from "./mcp/manager.js";
import { costMicros } from "./model/pricing.js";
import type { ConversationMessage, ModelClient, ModelTurn } from "./model/types.js";
import { approvalRequest, argsToExecute, refusalForModel } from "./policy/binding.js";
import { needsApproval } from "./policy/decide.js";
import type { PolicyContext } from "./policy/policy-table.js";
import { systemPrompt } from "./prompts/system.js";
import { foldSteps, nextAction, type RunState, type ToolUseProgress } from "./state.js";
import { parseStep, type StepPayloads, type ToolResultPayload, type TypedStep } from "./steps.js";
import { deriveIdempotencyKey, LOOP_ONLY_TOOLS, modelTools, resultText, takesIdempotencyKey } from "./tools.js";

export const DEFAULT_MAX_OUTPUT_TOKENS = 8192;
/** A call whose outcome is unknown (connection lost mid-call) is retried with the same key this many times. */
const UNKNOWN_OUTCOME_RETRIES = 2;

export interface AgentDeps {
  db: DomainContext["db"];
  config: Config;
  logger: Logger;
  model: ModelClient;
  provider: "anthropic" | "offline";
  /** Connected for this workspace and run. */
  mcp: McpClientManager;
  events?: RunEvents;
  now?: () => Date;
  maxOutputTokens?: number;
  /** Aborted when the process is shutting down: the run stops at the next step boundary, still `running`, for another process to resume. */
  stop?: AbortSignal;
}

export interface RunAgentInput {
  workspace: Workspace;
  runId: string;
}

export function policyContextFor(config: Config, workspace: Workspace): PolicyContext {
  return { emailDomain: workspace.emailDomain, internalSlackChannels: config.slack.allowedChannels };
}

/** The conversation up to and including the message that started the run: later messages belong to later runs. */
async function historyFor(ctx: DomainContext, run: Run): Promise<ConversationMessage[]> {
  const all = await listMessages(ctx, run.conversationId);
  const end = run.triggerMessageId ? all.findIndex((message) => message.id === run.triggerMessageId) : all.length - 1;
  if (end < 0) throw new AppError("invalid_state", `run ${run.id} has no message to answer`, { runId: run.id });
  return all.slice(0, end + 1).map((message) => ({ role: message.role, content: message.content }));
}

type ToolOutcome = { kind: "done" } | { kind: "awaiting"; approval: Approval };

/** One run being worked on by this process. */
class RunExecution {
  private readonly ctx: DomainContext;
  private readonly events: RunEvents;
  private readonly now: () => Date;
  private readonly tools: Map<string, McpToolDescriptor>;
  private steps: TypedStep[] = [];
  private seq = 0;
  private state!: RunState;

  constructor(
    private readonly deps: AgentDeps,
    private readonly workspace: Workspace,
    private run: Run,
    private readonly history: ConversationMessage[],
  ) {
    this.ctx = { db: deps.db, workspaceId: workspace.id, actor: { kind: "agent", id: run.id } };
    this.events = deps.events ?? new RunEvents();
    this.now = deps.now ?? (() => new Date());
    this.tools = new Map(deps.mcp.tools().map((tool) => [tool.name, tool]));
  }

  async load(): Promise<void> {
    const stored = await listRunSteps(this.ctx, this.run.id);
    this.steps = stored.map(parseStep);
    this.refold();
    this.seq = this.state.nextSeq;
  }

  private refold(): void {
    this.state = foldSteps(
      this.history,
      [...this.steps].sort((a, b) => a.seq - b.seq),
    );
  }

  /** Persist a step at the next seq, then fold it into the state. */
  private async append<K extends RunStepKind>(kind: K, payload: StepPayloads[K], usage?: { inputTokens: number; outputTokens: number; cacheWriteTokens: number; cacheReadTokens: number; costMicros: number }): Promise<number> {
    const seq = this.seq++;
    const stored = await appendRunStep(this.ctx, this.run.id, { seq, kind, payload, ...(usage ? { usage } : {}) });
    this.steps.push(parseStep(stored));
    this.refold();
    return seq;
  }

  async execute(): Promise<Run> {
    const resumed = this.steps.length > 0;
    if (this.run.status !== "running") this.run = await transitionRun(this.ctx, this.run.id, "running");
    await this.append("status_change", { to: "running", ...(resumed ? { reason: "resumed" } : {}) });
    this.events.emit({ type: "run_started", runId: this.run.id, resumed, model: this.deps.model.model, provider: this.deps.provider });

    for (;;) {
      if (this.deps.stop?.aborted) return getRun(this.ctx, this.run.id);
      const current = await getRun(this.ctx, this.run.id);
      if (current.cancelRequestedAt !== null) return this.end("cancelled", { reason: "A person cancelled the run." });
      const action = nextAction(this.state);
      switch (action.kind) {
        case "call_model": {
          const breach = checkRunLimits(this.state, this.deps.config.agent) ?? (await this.workspaceBudgetBreach());
          if (breach) return this.end("failed", { code: breach.code, reason: breach.reason });
          const failure = await this.callModel();
          if (failure) return this.end("failed", failure);
          break;
        }
        case "run_tools": {
          const waiting = await this.runTools(action.pending);
          if (waiting.length > 0) return this.pause(waiting);
          break;
        }
        case "finish":
          return this.finish(action.text);
        case "fail":
          return this.end("failed", { code: action.code, reason: action.reason });
      }
    }
  }

  private async workspaceBudgetBreach() {
    if (this.workspace.monthlyBudgetMicros === null) return null;
    const spent = await workspaceUsage(this.ctx, { since: startOfMonthUtc(this.now()) });
    return checkWorkspaceBudget(spent.costMicros, this.workspace.monthlyBudgetMicros);
  }

  /** One model turn, persisted with its usage. Returns why the run must fail, if it must. */
  private async callModel(): Promise<{ code: string; reason: string } | undefined> {
    const { config, model } = this.deps;
    const remainingMs = Math.max(1, config.agent.maxWallSeconds * 1000 - this.state.activeMs);
    let turn: ModelTurn;
    try {
      turn = await model.turn({
        system: systemPrompt({ today: this.run.createdAt.toISOString().slice(0, 10), workspaceName: this.workspace.displayName ?? this.workspace.name }),
        tools: modelTools([...this.tools.values()]),
        messages: this.state.messages,
        maxTokens: this.deps.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
        onText: (delta) => this.events.emit({ type: "text_delta", runId: this.run.id, delta }),
        signal: AbortSignal.timeout(remainingMs),
      });
    } catch (error) {
      if (error instanceof AppError && error.details?.cancelled === true) {
        return { code: "time_limit", reason: `The run reached its limit of ${config.agent.maxWallSeconds} s (AGENT_MAX_WALL_SECONDS) while waiting for the model.` };
      }
      if (error instanceof AppError) return { code: "model_failed", reason: error.message };
      throw error;
    }
    const cost = costMicros(turn.model, turn.usage);
    const seq = await this.append(
      "model_turn",
      { turn: this.state.turns, model: turn.model, stopReason: turn.stopReason, content: turn.content, usage: turn.usage, costMicros: cost },
      { ...turn.usage, costMicros: cost },
    );
    const text = turn.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n");
    const toolUses = turn.content.flatMap((block) => (block.type === "tool_use" ? [{ id: block.id, name: block.name }] : []));
    this.events.emit({ type: "model_turn", runId: this.run.id, seq, turn: this.state.turns - 1, text, toolUses, usage: turn.usage, costMicros: cost });
    this.events.emit({ type: "usage", runId: this.run.id, totals: { ...this.state.usage, costMicros: this.state.costMicros } });
    return undefined;
  }

  /** Advance every pending tool use of the latest turn, concurrently. Returns the approvals still waiting. */
  private async runTools(pending: ToolUseProgress[]): Promise<Approval[]> {
    const outcomes = await Promise.all(pending.map((progress) => this.advance(progress)));
    return outcomes.flatMap((outcome) => (outcome.kind === "awaiting" ? [outcome.approval] : []));
  }

  private async advance(progress: ToolUseProgress): Promise<ToolOutcome> {
    const { use } = progress;
    switch (progress.stage) {
      case "interrupted":
        // It may have acted: the same arguments and key make the server replay rather than act again.
        return this.call(use.id, progress.call.tool, progress.call.args, progress.call.approvalId);
      case "decided":
        return this.afterDecision(progress.request.approvalId, use.id, progress.request.tool, progress.request.args, progress.decision.status);
      case "awaiting_decision": {
        const approval = await this.currentApproval(progress.request.approvalId);
        if (approval.status === "pending") return { kind: "awaiting", approval };
        const status = approval.status === "approved" || approval.status === "rejected" || approval.status === "expired" ? approval.status : "cancelled";
        const seq = await this.append("approval_decided", { toolUseId: use.id, approvalId: approval.id, status, edited: approval.approvedPayload !== null, note: approval.note });
        this.events.emit({ type: "approval_decided", runId: this.run.id, seq, approvalId: approval.id, status, edited: approval.approvedPayload !== null });
        return this.afterDecision(approval.id, use.id, progress.request.tool, progress.request.args, status);
      }
      case "new":
        return this.start(progress.use);
    }
  }

  /** A pending approval whose deadline passed is recorded as expired before anything reads it. */
  private async currentApproval(id: string): Promise<Approval> {
    const approval = await getApproval(this.ctx, id);
    if (approval.status === "pending" && approval.expiresAt !== null && approval.expiresAt.getTime() <= this.now().getTime()) {
      await expireApprovals(this.ctx);
      return getApproval(this.ctx, id);
    }
    return approval;
  }

  private async afterDecision(approvalId: string, toolUseId: string, tool: string, requestedArgs: Record<string, unknown>, status: StepPayloads["approval_decided"]["status"]): Promise<ToolOutcome> {
    if (status !== "approved") {
      const approval = await getApproval(this.ctx, approvalId);
      const content = refusalForModel({ tool, status: status === "rejected" ? "rejected" : "expired", note: approval.note });
      await this.result({ toolUseId, tool, isError: true, content, notCalled: status });
      return { kind: "done" };
    }
    const approval = await getApproval(this.ctx, approvalId);
    const { args } = argsToExecute({ approval, toolCall: { runId: this.run.id, toolCallId: approval.toolCallId, tool, args: requestedArgs } });
    return this.call(toolUseId, tool, args, approvalId);
  }

  private async start(use: ToolUseProgress["use"]): Promise<ToolOutcome> {
    if (use.inputError !== undefined) {
      await this.result({ toolUseId: use.id, tool: use.name, isError: true, content: `invalid_input: ${use.inputError}. Send the arguments as one JSON object that matches the tool's input schema.`, notCalled: "invalid_input" });
      return { kind: "done" };
    }
    const descriptor = this.tools.get(use.name);
    if (!descriptor || LOOP_ONLY_TOOLS.has(use.name)) {
      await this.result({ toolUseId: use.id, tool: use.name, isError: true, content: `not_found: there is no tool named ${use.name}; use one of the tools you were given.`, notCalled: "unknown_tool" });
      return { kind: "done" };
    }
    const args = takesIdempotencyKey(descriptor) ? { ...use.input, idempotency_key: deriveIdempotencyKey(this.run.id, use.id) } : { ...use.input };
    const decision = needsApproval({
      tool: use.name,
      annotations: descriptor.annotations,
      args,
      tainted: this.state.taint.tainted,
      context: policyContextFor(this.deps.config, this.workspace),
    });
    if (!decision.required) return this.call(use.id, use.name, args, undefined);

    const approval = (await this.existingApproval(use.name, args)) ?? (await createApproval(this.ctx, approvalRequest({ toolCall: { runId: this.run.id, toolCallId: null, tool: use.name, args }, decision, now: this.now(), ttlMs: this.deps.config.agent.approvalTtlSeconds * 1000 })));
    const seq = await this.append("approval_requested", { toolUseId: use.id, tool: use.name, approvalId: approval.id, args, summary: decision.summary, reasons: decision.reasons });
    this.events.emit({ type: "approval_requested", runId: this.run.id, seq, approvalId: approval.id, tool: use.name, summary: decision.summary, reasons: decision.reasons });
    return { kind: "awaiting", approval };
  }

  /** An approval created for this very call by an attempt that crashed before recording it. */
  private async existingApproval(tool: string, args: Record<string, unknown>): Promise<Approval | undefined> {
    const hash = canonicalHash(args);
    const rows = await listApprovals(this.ctx, { runId: this.run.id, limit: 500 });
    return rows.find((row) => row.action === tool && canonicalHash(row.payload) === hash);
  }

  /** Call the tool: the tool_call step first (so a crash mid-call is visible), then its result. */
  private async call(toolUseId: string, tool: string, args: Record<string, unknown>, approvalId: string | undefined): Promise<ToolOutcome> {
    const seq = await this.append("tool_call", { toolUseId, tool, args, ...(approvalId ? { approvalId } : {}) });
    this.events.emit({ type: "tool_call", runId: this.run.id, seq, toolUseId, tool, args });
    let attempt = 0;
    for (;;) {
      try {
        const result = await this.deps.mcp.callTool(tool, args);
        await this.result({ toolUseId, tool, isError: result.isError === true, content: resultText(result), ...(result.structuredContent ? { structured: result.structuredContent } : {}) });
        return { kind: "done" };
      } catch (error) {
        if (isOutcomeUnknown(error) && attempt < UNKNOWN_OUTCOME_RETRIES) {
          attempt += 1;
          this.deps.logger.warn({ runId: this.run.id, tool, attempt }, "tool call outcome unknown; retrying with the same idempotency key");
          continue;
        }
        if (!(error instanceof AppError)) throw error;
        await this.result({ toolUseId, tool, isError: true, content: `${error.code}: ${error.message}` });
        return { kind: "done" };
      }
    }
  }

  private async result(payload: ToolResultPayload): Promise<void> {
    const seq = await this.append("tool_result", payload);
    this.events.emit({ type: "tool_result", runId: this.run.id, seq, toolUseId: payload.toolUseId, tool: payload.tool, isError: payload.isError, content: payload.content });
  }

  /** Stop in awaiting_approval and tell the team in Slack; the post is keyed by approval, so re-posting on a resume is a replay. */
  private async pause(waiting: Approval[]): Promise<Run> {
    for (const approval of waiting) await this.postToSlack(approval);
    for (const approval of waiting) await this.answerRequester(`Waiting for the team's approval: ${approval.summary}`, `slack-waiting-${approval.id}`);
    const summaries = waiting.map((approval) => approval.summary).join(" ");
    await this.append("status_change", { to: "awaiting_approval", reason: `Waiting for approval: ${summaries}`.slice(0, 2000) });
    this.run = await transitionRun(this.ctx, this.run.id, "awaiting_approval");
    this.events.emit({ type: "finished", runId: this.run.id, status: "awaiting_approval" });
    return this.run;
  }

  private async postToSlack(approval: Approval): Promise<void> {
    if (!this.tools.has("slack__post_approval_request")) return;
    try {
      const result = await this.deps.mcp.callTool("slack__post_approval_request", {
        approvalId: approval.id,
        summary: approval.summary,
        ...(approval.amountMinor !== null && approval.currency ? { amountMinor: approval.amountMinor, currency: approval.currency } : {}),
        ...(approval.recipients.length > 0 ? { recipients: approval.recipients.slice(0, 100).map((recipient) => recipient.slice(0, 200)) } : {}),
        idempotency_key: `approval-post-${approval.id}`,
      });
      if (result.isError) this.deps.logger.warn({ runId: this.run.id, approvalId: approval.id, error: resultText(result) }, "could not post the approval request to Slack");
    } catch (error) {
      // The approval stands without the Slack message: the API and UI still show it.
      this.deps.logger.warn({ runId: this.run.id, approvalId: approval.id, err: error }, "could not post the approval request to Slack");
    }
  }

  /**
   * A request that came from a Slack thread gets its answers there. Posted before the run's state
   * moves on and keyed, so a crash in between re-posts nothing; a Slack failure never fails the run
   * (the answer is stored and shown by the API either way).
   */
  private async answerRequester(text: string, key: string): Promise<void> {
    if (!this.tools.has("slack__answer_in_thread")) return;
    try {
      const conversation = await getConversation(this.ctx, this.run.conversationId);
      const thread = conversation.channel === "slack" ? parseSlackThreadRef(conversation.externalRef) : undefined;
      if (!thread) return;
      const result = await this.deps.mcp.callTool("slack__answer_in_thread", { channel: thread.channel, threadTs: thread.threadTs, text: text.slice(0, 40_000), idempotency_key: key });
      if (result.isError) this.deps.logger.warn({ runId: this.run.id, error: resultText(result) }, "could not answer in the Slack thread");
    } catch (error) {
      this.deps.logger.warn({ runId: this.run.id, err: error }, "could not answer in the Slack thread");
    }
  }

  private async finish(text: string): Promise<Run> {
    const answer = text || "(The planner finished without a written answer.)";
    // A resume after a crash between these two writes must not post the answer twice.
    const [already] = await this.deps.db
      .select({ id: messagesTable.id })
      .from(messagesTable)
      .where(and(eq(messagesTable.workspaceId, this.workspace.id), eq(messagesTable.runId, this.run.id), eq(messagesTable.role, "assistant")))
      .limit(1);
    if (!already) await addMessage(this.ctx, this.run.conversationId, { role: "assistant", content: answer, runId: this.run.id });
    await this.answerRequester(answer, `slack-answer-${this.run.id}`);
    return this.end("succeeded", { text: answer });
  }

  private async end(to: "succeeded" | "failed" | "cancelled", outcome: { text?: string; code?: string; reason?: string }): Promise<Run> {
    if (to === "failed") await this.answerRequester(`I could not finish this plan: ${outcome.reason ?? "the run failed."}`, `slack-failed-${this.run.id}`);
    const usage = { ...this.state.usage, costMicros: this.state.costMicros };
    await this.append("status_change", { to, ...(outcome.reason ? { reason: outcome.reason } : {}), ...(outcome.code ? { code: outcome.code } : {}) });
    const error = to === "failed" ? { code: outcome.code ?? "failed", message: outcome.reason ?? "The run failed." } : undefined;
    this.run = await transitionRun(this.ctx, this.run.id, to, {
      ...(error ? { error } : {}),
      result: { ...(outcome.text !== undefined ? { text: outcome.text } : {}), turns: this.state.turns, usage },
    });
    this.events.emit({ type: "finished", runId: this.run.id, status: to, ...(outcome.text !== undefined ? { text: outcome.text } : {}), ...(error ? { error } : {}) });
    return this.run;
  }
}

/**
 * Work on a run until it finishes, fails, or waits for a person. Safe to call on a run in any
 * state: a finished run comes back unchanged; a queued, paused or interrupted one carries on from
 * its persisted steps.
 */
export async function runAgent(deps: AgentDeps, { workspace, runId }: RunAgentInput): Promise<Run> {
  const ctx: DomainContext = { db: deps.db, workspaceId: workspace.id, actor: { kind: "agent", id: runId } };
  const run = await getRun(ctx, runId);
  if (run.status === "succeeded" || run.status === "failed" || run.status === "cancelled") return run;
  const execution = new RunExecution(deps, workspace, run, await historyFor(ctx, run));
  await execution.load();
  return execution.execute();
}
