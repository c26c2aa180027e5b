import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { E164_PATTERN } from "../../../lib/formats.js";

/**
 * A small Twilio on 127.0.0.1 for the real backend's tests: the Messages endpoints of the 2010-04-01
 * REST API in Twilio's wire format (form-encoded create, JSON resources with RFC 2822 dates, list
 * pages, error bodies with Twilio codes), Basic auth with the account sid and token, every request
 * recorded, and errors scriptable per request or per recipient.
 */

export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
  /** The account's SMS-capable number; a create from any other sender gets 21606. */
  fromNumber: string;
  /** Stamps date_created; the test's injected clock, so the backend's rules and the fake agree on "now". */
  clock?: () => Date;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Query string parameters, e.g. { To: "+351…", PageSize: "13", "DateSent>": "…" }. */
  query: Record<string, string>;
  /** Form body of a POST. */
  form: Record<string, string>;
  headers: IncomingMessage["headers"];
}

export interface FakeMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  status: string;
  direction: "outbound-api" | "inbound";
  dateCreated: Date;
  dateSent: Date | null;
  dateUpdated: Date;
  errorCode: number | null;
  errorMessage: string | null;
}

export interface ScriptedError {
  status: number;
  code?: number;
  message?: string;
}

interface Script {
  error: ScriptedError;
  method?: string;
  path?: RegExp;
  to?: string;
  remaining: number;
}

const rfc2822 = (date: Date) => date.toUTCString().replace("GMT", "+0000");

const newSid = () => `SM${randomBytes(16).toString("hex")}`;

export class FakeTwilio {
  readonly requests: RecordedRequest[] = [];
  readonly messages: FakeMessage[] = [];
  private readonly scripts: Script[] = [];
  private server: Server | undefined;
  private base = "";

  constructor(private readonly options: FakeTwilioOptions) {}

  get url(): string {
    return this.base;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  /** The next `times` requests matching (method, path, or for a create the recipient) get this error. */
  fail(error: ScriptedError, match: { method?: string; path?: RegExp; to?: string; times?: number } = {}): void {
    this.scripts.push({ error, method: match.method, path: match.path, to: match.to, remaining: match.times ?? 1 });
  }

  /** A message someone sent to our number, as Twilio would have received it. */
  addInbound(from: string, body: string, at: Date): FakeMessage {
    return this.add({ sid: newSid(), to: this.options.fromNumber, from, body, status: "received", direction: "inbound", dateCreated: at, dateSent: at, dateUpdated: at, errorCode: null, errorMessage: null });
  }

  /** A message from our number sent before the test started (e.g. by another workspace or process). */
  addOutbound(to: string, at: Date, status = "delivered"): FakeMessage {
    return this.add({ sid: newSid(), to, from: this.options.fromNumber, body: "earlier message", status, direction: "outbound-api", dateCreated: at, dateSent: at, dateUpdated: at, errorCode: null, errorMessage: null });
  }

  setStatus(sid: string, status: string, error?: { code: number; message: string }): void {
    const message = this.messages.find((m) => m.sid === sid);
    if (!message) throw new Error(`fake twilio has no message ${sid}`);
    message.status = status;
    message.dateSent ??= this.now();
    message.errorCode = error?.code ?? null;
    message.errorMessage = error?.message ?? null;
  }

  /** The message creates (POSTs), leaving out the reads the rules make first. */
  creates(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === "POST");
  }

