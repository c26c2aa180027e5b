import { createInterface } from "node:readline/promises";
import { Argument, type Command } from "commander";
import { decideRunApproval } from "../../agent/approvals.js";
import { RunEvents } from "../../agent/events.js";
import { executeRun } from "../../agent/execute.js";
import { OFFLINE_ANNOUNCEMENT, selectModel, type ModelChoice } from "../../agent/model/select.js";
import { listApprovals } from "../../domain/approvals.js";
import type { DomainContext } from "../../domain/context.js";
import { submitPlanningRequest } from "../../domain/planning-requests.js";
import { getRunPlan } from "../../domain/run-plans.js";
import { ensureWorkspace } from "../../domain/workspaces.js";
import type { DatabaseHandle } from "../../drizzle/client.js";
import type { Run } from "../../drizzle/schema/index.js";
import { formatPlan, progressLine } from "../plan-report.js";
import { createRuntime, openDatabase, type Runtime } from "../runtime.js";

interface PlanSession {
  runtime: Runtime;
  handle: DatabaseHandle;
  ctx: DomainContext;
  model: ModelChoice;
  json: boolean;
}

/** Progress goes to stderr with --json, so stdout stays one JSON document. */
function say(session: Pick<PlanSession, "json">, text: string): void {
  (session.json ? process.stderr : process.stdout).write(`${text}\n`);
}

async function openSession(workspaceName: string | undefined, json: boolean): Promise<PlanSession> {
  const runtime = createRuntime();
  const handle = await openDatabase(runtime);
  const workspace = await ensureWorkspace(handle.db, workspaceName ?? runtime.config.workspace);
  const model = selectModel(runtime.config, runtime.logger);
  const session = { runtime, handle, ctx: { db: handle.db, workspaceId: workspace.id, actor: { kind: "user" as const, id: "cli" } }, model, json };
  if (model.provider === "offline") say(session, OFFLINE_ANNOUNCEMENT);
  return session;
}

function interactive(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true;
}

/** Ask y/n for each pending approval of the run; returns how many were decided. */
async function askApprovals(session: PlanSession, runId: string): Promise<number> {
  const pending = await listApprovals(session.ctx, { runId, status: "pending" });
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (const approval of pending) {
      const answer = (await prompt.question(`\nApprove? ${approval.summary} [y/n] `)).trim().toLowerCase();
      const approve = answer === "y" || answer === "yes";
      const note = approve ? undefined : (await prompt.question("Note for the planner (optional): ")).trim() || undefined;
      await decideRunApproval(session.ctx, approval.id, { decision: approve ? "approve" : "reject", ...(note ? { note } : {}) });
    }
  } finally {
    prompt.close();
  }
  return pending.length;
}

/** Work on the run until it ends or waits; in a terminal, ask for each approval and carry on. */
async function driveRun(session: PlanSession, runId: string): Promise<Run> {
  const events = new RunEvents();
  events.subscribe((event) => {
    const line = progressLine(event);
    if (line) say(session, line);
  });
  const { handle, runtime, model } = session;
  for (;;) {
    const run = await executeRun({ handle, config: runtime.config, logger: runtime.logger, model, workspaceId: session.ctx.workspaceId, runId, events });
    if (run.status !== "awaiting_approval" || session.json || !interactive()) return run;
    if ((await askApprovals(session, runId)) === 0) return run;
  }
}

async function report(session: PlanSession, run: Run): Promise<void> {
  const plan = await getRunPlan(session.ctx, run.id);
  if (session.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  else process.stdout.write(`\n${formatPlan(plan)}`);
  if (run.status === "awaiting_approval" && (session.json || !interactive())) {
    say(session, `The run waits for approval. Decide with: event-planner approvals decide <approval id> approve|reject [--note "…"] (or in the web UI, the API or Slack).`);
  }
  if (run.status === "failed" || run.status === "cancelled") process.exitCode = 1;
}

async function withSession(workspace: string | undefined, json: boolean, body: (session: PlanSession) => Promise<void>): Promise<void> {
  const session = await openSession(workspace, json);
  try {
    await body(session);
  } finally {
    await session.handle.close();
  }
}

export function registerPlan(program: Command): void {
  program
    .command("plan <request>")
    .description("run one planning request to completion in this process (no queue), printing progress and the final plan")
    .option("--workspace <name>", "workspace (default EVENT_PLANNER_WORKSPACE)")
    .option("--json", "print the run and its plan as JSON")
    .action(async (request: string, options: { workspace?: string; json?: boolean }) => {
      await withSession(options.workspace, options.json === true, async (session) => {
        const { run } = await submitPlanningRequest(session.ctx, { content: request, provider: session.model.provider, model: session.model.client.model });
        await report(session, await driveRun(session, run.id));
      });
    });

  const approvals = program.command("approvals").description("list and decide approvals from the terminal");
  approvals
    .command("list")
    .description("pending approvals, newest first")
    .option("--workspace <name>", "workspace (default EVENT_PLANNER_WORKSPACE)")
    .option("--json", "print as JSON")
    .action(async (options: { workspace?: string; json?: boolean }) => {
      await withSession(options.workspace, options.json === true, async (session) => {
        const pending = await listApprovals(session.ctx, { status: "pending" });
        if (options.json) process.stdout.write(`${JSON.stringify(pending, null, 2)}\n`);
        else process.stdout.write(pending.length === 0 ? "No approvals are waiting.\n" : `${pending.map((approval) => `${approval.id}  run ${approval.runId}  ${approval.summary}`).join("\n")}\n`);
      });
    });
  approvals
    .command("decide")
    .argument("<approvalId>", "the approval's id")
    .addArgument(new Argument("<decision>", "approve or reject").choices(["approve", "reject"]))
    .description("approve or reject, then carry on with the run in this process")
    .option("--note <text>", "a note the planner reads")
    .option("--workspace <name>", "workspace (default EVENT_PLANNER_WORKSPACE)")
    .option("--json", "print the run and its plan as JSON")
    .action(async (approvalId: string, decision: "approve" | "reject", options: { note?: string; workspace?: string; json?: boolean }) => {
      await withSession(options.workspace, options.json === true, async (session) => {
        const decided = await decideRunApproval(session.ctx, approvalId, { decision, ...(options.note ? { note: options.note } : {}) });
        say(session, `Approval ${decided.approval.id} ${decided.approval.status}.`);
        await report(session, await driveRun(session, decided.runId));
      });
    });
}
