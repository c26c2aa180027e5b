import type { DomainContext } from "../../domain/context.js";
import { AppError, ValidationError } from "../../lib/errors.js";
import { isTimeZone } from "../../lib/formats.js";
import { refusal, refusalDetails, type SkipReason } from "./errors.js";
import {
  checkQuietHours,
  isE164,
  MAX_BODY_LENGTH,
  optedOut,
  RATE_WINDOW_MS,
  renderTemplate,
  resolveRecipientZones,
  templateProblem,
  type Keyword,
  type QuietHours,
  type SendPolicy,
} from "./policy.js";

/** An SMS we sent, in Twilio's terms (SM… sid, queued → sent → delivered, or failed/undelivered). */
export interface OutboundMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  status: string;
  createdAt: string;
  sentAt: string | null;
  updatedAt: string;
  segments: number;
  errorCode: number | null;
  errorMessage: string | null;
  /** The zones quiet hours were checked in when it was sent. */
  timeZones: string[];
}

/** An SMS someone sent to our number. `body` is theirs: the tools fence it as untrusted. */
export interface InboundMessage {
  sid: string;
  from: string;
  to: string;
  body: string;
  receivedAt: string;
  keyword: Keyword | null;
}

export interface SendSmsInput {
  to: string;
  body: string;
  /** The recipient's IANA zone; without it the calling code decides (policy.ts). */
  timeZone?: string;
}

export interface InvitationRecipient {
  name: string;
  phone: string;
  timeZone?: string;
  /** Echoed back so the planner can match results to its guest list. */
  guestId?: string;
}

export interface InvitationResult {
  name: string;
  to: string;
  guestId: string | null;
  status: "sent" | "skipped";
  sid: string | null;
  reason: SkipReason | null;
  detail: string | null;
  retryAfter: string | null;
}

export interface RecordInboundInput {
  from: string;
  body: string;
  /** Our number it was sent to; defaults to the pinned sender. */
  to?: string;
  /** Twilio's MessageSid from the webhook: recording the same one twice keeps one message. */
  sid?: string;
  receivedAt?: Date;
}

/**
 * What the tools (and the Twilio webhook, issue 6) call. Every method takes the domain context of
 * the workspace acting (a ToolContext from a tool); the rules (E.164, pinned sender, quiet hours,
 * opt-outs, hourly limit) are enforced here for both backends, not in the tools.
 */
export interface TwilioBackend {
  readonly mode: "sandbox" | "twilio";
  /** The pinned sender: TWILIO_FROM_NUMBER, or the sandbox's fixed number. Never chosen by a caller. */
  readonly fromNumber: string;
  /** The configured rules, for the tools' descriptions. */
  readonly rules: { quietHours: QuietHours; maxPerRecipientPerHour: number };
  sendSms(ctx: DomainContext, input: SendSmsInput, idempotencyKey: string): Promise<OutboundMessage>;
  sendInvitations(ctx: DomainContext, input: { recipients: InvitationRecipient[]; template: string }, idempotencyKey: string): Promise<InvitationResult[]>;
  getMessageStatus(ctx: DomainContext, sid: string): Promise<OutboundMessage>;
  listSentMessages(ctx: DomainContext, input: { to?: string; limit: number }): Promise<OutboundMessage[]>;
  listInboundMessages(ctx: DomainContext, input: { from?: string; since?: Date; limit: number }): Promise<InboundMessage[]>;
  /** Record an SMS a person sent us (webhook); an opt-out or opt-in keyword in it takes effect for later sends. */
  recordInbound(ctx: DomainContext, input: RecordInboundInput): Promise<{ message: InboundMessage; replay: boolean }>;
}

/**
 * What differs between the sandbox and Twilio: where messages go and where the facts the rules need
 * come from. A channel never checks a rule; `createGuardedBackend` does, the same way for both.
 */
