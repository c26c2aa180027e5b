import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient.js";
import type { MessageInstance } from "twilio/lib/rest/api/v2010/account/message.js";
import { z } from "zod";
import type { DomainContext } from "../../../domain/context.js";
import { createSandboxObject, findSandboxObject, listSandboxObjects, updateSandboxObject } from "../../../domain/sandbox.js";
import { MAX_PAGE_SIZE } from "../../../domain/scope.js";
import type { SandboxObject } from "../../../drizzle/schema/index.js";
import { AppError, NotFoundError, ValidationError } from "../../../lib/errors.js";
import { createGuardedBackend, type Channel, type InboundMessage, type OutboundMessage, type TwilioBackend } from "../backend.js";
import { fromTwilioFailure, unreachable } from "../errors.js";
import { classifyKeyword, type SendPolicy } from "../policy.js";

/**
 * The real backend: Twilio's Messages API through the official `twilio` SDK.
 *
 * What Twilio cannot tell us, we keep per workspace in domain/sandbox.ts as kind "sent_log" (one
 * per message this workspace sent; parent = the recipient): which messages are this workspace's
 * (get_message_status and list_sent_messages answer only for those) and whose replies it may read
 * (list_inbound_messages shows messages from numbers it has written to, as found in its latest 200
 * sends). It is a record of sends, never shown in the sandbox outbox.
 *
 * What Twilio does know, we ask Twilio, so it holds across workspaces and restarts and needs no
 * webhook to be wired: the hourly limit counts Twilio's own list of messages from our number to the
 * recipient, and opt-outs are the recipient's latest STOP/START to our number in Twilio's list
 * (Twilio also refuses an opted-out number itself, error 21610, which maps to the same refusal).
 */

export interface TwilioApiOptions {
  accountSid: string;
  authToken: string;
  fromNumber: string;
  /** TWILIO_BASE_URL: where api.twilio.com requests go instead (a local fake in tests, a proxy). */
  baseUrl?: string;
  timeoutMs?: number;
}

const SERVICE = "twilio";
const SENT_LOG = "sent_log";
/** How far back the opt-out check reads a number's messages to us: enough for any STOP/START exchange. */
const KEYWORD_LOOKBACK = 20;

type RequestOptions<T> = RequestClient.RequestOptions<T>;

/**
 * The SDK's documented extension point (a custom httpClient, see twilio-node's
 * advanced-examples/custom-http-client.md): the same axios-based client, with api.twilio.com's
 * origin swapped for the configured one. Edge/region host names are swapped too. Automatic
 * retries stay off: a retried create could send a second SMS.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly base: URL | undefined;

  constructor(baseUrl: string | undefined, options: { timeout: number }) {
    super({ timeout: options.timeout, autoRetry: false });
    this.base = baseUrl ? new URL(baseUrl) : undefined;
  }

  override request<TData>(opts: RequestOptions<TData>) {
    const uri = new URL(opts.uri);
    if (!this.base || !uri.hostname.endsWith("twilio.com")) return super.request(opts);
    const rewritten = new URL(`${this.base.pathname.replace(/\/$/, "")}${uri.pathname}${uri.search}`, this.base);
    return super.request({ ...opts, uri: rewritten.href });
  }
}

function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const logData = z.object({
  to: z.string(),
  body: z.string(),
  from: z.string(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  updatedAt: z.string(),
  segments: z.number().int(),
  errorCode: z.number().int().nullable(),
  errorMessage: z.string().nullable(),
  timeZones: z.array(z.string()),
});

function fromLog(object: SandboxObject): OutboundMessage {
  const parsed = logData.safeParse(object.data);
  if (!parsed.success) throw new AppError("internal", `twilio sent_log ${object.externalId} has unreadable data`);
  return { sid: object.externalId, status: object.status, ...parsed.data };
}

function toLog(message: OutboundMessage): z.infer<typeof logData> {
  const { sid: _sid, status: _status, ...data } = message;
  return data;
}

function present(message: MessageInstance, timeZones: string[]): OutboundMessage {
  const createdAt = iso(message.dateCreated) ?? new Date().toISOString();
  const segments = Number(message.numSegments);
  return {
    sid: message.sid,
    to: message.to,
    from: message.from,
    body: message.body,
    status: message.status,
    createdAt,
    sentAt: iso(message.dateSent),
    updatedAt: iso(message.dateUpdated) ?? createdAt,
    segments: Number.isInteger(segments) ? segments : 0,
    errorCode: typeof message.errorCode === "number" ? message.errorCode : null,
    errorMessage: message.errorMessage || null,
    timeZones,
  };
}

function presentInbound(message: MessageInstance): InboundMessage {
  return { sid: message.sid, from: message.from, to: message.to, body: message.body, receivedAt: iso(message.dateSent) ?? iso(message.dateCreated) ?? "", keyword: classifyKeyword(message.body) };
}

/** Twilio's refusals in our terms; a request that got no answer is "unreachable", anything else is our bug. */
async function twilioCall<T>(request: () => Promise<T>, to?: string): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof twilio.RestException) throw fromTwilioFailure({ status: error.status, code: error.code, message: error.message }, to);
    if (typeof error === "object" && error !== null && (error as { isAxiosError?: unknown }).isAxiosError === true) throw unreachable(error);
    throw error;
  }
}

