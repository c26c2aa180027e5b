/**
 * `POST /webhooks/slack/interactions`: the Approve and Reject buttons of an approval message.
 *
 * Order matters: raw bytes → Slack signature (nothing is parsed before it) → the payload → the
 * button's signed approval token (which alone says which approval and workspace; the rest of the
 * payload is Slack's and only says who clicked) → dedupe the delivery → the decision → resume the
 * run. Slack gives an interaction 3 s and shows our answer's failure to the clicker, so a refused
 * decision (already decided, expired, another workspace's) is a 200 with a short text, never a 5xx;
 * the work left is only the decision itself, and the run continues in a worker.
 */
import { z } from "zod";
import { decideRunApproval } from "../../agent/approvals.js";
import { resolveApprovalSecret, verifyApprovalToken, type ApprovalTokenClaims } from "../../domain/approval-tokens.js";
import { markWebhookDelivery, recordWebhookDelivery } from "../../domain/webhook-deliveries.js";
import { AppError } from "../../lib/errors.js";
import { parseInput } from "../../lib/validation.js";
import { APPROVAL_ACTION_IDS, parseApprovalButtonValue, type ApprovalDecision } from "../../mcp-servers/slack/approval-blocks.js";
import type { ApiDeps } from "../deps.js";
import { handToWorkers } from "../enqueue.js";
import { ERROR_STATUS } from "../errors.js";
import type { HandledOutcome } from "./outcome.js";
import type { ApiContext } from "../state.js";
import { readRawBody } from "./raw-body.js";
import { postToResponseUrl } from "./slack-response-url.js";
import { verifySlackSignature } from "./verify.js";

/** Only what this route reads; Slack sends much more (message, container, state), which is ignored. */
const interactionPayload = z.object({
  type: z.string(),
  trigger_id: z.string().min(1).optional(),
  response_url: z.string().optional(),
  user: z.object({ id: z.string().min(1) }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional(), action_ts: z.string().optional() })).default([]),
});
type InteractionPayload = z.infer<typeof interactionPayload>;

/** What Slack shows the person who clicked (only to them), instead of an error page. */
export interface SlackReply {
  response_type: "ephemeral";
  replace_original: false;
  text: string;
}

function reply(text: string): SlackReply {
  return { response_type: "ephemeral", replace_original: false, text };
}

const DECISION_BY_ACTION: Readonly<Record<string, ApprovalDecision>> = {
  [APPROVAL_ACTION_IDS.approve]: "approve",
  [APPROVAL_ACTION_IDS.reject]: "reject",
};

export interface SlackInteractionsOptions {
  signingSecret: string;
  bodyLimitBytes: number;
}

