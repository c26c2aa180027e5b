/**
 * `POST /webhooks/slack/events`: Slack's Events API. The URL check (`url_verification`) is answered
 * with its challenge; an app mention or a direct message becomes a planning request in the
 * conversation tied to its Slack thread, and a worker plans it (the agent answers in that thread).
 *
 * Slack retries an event it did not see acknowledged within 3 s (`X-Slack-Retry-Num`), with the same
 * `event_id`: the delivery is deduplicated on it and the run's idempotency key is derived from it,
 * so neither a retry nor a race between two deliveries creates a second run. The request does only
 * the database writes; planning happens in a worker.
 */
import { z } from "zod";
import type { DomainContext } from "../../domain/context.js";
import { ensureExternalConversation } from "../../domain/conversations.js";
import { submitPlanningRequest } from "../../domain/planning-requests.js";
import { slackThreadRef } from "../../domain/slack-threads.js";
import { markWebhookDelivery, recordWebhookDelivery } from "../../domain/webhook-deliveries.js";
import { ensureWorkspace } from "../../domain/workspaces.js";
import { AppError } from "../../lib/errors.js";
import { parseInput } from "../../lib/validation.js";
import type { ApiDeps } from "../deps.js";
import { handToWorkers } from "../enqueue.js";
import type { ApiContext } from "../state.js";
import type { HandledOutcome } from "./outcome.js";
import { readRawBody } from "./raw-body.js";
import { verifySlackSignature } from "./verify.js";

const ts = z.string().regex(/^\d{10}\.\d{6}$/, { error: "must be a Slack ts such as 1712345678.000100" });

/** Only the fields this route reads; Slack sends more, which is ignored. */
const messageEvent = z.object({
  type: z.string(),
  subtype: z.string().optional(),
  channel: z.string().regex(/^[CGD][A-Z0-9]{8,}$/, { error: "must be a Slack conversation id" }),
  channel_type: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().default(""),
  ts,
  thread_ts: ts.optional(),
});

const envelope = z.discriminatedUnion("type", [
  z.object({ type: z.literal("url_verification"), challenge: z.string().min(1).max(500) }),
  z.object({ type: z.literal("event_callback"), event_id: z.string().min(1).max(255), team_id: z.string().optional(), event: z.object({ type: z.string() }).loose() }),
]);

export interface SlackEventsOptions {
  signingSecret: string;
  bodyLimitBytes: number;
}

/** A person asking us: a mention of the app, or a message in a DM with it (never a bot, never an edit). */
function planningRequestIn(event: { type: string }): z.infer<typeof messageEvent> | undefined {
  if (event.type !== "app_mention" && event.type !== "message") return undefined;
  const parsed = parseInput(messageEvent, event);
  if (parsed.bot_id || parsed.subtype || !parsed.user) return undefined;
  if (parsed.type === "message" && parsed.channel_type !== "im") return undefined;
  return parsed;
}

/** The request without the leading `<@U…>` mention(s) of the app. */
function requestText(text: string): string {
  return text.replace(/^(\s*<@[UW][A-Z0-9]+(\|[^>]*)?>[\s,:]*)+/, "").trim();
}

export async function handleSlackEvent(deps: ApiDeps, ctx: ApiContext, options: SlackEventsOptions): Promise<HandledOutcome> {
  const raw = await readRawBody(ctx, options.bodyLimitBytes);
  verifySlackSignature({ signingSecret: options.signingSecret, rawBody: raw, timestamp: ctx.get("X-Slack-Request-Timestamp") || undefined, signature: ctx.get("X-Slack-Signature") || undefined });

  const body = parseEnvelope(raw);
  if (body.type === "url_verification") {
    ctx.body = { challenge: body.challenge };
    return "accepted";
  }
  ctx.status = 200;
  ctx.body = "";
  const event = planningRequestIn(body.event);
  const content = event ? requestText(event.text) : "";
  if (!event || content.length === 0) return "ignored";

  const workspace = await ensureWorkspace(deps.db, deps.config.workspace);
  const log = ctx.state.log.child({ slackEventId: body.event_id, retry: ctx.get("X-Slack-Retry-Num") || undefined });
  const { delivery, alreadyHandled } = await recordWebhookDelivery(deps.db, {
    provider: "slack",
    externalId: `event:${body.event_id}`,
    eventType: `event_callback:${event.type}`,
    // Not the text: it is the person's request and is stored once, as the conversation's message.
    payload: { eventId: body.event_id, teamId: body.team_id ?? null, type: event.type, channel: event.channel, user: event.user ?? null, ts: event.ts, threadTs: event.thread_ts ?? null },
    workspaceId: workspace.id,
  });
  // A delivery still `received` was cut off before its run was stored: do it now (the run's key makes it once).
  if (alreadyHandled) {
    log.info({ deliveryId: delivery.id }, "slack event redelivered; already handled");
    return "duplicate";
  }

  const domain: DomainContext = { db: deps.db, workspaceId: workspace.id, actor: { kind: "webhook", id: `slack:${event.user ?? "unknown"}` } };
  const conversation = await ensureExternalConversation(domain, { channel: "slack", externalRef: slackThreadRef(event.channel, event.thread_ts ?? event.ts), title: content.slice(0, 200) });
  const { run } = await submitPlanningRequest(domain, { conversationId: conversation.id, content, idempotencyKey: `slack-event-${body.event_id}` });
  await handToWorkers(deps, ctx, { workspaceId: workspace.id, runId: run.id });
  await markWebhookDelivery(deps.db, delivery.id, { status: "processed", workspaceId: workspace.id });
  log.info({ runId: run.id, conversationId: conversation.id }, "slack request queued");
  return "accepted";
}

function parseEnvelope(raw: Buffer): z.infer<typeof envelope> {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new AppError("validation_failed", "body: must be Slack's event JSON", { field: "body" });
  }
  return parseInput(envelope, json);
}