const newest = (a: MessageInstance, b: MessageInstance) => (iso(b.dateCreated) ?? "").localeCompare(iso(a.dateCreated) ?? "");

function twilioChannel(options: TwilioApiOptions): Channel {
  const client = twilio(options.accountSid, options.authToken, {
    httpClient: new BaseUrlRequestClient(options.baseUrl, { timeout: options.timeoutMs ?? 15_000 }),
    autoRetry: false,
  });
  const { fromNumber } = options;

  const sentLog = (ctx: DomainContext, to?: string) => listSandboxObjects(ctx, { service: SERVICE, kinds: [SENT_LOG], parentExternalId: to, limit: MAX_PAGE_SIZE });

  return {
    mode: "twilio",
    fromNumber,

    async findSent(ctx, key, to) {
      const logged = (await sentLog(ctx, to)).find((object) => object.idempotencyKey === key);
      return logged ? fromLog(logged) : undefined;
    },

    async sentSince(ctx, to, since, atLeast) {
      // A few extra, so failed ones (never sent, not counted) cannot hide sent ones behind the page edge.
      const messages = await twilioCall(() => client.messages.list({ to, from: fromNumber, limit: atLeast + 10 }));
      return messages
        .filter((m) => m.status !== "failed" && m.status !== "canceled")
        .map((m) => new Date(iso(m.dateCreated) ?? 0))
        .filter((at) => at.getTime() > since.getTime());
    },

    async recentKeywords(_ctx, from) {
      const messages = await twilioCall(() => client.messages.list({ from, to: fromNumber, limit: KEYWORD_LOOKBACK }));
      return messages.sort(newest).map((m) => classifyKeyword(m.body));
    },

    async send(ctx, { to, body, key, timeZones }) {
      const created = await twilioCall(() => client.messages.create({ to, from: fromNumber, body }), to);
      const message = present(created, timeZones);
      await createSandboxObject(ctx, { service: SERVICE, kind: SENT_LOG, externalId: message.sid, parentExternalId: to, idempotencyKey: key, status: message.status, data: toLog(message) });
      return message;
    },

    async fetch(ctx, sid) {
      const logged = await findSandboxObject(ctx, SERVICE, SENT_LOG, sid);
      // Another workspace's sid (or none of ours) is not asked about: it does not exist for this workspace.
      if (!logged) throw new NotFoundError("message", sid);
      const known = fromLog(logged);
      const message = present(await twilioCall(() => client.messages(sid).fetch()), known.timeZones);
      if (message.status !== known.status || message.errorCode !== known.errorCode) await updateSandboxObject(ctx, logged.id, { status: message.status, data: toLog(message) });
      return message;
    },

    async listSent(ctx, { to, limit }) {
      const objects = await listSandboxObjects(ctx, { service: SERVICE, kinds: [SENT_LOG], parentExternalId: to, limit });
      return objects.map(fromLog);
    },

    async listInbound(ctx, { from, since, limit }) {
      const contacted = new Set((await sentLog(ctx)).map((object) => object.parentExternalId).filter((n): n is string => n !== null));
      if (from !== undefined && !contacted.has(from)) return [];
      // One Twilio number serves every workspace: read a full page and keep the replies from people this workspace wrote to.
      const messages = await twilioCall(() =>
        client.messages.list({ to: fromNumber, ...(from ? { from } : {}), ...(since ? { dateSentAfter: since } : {}), limit: from ? limit : MAX_PAGE_SIZE }),
      );
      return messages
        .filter((m) => m.direction === "inbound" && contacted.has(m.from))
        .sort(newest)
        .slice(0, limit)
        .map(presentInbound);
    },

    // Twilio already holds what was received, and the opt-out check reads it there: nothing to store.
    recordInbound(_ctx, { from, to, body, sid, receivedAt }) {
      if (!sid) return Promise.reject(new ValidationError("sid: the webhook's MessageSid is required with the Twilio backend", { field: "sid" }));
      return Promise.resolve({ message: { sid, from, to, body, receivedAt: receivedAt.toISOString(), keyword: classifyKeyword(body) }, replay: false });
    },
  };
}

export function createTwilioApiBackend(options: TwilioApiOptions, policy: SendPolicy): TwilioBackend {
  return createGuardedBackend(twilioChannel(options), policy);
}