export interface Channel {
  readonly mode: TwilioBackend["mode"];
  readonly fromNumber: string;
  /** The message already sent under this per-recipient key: a retry returns it instead of checking and sending again. */
  findSent(ctx: DomainContext, key: string, to: string): Promise<OutboundMessage | undefined>;
  /** When messages to `to` that actually went out were created since `since`; at least `atLeast` of them if there are that many. */
  sentSince(ctx: DomainContext, to: string, since: Date, atLeast: number): Promise<Date[]>;
  /** Opt-out/opt-in keywords `from` sent to our number, newest first (null for other messages). */
  recentKeywords(ctx: DomainContext, from: string): Promise<(Keyword | null)[]>;
  /** Send from the pinned number; Twilio's refusals come back as AppErrors with RefusalDetails. */
  send(ctx: DomainContext, message: { to: string; body: string; key: string; timeZones: string[] }): Promise<OutboundMessage>;
  fetch(ctx: DomainContext, sid: string): Promise<OutboundMessage>;
  listSent(ctx: DomainContext, input: { to?: string; limit: number }): Promise<OutboundMessage[]>;
  listInbound(ctx: DomainContext, input: { from?: string; since?: Date; limit: number }): Promise<InboundMessage[]>;
  recordInbound(ctx: DomainContext, input: Required<Pick<RecordInboundInput, "from" | "body" | "to" | "receivedAt">> & { sid?: string }): Promise<{ message: InboundMessage; replay: boolean }>;
}

function requireE164(value: string, field: string): string {
  if (!isE164(value)) throw new ValidationError(`${field}: must be an E.164 phone number, e.g. +351912345678 (got "${value}")`, { field });
  return value;
}

function requireBody(body: string, field: string): void {
  if (body.trim() === "") throw new ValidationError(`${field}: must not be empty`, { field });
  if ([...body].length > MAX_BODY_LENGTH) throw refusal("validation_failed", `${field}: is ${[...body].length} characters; an SMS body is at most ${MAX_BODY_LENGTH}`, { reason: "body_too_long", field });
}

/** Per recipient, so one bulk key covers each recipient once and a retry finds who already got it. */
export function recipientKey(idempotencyKey: string, to: string): string {
  return `${idempotencyKey}:${to}`;
}

