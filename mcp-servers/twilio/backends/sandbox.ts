import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { DomainContext } from "../../../domain/context.js";
import { createSandboxObject, findSandboxObject, listSandboxObjects, updateSandboxObject } from "../../../domain/sandbox.js";
import { MAX_PAGE_SIZE } from "../../../domain/scope.js";
import type { SandboxObject } from "../../../drizzle/schema/index.js";
import { AppError, NotFoundError } from "../../../lib/errors.js";
import { createGuardedBackend, type Channel, type InboundMessage, type OutboundMessage, type TwilioBackend } from "../backend.js";
import { fromTwilioFailure } from "../errors.js";
import { classifyKeyword, segmentCount, type SendPolicy } from "../policy.js";

/**
 * The sandbox: an SMS lands in the outbox (`event-planner sandbox outbox --kind sms`) as Twilio
 * would hold it, with an SM… sid, the pinned sandbox sender and a status that moves
 * queued → sent → delivered. Persistence is domain/sandbox.ts, scoped to the workspace:
 * - kind "sms": one per message sent; parent = the recipient's number (the conversation), so the
 *   hourly limit counts them per recipient and survives restarts.
 * - kind "inbound_sms": what people sent us (recordInbound, the webhook's way in); parent = their
 *   number, so their latest STOP/START decides whether we may write to them.
 * Each workspace's sandbox is its own Twilio account (its own AC… sid), so its hourly counts and
 * opt-outs are its own; with real Twilio one account serves every workspace (backends/twilio.ts).
 */

/** Twilio's magic "valid sender" test number: the sandbox always sends from it. */
export const SANDBOX_FROM_NUMBER = "+15005550006";

/**
 * Twilio's magic test recipients, answered with the errors Twilio's test credentials give, so the
 * refusal paths can be exercised without a Twilio account.
 */
export const SANDBOX_MAGIC_RECIPIENTS: Readonly<Record<string, number>> = {
  "+15005550001": 21211,
  "+15005550002": 21612,
  "+15005550004": 21610,
  "+15005550009": 21614,
};

/**
 * Twilio returns "queued" and a carrier confirms later. The sandbox's carrier is this quick; the
 * stored status moves when someone looks (get_message_status), so the outbox shows the status last
 * observed, as a local copy of Twilio's would.
 */
export const SANDBOX_SENT_AFTER_MS = 1_000;
export const SANDBOX_DELIVERED_AFTER_MS = 3_000;

const SERVICE = "twilio";
const SMS = "sms";
const INBOUND = "inbound_sms";

// `to` and `body` first: the outbox command prints the start of this JSON.
const smsData = z.object({
  to: z.string(),
  body: z.string(),
  from: z.string(),
  accountSid: z.string(),
  direction: z.literal("outbound-api"),
  dateCreated: z.string(),
  dateSent: z.string().nullable(),
  dateUpdated: z.string(),
  numSegments: z.number().int(),
  errorCode: z.number().int().nullable(),
  errorMessage: z.string().nullable(),
  timeZones: z.array(z.string()),
});
type SmsData = z.infer<typeof smsData>;

const inboundData = z.object({
  from: z.string(),
  body: z.string(),
  to: z.string(),
  accountSid: z.string(),
  direction: z.literal("inbound"),
  dateCreated: z.string(),
  keyword: z.enum(["opt_out", "opt_in", "help"]).nullable(),
});
type InboundData = z.infer<typeof inboundData>;

function parseData<S extends z.ZodType>(schema: S, object: SandboxObject): z.output<S> {
  const parsed = schema.safeParse(object.data);
  if (!parsed.success) throw new AppError("internal", `sandbox twilio ${object.kind} ${object.externalId} has unreadable data`);
  return parsed.data;
}

/** A sid is 32 hex digits after its prefix; the sandbox's account is one per workspace. */
function hex32(seed: string): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, 32);
}

const accountSid = (ctx: DomainContext) => `AC${hex32(`sandbox-account\n${ctx.workspaceId}`)}`;

/** Derived from the key so a retry finds the first message by sid before any rule is checked again. */
const sidForKey = (ctx: DomainContext, key: string) => `SM${hex32(`${ctx.workspaceId}\n${key}`)}`;

function presentSms(object: SandboxObject): OutboundMessage {
  const data = parseData(smsData, object);
  return {
    sid: object.externalId,
    to: data.to,
    from: data.from,
    body: data.body,
    status: object.status,
    createdAt: data.dateCreated,
    sentAt: data.dateSent,
    updatedAt: data.dateUpdated,
    segments: data.numSegments,
    errorCode: data.errorCode,
    errorMessage: data.errorMessage,
    timeZones: data.timeZones,
  };
}