  private add(message: FakeMessage): FakeMessage {
    this.messages.push(message);
    return message;
  }

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  private resource(message: FakeMessage): Record<string, unknown> {
    const uri = `/2010-04-01/Accounts/${this.options.accountSid}/Messages/${message.sid}.json`;
    return {
      account_sid: this.options.accountSid,
      api_version: "2010-04-01",
      body: message.body,
      date_created: rfc2822(message.dateCreated),
      date_sent: message.dateSent ? rfc2822(message.dateSent) : null,
      date_updated: rfc2822(message.dateUpdated),
      direction: message.direction,
      error_code: message.errorCode,
      error_message: message.errorMessage,
      from: message.from,
      messaging_service_sid: null,
      num_media: "0",
      num_segments: String(Math.max(1, Math.ceil(message.body.length / 153))),
      price: null,
      price_unit: "USD",
      sid: message.sid,
      status: message.status,
      subresource_uris: { media: uri.replace(".json", "/Media.json") },
      to: message.to,
      uri,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://fake");
    const form = req.method === "POST" ? Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))) : {};
    const recorded: RecordedRequest = { method: req.method ?? "", path: url.pathname, query: Object.fromEntries(url.searchParams), form, headers: req.headers };
    this.requests.push(recorded);

    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, code: number, message: string) => send(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

    const expected = `Basic ${Buffer.from(`${this.options.accountSid}:${this.options.authToken}`).toString("base64")}`;
    if (req.headers.authorization !== expected) return error(401, 20003, "Authenticate");

    const script = this.scripts.find(
      (s) => (!s.method || s.method === recorded.method) && (!s.path || s.path.test(recorded.path)) && (!s.to || (recorded.method === "POST" && recorded.form.To === s.to)),
    );
    if (script) {
      script.remaining -= 1;
      if (script.remaining <= 0) this.scripts.splice(this.scripts.indexOf(script), 1);
      const { status, code, message } = script.error;
      return send(status, { code: code ?? status, message: message ?? `scripted ${status}`, more_info: `https://www.twilio.com/docs/errors/${code ?? status}`, status });
    }

    const prefix = `/2010-04-01/Accounts/${this.options.accountSid}/Messages`;
    if (!url.pathname.startsWith(prefix)) return error(404, 20404, `The requested resource ${url.pathname} was not found`);
    const rest = url.pathname.slice(prefix.length);

    if (rest === ".json" && req.method === "POST") {
      const { To: to, From: from, Body: body } = form;
      if (!to || !E164_PATTERN.test(to)) return error(400, 21211, `The 'To' number ${to ?? ""} is not a valid phone number.`);
      if (from !== this.options.fromNumber) return error(400, 21606, `The From phone number ${from ?? ""} is not a valid, SMS-capable inbound phone number or short code for your account.`);
      if (!body) return error(400, 21602, "Message body is required.");
      if (body.length > 1600) return error(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
      const now = this.now();
      const message = this.add({ sid: newSid(), to, from, body, status: "queued", direction: "outbound-api", dateCreated: now, dateSent: null, dateUpdated: now, errorCode: null, errorMessage: null });
      return send(201, this.resource(message));
    }

    if (rest === ".json" && req.method === "GET") {
      const q = url.searchParams;
      const after = q.get("DateSent>");
      const pageSize = Number(q.get("PageSize") ?? 50);
      const matching = this.messages
        .filter((m) => (!q.get("To") || m.to === q.get("To")) && (!q.get("From") || m.from === q.get("From")))
        .filter((m) => !after || (m.dateSent !== null && m.dateSent.getTime() >= new Date(after).getTime()))
        .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime())
        .slice(0, pageSize);
      return send(200, {
        messages: matching.map((m) => this.resource(m)),
        end: Math.max(matching.length - 1, 0),
        first_page_uri: `${prefix}.json?PageSize=${pageSize}&Page=0`,
        next_page_uri: null,
        page: 0,
        page_size: pageSize,
        previous_page_uri: null,
        start: 0,
        uri: `${prefix}.json${url.search}`,
      });
    }

    const sid = /^\/([A-Za-z0-9]+)\.json$/.exec(rest)?.[1];
    if (sid && req.method === "GET") {
      const message = this.messages.find((m) => m.sid === sid);
      if (!message) return error(404, 20404, `The requested resource ${url.pathname} was not found`);
      return send(200, this.resource(message));
    }
    return error(405, 20004, "Method not allowed");
  }
}

export async function startFakeTwilio(options: FakeTwilioOptions): Promise<FakeTwilio> {
  return new FakeTwilio(options).start();
}