export function createGuardedBackend(channel: Channel, policy: SendPolicy): TwilioBackend {
  const { quietHours, maxPerRecipientPerHour: max } = policy;

  /** Every rule, cheapest first; returns the zones checked or throws a refusal a planner can act on. */
  async function admit(ctx: DomainContext, to: string, timeZone: string | undefined): Promise<string[]> {
    if (timeZone !== undefined && !isTimeZone(timeZone)) throw new ValidationError(`timeZone: must be an IANA time zone, e.g. Europe/Lisbon (got "${timeZone}")`, { field: "timeZone" });
    const resolved = resolveRecipientZones(to, timeZone);
    if (!resolved.ok) throw refusal("validation_failed", `timeZone: ${resolved.message}.`, { reason: "time_zone_unknown", field: "timeZone" });
    const now = policy.clock();
    const quiet = checkQuietHours(now, resolved.zones, quietHours);
    if (quiet) {
      const assumed = resolved.source === "callingCode" && resolved.zones.length > 1 ? ` (without timeZone, ${to} may be anywhere from ${resolved.zones[0]} to ${resolved.zones.at(-1)})` : "";
      const when = quiet.allowedFrom
        ? `send it at or after ${quiet.allowedFrom.toISOString()}`
        : "the zones this number may be in never share waking hours, so give the recipient's timeZone";
      throw refusal("forbidden", `quiet hours: it is ${quiet.localTime} in ${quiet.zone} for ${to}${assumed}, inside quiet hours ${quietHours.start}-${quietHours.end} recipient time; nothing was sent or queued, ${when}.`, {
        reason: "quiet_hours",
        field: "to",
        retryAfter: quiet.allowedFrom?.toISOString(),
      });
    }
    if (optedOut(await channel.recentKeywords(ctx, to))) {
      throw refusal("forbidden", `${to} has unsubscribed (replied STOP); nothing is sent to them unless they reply START.`, { reason: "opted_out", field: "to" });
    }
    const recent = (await channel.sentSince(ctx, to, new Date(now.getTime() - RATE_WINDOW_MS), max)).sort((a, b) => a.getTime() - b.getTime());
    if (recent.length >= max) {
      // The next send is allowed once enough of the counted ones have left the window.
      const oldest = recent[recent.length - max] ?? now;
      const retryAfter = new Date(oldest.getTime() + RATE_WINDOW_MS).toISOString();
      throw refusal("rate_limited", `${to} already got ${recent.length} message${recent.length === 1 ? "" : "s"} in the last hour (at most ${max} per recipient per hour); send it at or after ${retryAfter}.`, {
        reason: "rate_limited",
        field: "to",
        retryAfter,
      });
    }
    return resolved.zones;
  }

  async function deliver(ctx: DomainContext, to: string, body: string, timeZone: string | undefined, key: string): Promise<OutboundMessage> {
    const existing = await channel.findSent(ctx, key, to);
    if (existing) return existing;
    const timeZones = await admit(ctx, to, timeZone);
    return channel.send(ctx, { to, body, key, timeZones });
  }

  return {
    mode: channel.mode,
    fromNumber: channel.fromNumber,
    rules: { quietHours, maxPerRecipientPerHour: max },

    async sendSms(ctx, input, idempotencyKey) {
      const to = requireE164(input.to, "to");
      requireBody(input.body, "body");
      return deliver(ctx, to, input.body, input.timeZone, recipientKey(idempotencyKey, to));
    },

    async sendInvitations(ctx, { recipients, template }, idempotencyKey) {
      const problem = templateProblem(template);
      if (problem) throw new ValidationError(`template: ${problem}`, { field: "template" });
      recipients.forEach((r, i) => requireE164(r.phone, `recipients.${i}.phone`));
      const results: InvitationResult[] = [];
      const seen = new Set<string>();
      let halted: string | undefined;
      for (const recipient of recipients) {
        const to = recipient.phone;
        const base = { name: recipient.name, to, guestId: recipient.guestId ?? null };
        const skip = (reason: SkipReason, detail: string, retryAfter?: string): void => {
          results.push({ ...base, status: "skipped", sid: null, reason, detail, retryAfter: retryAfter ?? null });
        };
        if (seen.has(to)) {
          skip("duplicate", `${to} appears earlier in this list; it gets one invitation.`);
          continue;
        }
        seen.add(to);
        const key = recipientKey(idempotencyKey, to);
        if (halted) {
          // A retry of this call may have reached them the first time.
          const earlier = await channel.findSent(ctx, key, to);
          if (earlier) results.push({ ...base, status: "sent", sid: earlier.sid, reason: null, detail: null, retryAfter: null });
          else skip("not_attempted", `not tried after Twilio failed for an earlier recipient: ${halted}`);
          continue;
        }
        const body = renderTemplate(template, recipient.name);
        try {
          requireBody(body, "template");
          const message = await deliver(ctx, to, body, recipient.timeZone, key);
          results.push({ ...base, status: "sent", sid: message.sid, reason: null, detail: null, retryAfter: null });
        } catch (error) {
          const details = error instanceof AppError ? refusalDetails(error) : undefined;
          if (!(error instanceof AppError) || !details) throw error;
          // Failing the whole call is only honest while nobody has been messaged: a retry then acts on everyone.
          if (details.accountLevel && !results.some((r) => r.status === "sent")) throw error;
          if (details.accountLevel) halted = error.message;
          skip(details.reason, error.message, details.retryAfter);
        }
      }
      return results;
    },

    getMessageStatus: (ctx, sid) => channel.fetch(ctx, sid),

    listSentMessages: (ctx, input) => channel.listSent(ctx, { ...input, to: input.to === undefined ? undefined : requireE164(input.to, "to") }),

    listInboundMessages: (ctx, input) => channel.listInbound(ctx, { ...input, from: input.from === undefined ? undefined : requireE164(input.from, "from") }),

    async recordInbound(ctx, input) {
      const from = requireE164(input.from, "from");
      const to = input.to === undefined ? channel.fromNumber : requireE164(input.to, "to");
      return channel.recordInbound(ctx, { from, to, body: input.body, sid: input.sid, receivedAt: input.receivedAt ?? policy.clock() });
    },
  };
}