function presentInbound(object: SandboxObject): InboundMessage {
  const data = parseData(inboundData, object);
  return { sid: object.externalId, from: data.from, to: data.to, body: data.body, receivedAt: data.dateCreated, keyword: data.keyword };
}

const newestFirst = (a: { at: string }, b: { at: string }) => b.at.localeCompare(a.at);

function sandboxChannel(policy: SendPolicy): Channel {
  const { clock } = policy;

  const smsTo = (ctx: DomainContext, to: string) => listSandboxObjects(ctx, { service: SERVICE, kinds: [SMS], parentExternalId: to, limit: MAX_PAGE_SIZE });

  return {
    mode: "sandbox",
    fromNumber: SANDBOX_FROM_NUMBER,

    async findSent(ctx, key) {
      const object = await findSandboxObject(ctx, SERVICE, SMS, sidForKey(ctx, key));
      return object ? presentSms(object) : undefined;
    },

    async sentSince(ctx, to, since) {
      return (await smsTo(ctx, to)).map((object) => new Date(parseData(smsData, object).dateCreated)).filter((at) => at.getTime() > since.getTime());
    },

    async recentKeywords(ctx, from) {
      const inbound = await listSandboxObjects(ctx, { service: SERVICE, kinds: [INBOUND], parentExternalId: from, limit: MAX_PAGE_SIZE });
      return inbound
        .map((object) => parseData(inboundData, object))
        .map((data) => ({ at: data.dateCreated, keyword: data.keyword }))
        .sort(newestFirst)
        .map((entry) => entry.keyword);
    },

    async send(ctx, { to, body, key, timeZones }) {
      const magic = SANDBOX_MAGIC_RECIPIENTS[to];
      if (magic !== undefined) throw fromTwilioFailure({ status: 400, code: magic }, to);
      const now = clock().toISOString();
      const data: SmsData = {
        to,
        body,
        from: SANDBOX_FROM_NUMBER,
        accountSid: accountSid(ctx),
        direction: "outbound-api",
        dateCreated: now,
        dateSent: null,
        dateUpdated: now,
        numSegments: segmentCount(body),
        errorCode: null,
        errorMessage: null,
        timeZones,
      };
      const { object } = await createSandboxObject(ctx, { service: SERVICE, kind: SMS, externalId: sidForKey(ctx, key), parentExternalId: to, idempotencyKey: key, status: "queued", data });
      return presentSms(object);
    },

    async fetch(ctx, sid) {
      const object = await findSandboxObject(ctx, SERVICE, SMS, sid);
      if (!object) throw new NotFoundError("message", sid);
      const data = parseData(smsData, object);
      const created = new Date(data.dateCreated).getTime();
      const elapsed = clock().getTime() - created;
      const status = elapsed >= SANDBOX_DELIVERED_AFTER_MS ? "delivered" : elapsed >= SANDBOX_SENT_AFTER_MS ? "sent" : "queued";
      if (status === object.status) return presentSms(object);
      const sentAt = new Date(created + SANDBOX_SENT_AFTER_MS).toISOString();
      const updatedAt = new Date(created + (status === "delivered" ? SANDBOX_DELIVERED_AFTER_MS : SANDBOX_SENT_AFTER_MS)).toISOString();
      return presentSms(await updateSandboxObject(ctx, object.id, { status, data: { ...data, dateSent: sentAt, dateUpdated: updatedAt } }));
    },

    async listSent(ctx, { to, limit }) {
      const objects = await listSandboxObjects(ctx, { service: SERVICE, kinds: [SMS], parentExternalId: to, limit });
      return objects.map(presentSms);
    },

    async listInbound(ctx, { from, since, limit }) {
      const objects = await listSandboxObjects(ctx, { service: SERVICE, kinds: [INBOUND], parentExternalId: from, limit: since ? MAX_PAGE_SIZE : limit });
      return objects
        .map(presentInbound)
        .filter((message) => !since || new Date(message.receivedAt).getTime() >= since.getTime())
        .slice(0, limit);
    },

    async recordInbound(ctx, { from, to, body, sid, receivedAt }) {
      const externalId = sid ?? `SM${randomBytes(16).toString("hex")}`;
      const data: InboundData = { from, body, to, accountSid: accountSid(ctx), direction: "inbound", dateCreated: receivedAt.toISOString(), keyword: classifyKeyword(body) };
      const { object, replay } = await createSandboxObject(ctx, { service: SERVICE, kind: INBOUND, externalId, parentExternalId: from, idempotencyKey: externalId, status: "received", data });
      return { message: presentInbound(object), replay };
    },
  };
}

/** The sandbox backend: Twilio's behaviour inside our database, under the same rules as the real one. */
export function createSandboxBackend(policy: SendPolicy): TwilioBackend {
  return createGuardedBackend(sandboxChannel(policy), policy);
}
