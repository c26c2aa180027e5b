/**
 * Scripted webhook events, arriving between conversation turns the way the product receives them.
 *
 * - Stripe: a signed request to the real `POST /webhooks/stripe` route of an in-process API, so the
 *   signature check, parsing, routing to the budget line and dedupe are the product's own code.
 * - Guest SMS and Slack requests: the domain functions the Twilio and Slack webhooks call
 *   (recordInbound, recordRsvp, addGuestSmsNote, handSmsReplyToAgent; ensureExternalConversation,
 *   submitPlanningRequest). Their routes cannot serve a trial as they are: the Twilio route needs
 *   real Twilio credentials and routes a number to a guest across all workspaces (trials of one
 *   scenario share guest numbers), and the Slack route files requests into the one workspace of
 *   EVENT_PLANNER_WORKSPACE, not the trial's fresh one.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { createApi } from "../api/app.js";
import type { ApiDeps } from "../api/deps.js";
import { parseRsvp } from "../api/webhooks/rsvp-parser.js";
import type { DomainContext } from "../domain/context.js";
import { ensureExternalConversation } from "../domain/conversations.js";
import { listEvents } from "../domain/events.js";
import { findGuestsByPhone, recordRsvp } from "../domain/guests.js";
import { submitPlanningRequest } from "../domain/planning-requests.js";
import { listSandboxObjects } from "../domain/sandbox.js";
import { slackThreadRef } from "../domain/slack-threads.js";
import { addGuestSmsNote, handSmsReplyToAgent } from "../domain/sms-replies.js";
import { listVendorQuotes, recordVendorQuote } from "../domain/vendor-quotes.js";
import type { DatabaseHandle } from "../drizzle/client.js";
import type { Run } from "../drizzle/schema/index.js";
import type { Config } from "../lib/config.js";
import { AppError } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import { createSandboxSlackBackend, SANDBOX_BOT } from "../mcp-servers/slack/backends/sandbox.js";
import { classifyKeyword, type Clock } from "../mcp-servers/twilio/policy.js";
import { createTwilioBackendFromConfig } from "../mcp-servers/twilio/server.js";

/** The real API with only what the Stripe webhook needs, listening on a loopback port for the suite's lifetime. */
export class StripeWebhookEndpoint {
  private constructor(
    private readonly server: Server,
    private readonly url: string,
    private readonly secret: string,
  ) {}

  static async start(env: { handle: DatabaseHandle; config: Config; logger: Logger }): Promise<StripeWebhookEndpoint> {
    const secret = `whsec_eval${randomBytes(16).toString("hex")}`;
    const deps: ApiDeps = {
      db: env.handle.db,
      config: { ...env.config, stripe: { ...env.config.stripe, webhookSecret: secret } },
      logger: env.logger,
      metrics: new Registry(),
      // The suite drives every run itself; nothing is queued.
      scheduler: { enqueueRun: () => Promise.resolve() },
      progress: { subscribe: () => Promise.resolve(() => Promise.resolve()) },
      rateLimiter: { consume: () => Promise.resolve({ allowed: true, limit: 1_000_000, remaining: 1_000_000, resetSeconds: 60 }) },
      readiness: { postgres: () => Promise.resolve(), redis: () => Promise.resolve() },
    };
    const handler = createApi(deps).callback();
    const server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return new StripeWebhookEndpoint(server, `http://127.0.0.1:${port}/webhooks/stripe`, secret);
  }

  /** Post one event, signed as Stripe signs it; anything but 200 fails the step. */
  async send(event: Record<string, unknown>): Promise<void> {
    const payload = JSON.stringify(event);
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload, secret: this.secret }) },
      body: payload,
    });
    const text = await response.text();
    if (response.status !== 200) throw new AppError("upstream_failed", `the Stripe webhook answered ${response.status}: ${text.slice(0, 500)}`);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function stringField(data: Record<string, unknown>, key: string): string {
  const value = data[key];
  if (typeof value !== "string") throw new AppError("invalid_state", `the sandbox payment has no ${key}`);
  return value;
}

/** The Stripe event Stripe would send about the trial's latest payment. */
export async function stripeEventForLatestPayment(ctx: DomainContext, type: "payment_intent.succeeded" | "charge.refunded"): Promise<Record<string, unknown>> {
  const [payment] = await listSandboxObjects(ctx, { service: "stripe", kinds: ["payment"], limit: 1 });
  if (!payment) throw new AppError("invalid_state", `a ${type} event needs a payment, and the trial has made none`);
  const data = payment.data;
  const id = `evt_eval${randomBytes(12).toString("hex")}`;
  if (type === "payment_intent.succeeded") {
    return { id, object: "event", type, data: { object: { id: stringField(data, "id"), object: "payment_intent", amount_received: data.amount_received, currency: data.currency, metadata: data.metadata } } };
  }
  const charge = (data.latest_charge ?? {}) as Record<string, unknown>;
  return {
    id,
    object: "event",
    type,
    data: {
      object: { id: stringField(charge, "id"), object: "charge", payment_intent: stringField(data, "id"), amount_refunded: charge.amount_refunded, currency: data.currency, metadata: data.metadata },
      previous_attributes: { amount_refunded: 0 },
    },
  };
}

