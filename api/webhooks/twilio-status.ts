/**
 * `POST /webhooks/twilio/status`: Twilio's status callback for a message we sent (queued → sent →
 * delivered, or failed/undelivered with an ErrorCode). Signed like inbound SMS. Each (MessageSid,
 * MessageStatus) is one delivery; the new status lands on the workspace's record of the sent
 * message in the same transaction that marks the delivery processed. A status older than the one
 * recorded (callbacks overtake each other) changes nothing.
 */
import { z } from "zod";
import type { DomainContext } from "../../domain/context.js";
import { applySmsDeliveryStatus, findSentSms, isKnownSmsStatus } from "../../domain/sms-delivery-status.js";
import { claimReceivedDelivery } from "../../domain/webhook-claims.js";
import { markWebhookDelivery, recordWebhookDelivery } from "../../domain/webhook-deliveries.js";
import { parseInput } from "../../lib/validation.js";
import type { ApiDeps } from "../deps.js";
import type { ApiContext } from "../state.js";
import type { HandledOutcome } from "./outcome.js";
import { readSignedTwilioParams, type TwilioWebhookOptions } from "./twilio-request.js";
import { twilioMessageSid } from "./twilio-sms.js";

const statusCallback = z.object({
  MessageSid: twilioMessageSid,
  MessageStatus: z
    .string({ error: "is required: the message's new status" })
    .regex(/^[a-z_]{1,40}$/, { error: "must be a Twilio message status such as sent, delivered or failed" }),
  ErrorCode: z.coerce.number({ error: "must be Twilio's numeric error code" }).int({ error: "must be Twilio's numeric error code" }).optional(),
});

export async function handleSmsStatus(deps: ApiDeps, ctx: ApiContext, options: TwilioWebhookOptions): Promise<HandledOutcome> {
  const callback = parseInput(statusCallback, await readSignedTwilioParams(ctx, options));
  const { MessageSid: sid, MessageStatus: status, ErrorCode: errorCode } = callback;
  const log = ctx.state.log.child({ messageSid: sid, status });
  const sent = await findSentSms(deps.db, sid);

  const { delivery, alreadyHandled } = await recordWebhookDelivery(deps.db, {
    provider: "twilio",
    externalId: `status:${sid}:${status}`,
    eventType: `sms.status.${status}`,
    payload: { messageSid: sid, status, errorCode: errorCode ?? null },
    workspaceId: sent?.workspaceId ?? null,
  });
  // Twilio reads only the status code of a callback's answer.
  ctx.status = 204;
  if (alreadyHandled) return "duplicate";
  if (!sent || !isKnownSmsStatus(status)) {
    const reason = sent ? `status ${status} is not one this service tracks` : "no workspace sent a message with this sid";
    await markWebhookDelivery(deps.db, delivery.id, { status: "ignored", error: reason });
    log.info({ reason }, "twilio status callback ignored");
    return "ignored";
  }

  const domain: DomainContext = { db: deps.db, workspaceId: sent.workspaceId, actor: { kind: "webhook", id: `twilio:${sid}` } };
  const changed = await deps.db.transaction(async (tx) => {
    if (!(await claimReceivedDelivery(tx, delivery.id))) return undefined;
    const result = await applySmsDeliveryStatus({ ...domain, db: tx }, sent.id, { status, ...(errorCode !== undefined ? { errorCode } : {}), at: new Date() });
    await markWebhookDelivery(tx, delivery.id, { status: "processed", workspaceId: sent.workspaceId });
    return result.changed;
  });
  if (changed === undefined) return "duplicate";
  log.info({ changed }, "twilio status callback handled");
  return "accepted";
}
