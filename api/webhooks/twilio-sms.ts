/**
 * `POST /webhooks/twilio/sms`: an SMS a person sent to our Twilio number.
 *
 * Order: raw bytes → Twilio signature → the parameters → whose reply it is (the guest we most
 * recently invited or texted at that number, in whichever workspace) → dedupe on MessageSid → in
 * one transaction: the message recorded through the twilio backend (so STOP/START govern later
 * sends), then an RSVP ("yes +2") on the guest, or other text kept on the guest's notes, and the
 * delivery marked processed. A crash before the commit leaves the delivery `received`, and Twilio's
 * retry does it all again. The agent, when SMS_REPLIES_TO_AGENT is on, gets a queued run, never
 * an answer in this request. Twilio is always answered with empty TwiML: nothing is texted back.
 */
import { z } from "zod";
import type { DomainContext } from "../../domain/context.js";
import { recordRsvp } from "../../domain/guests.js";
import { addGuestSmsNote, handSmsReplyToAgent, routeInboundSms } from "../../domain/sms-replies.js";
import { claimReceivedDelivery } from "../../domain/webhook-claims.js";
import { markWebhookDelivery, recordWebhookDelivery } from "../../domain/webhook-deliveries.js";
import type { Run } from "../../drizzle/schema/index.js";
import { parseInput } from "../../lib/validation.js";
import type { TwilioBackend } from "../../mcp-servers/twilio/backend.js";
import { classifyKeyword, isE164 } from "../../mcp-servers/twilio/policy.js";
import type { ApiDeps } from "../deps.js";
import { handToWorkers } from "../enqueue.js";
import type { ApiContext } from "../state.js";
import type { HandledOutcome } from "./outcome.js";
import { parseRsvp } from "./rsvp-parser.js";
import { answerWithEmptyTwiml, readSignedTwilioParams, type TwilioWebhookOptions } from "./twilio-request.js";

export const twilioMessageSid = z
  .string({ error: "is required: Twilio's message sid" })
  .regex(/^(SM|MM)[0-9a-fA-F]{32}$/, { error: "must be a Twilio message sid: SM or MM followed by 32 hex characters" });

/** Only what this route reads; Twilio sends more (AccountSid, NumMedia, FromCity …), which is ignored. */
const inboundSms = z.object({
  MessageSid: twilioMessageSid,
  From: z.string({ error: "is required: the sender's number" }).min(1, { error: "is required: the sender's number" }),
  To: z.string().optional(),
  // An MMS with only a picture has an empty Body.
  Body: z.string().default(""),
});

export async function handleInboundSms(deps: ApiDeps, backend: TwilioBackend, ctx: ApiContext, options: TwilioWebhookOptions): Promise<HandledOutcome> {
  const sms = parseInput(inboundSms, await readSignedTwilioParams(ctx, options));
  const sid = sms.MessageSid;
  const log = ctx.state.log.child({ messageSid: sid });
  const keyword = classifyKeyword(sms.Body);
  // An opt-out or HELP is only that; YES is both Twilio's opt-in and an RSVP, and counts as both.
  const rsvp = keyword === "opt_out" || keyword === "help" ? null : parseRsvp(sms.Body);
  // Short codes and alphanumeric senders are nobody's guest.
  const sender = isE164(sms.From) ? await routeInboundSms(deps.db, sms.From) : undefined;

  const { delivery, alreadyHandled } = await recordWebhookDelivery(deps.db, {
    provider: "twilio",
    externalId: `sms:${sid}`,
    eventType: "sms.inbound",
    // Not the text: it is the guest's, kept on the guest (or by Twilio), not copied into a log of deliveries.
    payload: { messageSid: sid, from: sms.From, keyword, rsvp: rsvp?.status ?? null, plusOnes: rsvp?.plusOnes ?? null, bodyLength: sms.Body.length, guestId: sender?.guest.id ?? null },
    workspaceId: sender?.workspaceId ?? null,
  });
  answerWithEmptyTwiml(ctx);
  // A delivery still `received` was cut off before its transaction committed: handle it again.
  if (alreadyHandled) {
    log.info({ deliveryId: delivery.id }, "twilio SMS redelivered; already handled");
    return "duplicate";
  }
  if (!sender) {
    await markWebhookDelivery(deps.db, delivery.id, { status: "ignored", error: "no guest has the sender's number" });
    log.info("inbound SMS from a number no guest has; ignored");
    return "ignored";
  }

  const domain: DomainContext = { db: deps.db, workspaceId: sender.workspaceId, actor: { kind: "webhook", id: `twilio:${sid}` } };
  const handled = await deps.db.transaction(async (tx): Promise<{ run: Run | undefined } | undefined> => {
    if (!(await claimReceivedDelivery(tx, delivery.id))) return undefined;
    const txCtx: DomainContext = { ...domain, db: tx };
    await backend.recordInbound(txCtx, { from: sms.From, ...(sms.To && isE164(sms.To) ? { to: sms.To } : {}), body: sms.Body, sid });
    let run: Run | undefined;
    if (rsvp) {
      await recordRsvp(txCtx, sender.guest.id, { status: rsvp.status, ...(rsvp.plusOnes !== undefined ? { plusOnes: rsvp.plusOnes } : {}) });
    } else if (keyword === null && sms.Body.trim() !== "") {
      await addGuestSmsNote(txCtx, sender.guest.id, sms.Body);
      if (deps.config.smsRepliesToAgent) run = await handSmsReplyToAgent(txCtx, { sender, messageSid: sid, from: sms.From });
    }
    await markWebhookDelivery(tx, delivery.id, { status: "processed", workspaceId: sender.workspaceId });
    return { run };
  });
  if (!handled) {
    log.info({ deliveryId: delivery.id }, "twilio SMS handled meanwhile by a concurrent delivery");
    return "duplicate";
  }
  if (handled.run) await handToWorkers(deps, ctx, { workspaceId: sender.workspaceId, runId: handled.run.id });
  log.info({ guestId: sender.guest.id, keyword, rsvp: rsvp?.status ?? null, runId: handled.run?.id }, "inbound SMS handled");
  return "accepted";
}