export interface SmsInput {
  from: string;
  body: string;
  handToAgent: boolean;
}

/**
 * A guest's SMS, handled as the inbound SMS webhook handles it, for the trial's workspace: recorded
 * through the twilio backend (so STOP governs later sends), then an RSVP on the guest, or their
 * words kept on the guest and, when asked, handed to the agent as a run to drive.
 */
export async function receiveGuestSms(env: { ctx: DomainContext; config: Config; logger: Logger; clock: Clock; conversationId: string | undefined }, sms: SmsInput): Promise<{ run: Run | undefined; outcome: string }> {
  const sid = `SM${randomBytes(16).toString("hex")}`;
  const backend = createTwilioBackendFromConfig({ config: env.config, logger: env.logger }, env.clock);
  const keyword = classifyKeyword(sms.body);
  const rsvp = keyword === "opt_out" || keyword === "help" ? null : parseRsvp(sms.body);
  const [guest] = await findGuestsByPhone(env.ctx, sms.from);
  const webhook: DomainContext = { ...env.ctx, actor: { kind: "webhook", id: `twilio:${sid}` } };
  return env.ctx.db.transaction(async (tx) => {
    const ctx: DomainContext = { ...webhook, db: tx };
    await backend.recordInbound(ctx, { from: sms.from, body: sms.body, sid });
    if (!guest) return { run: undefined, outcome: "no guest has that number" };
    if (rsvp) {
      await recordRsvp(ctx, guest.id, { status: rsvp.status, ...(rsvp.plusOnes !== undefined ? { plusOnes: rsvp.plusOnes } : {}) });
      return { run: undefined, outcome: `RSVP ${rsvp.status}${rsvp.plusOnes ? ` +${rsvp.plusOnes}` : ""}` };
    }
    if (keyword !== null || sms.body.trim() === "") return { run: undefined, outcome: keyword ?? "empty" };
    await addGuestSmsNote(ctx, guest.id, sms.body);
    if (!sms.handToAgent) return { run: undefined, outcome: "kept on the guest's notes" };
    // Events the planner creates carry no conversation, so the reply goes to the trial's.
    const run = await handSmsReplyToAgent(ctx, { sender: { workspaceId: ctx.workspaceId, guest, event: { id: guest.eventId, conversationId: env.conversationId ?? null } }, messageSid: sid, from: sms.from });
    return { run, outcome: run ? "handed to the agent" : "kept on the guest's notes (no conversation to hand it to)" };
  });
}

/** An app mention in a Slack channel: the message lands in the sandbox channel and starts a thread conversation. */
export async function receiveSlackRequest(
  env: { ctx: DomainContext; config: Config },
  input: { channel: string; text: string; provider: string; model: string },
): Promise<{ run: Run; conversationId: string; thread: { channel: string; ts: string } }> {
  const user = "U0EVALUSER1";
  const slack = createSandboxSlackBackend({ allowedChannels: env.config.slack.allowedChannels });
  const channel = await slack.resolveChannel(env.ctx, input.channel);
  const posted = await slack.receiveMessage(env.ctx, { channel, user, text: `<@${SANDBOX_BOT.userId}> ${input.text}` });
  const ctx: DomainContext = { ...env.ctx, actor: { kind: "webhook", id: `slack:${user}` } };
  const conversation = await ensureExternalConversation(ctx, { channel: "slack", externalRef: slackThreadRef(channel.id, posted.ts), title: input.text.slice(0, 200) });
  const { run } = await submitPlanningRequest(ctx, { conversationId: conversation.id, content: input.text, idempotencyKey: `slack-event-Ev${randomBytes(8).toString("hex")}`, provider: input.provider, model: input.model });
  return { run, conversationId: conversation.id, thread: { channel: channel.id, ts: posted.ts } };
}

/** A person (not the bot) writing in a channel. */
export async function receiveSlackMessage(env: { ctx: DomainContext; config: Config }, input: { channel: string; user: string; text: string }): Promise<void> {
  const slack = createSandboxSlackBackend({ allowedChannels: env.config.slack.allowedChannels });
  const channel = await slack.resolveChannel(env.ctx, input.channel);
  await slack.receiveMessage(env.ctx, { channel, user: input.user, text: input.text });
}

/** A vendor's answer to the newest quote requested from them: price and their own words. */
export async function receiveVendorQuote(ctx: DomainContext, input: { vendorId: string; vendorName: string; amountMinor: number; notes?: string }): Promise<void> {
  for (const event of await listEvents(ctx, { limit: 200 })) {
    const quotes = await listVendorQuotes(ctx, { eventId: event.id, status: "requested" });
    const quote = quotes.filter((candidate) => candidate.vendorId === input.vendorId).at(-1);
    if (quote) {
      await recordVendorQuote(ctx, quote.id, { amountMinor: input.amountMinor, currency: quote.currency, ...(input.notes ? { vendorNotes: input.notes } : {}) });
      return;
    }
  }
  throw new AppError("invalid_state", `no quote was requested from ${input.vendorName}`);
}