export async function handleSlackInteraction(deps: ApiDeps, ctx: ApiContext, options: SlackInteractionsOptions): Promise<HandledOutcome> {
  const raw = await readRawBody(ctx, options.bodyLimitBytes);
  verifySlackSignature({ signingSecret: options.signingSecret, rawBody: raw, timestamp: ctx.get("X-Slack-Request-Timestamp") || undefined, signature: ctx.get("X-Slack-Signature") || undefined });

  const payload = parsePayload(raw);
  const found = payload.actions.map((action) => ({ action, decision: DECISION_BY_ACTION[action.action_id] })).find((a) => a.decision !== undefined);
  if (payload.type !== "block_actions" || !found?.decision) {
    // Another kind of interaction (a shortcut, another button): acknowledged, nothing of ours to do.
    ctx.status = 200;
    ctx.body = "";
    return "ignored";
  }
  const { action, decision } = found;
  const log = ctx.state.log.child({ slackUser: payload.user.id });
  /** The answer for the clicker: in the HTTP body (for Slack's logs) and through response_url (what Slack shows). */
  const respond = (text: string, replaceOriginal = false) => {
    ctx.body = reply(text);
    postToResponseUrl(deps.config, log, payload.response_url, { text, replaceOriginal });
  };

  const approvers = deps.config.slack.approvers;
  if (approvers && !approvers.includes(payload.user.id)) {
    log.info("slack approval click by a user who is not an approver");
    respond("You are not one of this planner's approvers (SLACK_APPROVERS), so your click was not counted.");
    return "ignored";
  }

  let claims: ApprovalTokenClaims;
  try {
    const value = parseApprovalButtonValue(action.value ?? "");
    // The button's value must agree with the button: a value pasted under the other button does not flip a decision.
    if (value.decision !== decision) throw new AppError("unauthorized", "button value and action disagree");
    claims = verifyApprovalToken(value.token, resolveApprovalSecret(deps.config.approvalSigningSecret));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    log.info({ reason: error.message }, "slack approval button refused");
    respond("This approval button is no longer valid (it has expired or was not issued by this planner).");
    return "ignored";
  }

  const interactionId = payload.trigger_id ?? `${payload.user.id}:${action.action_ts ?? ""}`;
  const { delivery, alreadyHandled } = await recordWebhookDelivery(deps.db, {
    provider: "slack",
    externalId: `interaction:${interactionId}`,
    eventType: `block_actions:${action.action_id}`,
    // Not the raw payload: the button's token is a credential and Slack's message copy is noise.
    payload: { type: payload.type, userId: payload.user.id, actionId: action.action_id, actionTs: action.action_ts ?? null, triggerId: payload.trigger_id ?? null, approvalId: claims.approvalId, decision },
    workspaceId: claims.workspaceId,
  });
  // A delivery still `received` was cut off before its decision landed (a crash): handle it again;
  // the decision itself refuses a second verdict, so this cannot decide twice.
  if (alreadyHandled) {
    log.info({ deliveryId: delivery.id }, "slack interaction redelivered; already handled");
    respond("Your decision was already received.");
    return "duplicate";
  }

  try {
    const decided = await decideRunApproval({ db: deps.db, workspaceId: claims.workspaceId, actor: { kind: "webhook", id: `slack:${payload.user.id}` } }, claims.approvalId, { decision });
    await handToWorkers(deps, ctx, { workspaceId: claims.workspaceId, runId: decided.runId });
    await markWebhookDelivery(deps.db, delivery.id, { status: "processed", workspaceId: claims.workspaceId });
    // Replacing the request takes its buttons away, so nobody clicks on a decided approval.
    respond(decision === "approve" ? `Approved by <@${payload.user.id}>: ${decided.approval.summary}` : `Rejected by <@${payload.user.id}>: ${decided.approval.summary}`, true);
    return "accepted";
  } catch (error) {
    // Only a refusal (4xx: decided, expired, not found in the token's workspace) is answered as text; a fault stays a fault.
    if (!(error instanceof AppError) || ERROR_STATUS[error.code] >= 500) throw error;
    await markWebhookDelivery(deps.db, delivery.id, { status: "ignored", error: `${error.code}: ${error.message}`.slice(0, 4000), workspaceId: claims.workspaceId });
    log.info({ code: error.code, approvalId: claims.approvalId }, "slack approval decision refused");
    respond(refusalText(error));
    return "ignored";
  }
}

function parsePayload(raw: Buffer): InteractionPayload {
  const field = new URLSearchParams(raw.toString("utf8")).get("payload");
  let json: unknown;
  try {
    json = field === null ? undefined : JSON.parse(field);
  } catch {
    json = undefined;
  }
  if (json === undefined) throw new AppError("validation_failed", "payload: must be the form field `payload` holding Slack's interaction JSON", { field: "payload" });
  return parseInput(interactionPayload, json);
}

function refusalText(error: AppError): string {
  // A not_found here means the token names an approval outside its own workspace: say nothing about what exists.
  if (error.code === "not_found") return "This approval could not be found.";
  return `Your decision was not recorded: ${error.message}`;
}
