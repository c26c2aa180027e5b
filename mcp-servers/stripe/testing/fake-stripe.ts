import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { StripeErrorBody } from "../errors.js";
import { minimumChargeMinor, stripeAmountText } from "../money.js";

/**
 * A small stand-in for api.stripe.com on 127.0.0.1, speaking Stripe's wire format for the
 * endpoints the SDK backend calls: form-encoded bodies with bracketed keys in, JSON objects with
 * `object` fields out, errors as `{ error: { type, code, message, param, decline_code } }`. Like
 * Stripe it replays the first response for a repeated Idempotency-Key (and refuses the key for
 * different parameters), refuses amounts below the minimum charge and refunds beyond what is
 * left, declines Stripe's test card pm_card_chargeDeclined, and answers 404 for unknown ids.
 * Every request is recorded; `failNext` scripts an error for the next matching one, and
 * `holdNext` keeps the next matching one's answer back (after it has acted) until a promise
 * settles: a vendor call in flight while a test kills its caller.
 */

export type Form = Record<string, string>;

export interface RecordedRequest {
  method: string;
  path: string;
  /** Query string (GET) with bracketed keys kept flat: `expand[0]`. */
  query: Form;
  /** Form body (POST) with bracketed keys kept flat: `metadata[workspace_id]`. */
  form: Form;
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  stripeVersion: string | undefined;
}

export interface ScriptedFailure {
  status: number;
  error: StripeErrorBody;
  method?: string;
  /** Only a request whose path matches fails. */
  path?: RegExp;
  headers?: Record<string, string>;
}

type Json = Record<string, unknown>;

interface Charge extends Json {
  id: string;
  amount: number;
  amount_refunded: number;
  refunded: boolean;
  currency: string;
}

interface PaymentIntent extends Json {
  id: string;
  amount: number;
  amount_received: number;
  currency: string;
  status: string;
  latest_charge: string | null;
  transfer_data: { destination: string } | null;
}

interface Invoice extends Json {
  id: string;
  status: string;
  customer: string;
  currency: string;
  total: number;
  lines: { object: "list"; data: Json[]; has_more: boolean; url: string };
  days_until_due: number;
}

export interface ScriptedHold {
  /** Answer only once this settles; the request has acted (and its key is stored) by then. */
  until: Promise<void>;
  method?: string;
  path?: RegExp;
}

export interface FakeStripe {
  url: string;
  requests: RecordedRequest[];
  /** Requests to one path, e.g. `/v1/refunds`. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[];
  failNext(failure: ScriptedFailure): void;
  holdNext(hold: ScriptedHold): void;
  state: {
    customers: Map<string, Json>;
    paymentLinks: Map<string, Json>;
    invoices: Map<string, Invoice>;
    paymentIntents: Map<string, PaymentIntent>;
    charges: Map<string, Charge>;
    refunds: Map<string, Json>;
    /** Invoices Stripe would have emailed. */
    sentInvoices: string[];
  };
  /** Seed a PaymentIntent as if someone had paid (a ticket, another workspace's deposit). */
  addPayment(input: { amount: number; currency: string; metadata: Record<string, string>; description?: string }): PaymentIntent;
  close(): Promise<void>;
}

const DECLINES: Record<string, string> = { pm_card_chargeDeclined: "generic_decline", pm_card_chargeDeclinedInsufficientFunds: "insufficient_funds" };

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex").slice(0, prefix === "cus" ? 14 : 24)}`;
const now = () => Math.floor(Date.now() / 1000);

class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
}

const invalid = (message: string, extra: Partial<StripeErrorBody> = {}) => new StripeFailure(400, { type: "invalid_request_error", message, ...extra });
const missing = (object: string, value: string, param: string) => new StripeFailure(404, { type: "invalid_request_error", code: "resource_missing", param, message: `No such ${object}: '${value}'` });

/** `metadata[a]=1&metadata[b]=2` → `{ a: "1", b: "2" }`. */
function sub(form: Form, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) {
    const match = key.startsWith(`${prefix}[`) ? /^\[([^\]]+)\]$/.exec(key.slice(prefix.length)) : null;
    if (match?.[1]) out[match[1]] = value;
  }
  return out;
}

const expands = (form: Form, what: string) => Object.entries(form).some(([key, value]) => /^expand\[\d*\]$/.test(key) && value === what);

function required(form: Form, key: string): string {
  const value = form[key];
  if (value === undefined || value === "") throw invalid(`Missing required param: ${key}.`, { param: key });
  return value;
}

function integer(form: Form, key: string): number {
  const value = Number(required(form, key));
  if (!Number.isInteger(value)) throw invalid(`Invalid integer: ${form[key]}`, { param: key });
  return value;
}

export async function startFakeStripe(options: { secretKey?: string } = {}): Promise<FakeStripe> {
  const requests: RecordedRequest[] = [];
  const failures: ScriptedFailure[] = [];
  const holds: ScriptedHold[] = [];
  const replays = new Map<string, { fingerprint: string; status: number; body: string }>();
  const state: FakeStripe["state"] = { customers: new Map(), paymentLinks: new Map(), invoices: new Map(), paymentIntents: new Map(), charges: new Map(), refunds: new Map(), sentInvoices: [] };

  function expandIntent(intent: PaymentIntent, expand: boolean): Json {
    return expand && intent.latest_charge ? { ...intent, latest_charge: state.charges.get(intent.latest_charge) ?? intent.latest_charge } : intent;
  }

  function createIntent(input: { amount: number; currency: string; metadata: Record<string, string>; description: string | null; destination: string | null; paymentMethod: string }): PaymentIntent {
    const charge: Charge = { id: id("ch"), object: "charge", amount: input.amount, amount_refunded: 0, refunded: false, currency: input.currency, status: "succeeded", created: now() };
    state.charges.set(charge.id, charge);
    const intent: PaymentIntent = {
      id: id("pi"),
      object: "payment_intent",
      amount: input.amount,
      amount_received: input.amount,
      currency: input.currency,
      status: "succeeded",
      description: input.description,
      created: now(),
      livemode: false,
      payment_method: input.paymentMethod,
      latest_charge: charge.id,
      transfer_data: input.destination ? { destination: input.destination } : null,
      metadata: input.metadata,
    };
    state.paymentIntents.set(intent.id, intent);
    return intent;
  }

  function invoiceOr404(invoiceId: string): Invoice {
    const invoice = state.invoices.get(invoiceId);
    if (!invoice) throw missing("invoice", invoiceId, "id");
    return invoice;
  }

  function route(method: string, path: string, form: Form, query: Form): { status: number; body: Json } {
    const ok = (body: Json) => ({ status: 200, body });
    let match: RegExpExecArray | null;

    if (method === "POST" && path === "/v1/customers") {
      const customer = { id: id("cus"), object: "customer", name: form.name ?? null, email: form.email ?? null, description: form.description ?? null, created: now(), livemode: false, metadata: sub(form, "metadata") };
      state.customers.set(customer.id, customer);
      return ok(customer);
    }
    if (method === "GET" && (match = /^\/v1\/customers\/([^/]+)$/.exec(path))) {
      const customer = state.customers.get(match[1] ?? "");
      if (!customer) throw missing("customer", match[1] ?? "", "id");
      return ok(customer);
    }
    if (method === "POST" && path === "/v1/payment_links") {
      const currency = required(form, "line_items[0][price_data][currency]");
      const unitAmount = integer(form, "line_items[0][price_data][unit_amount]");
      required(form, "line_items[0][price_data][product_data][name]");
      if (unitAmount < minimumChargeMinor(currency)) {
        throw invalid(`Amount must be at least ${stripeAmountText(minimumChargeMinor(currency), currency)}`, { code: "amount_too_small", param: "line_items[0][price_data][unit_amount]" });
      }
      const limit = form["restrictions[completed_sessions][limit]"];
      const link = {
        id: id("plink"),
        object: "payment_link",
        active: true,
        url: `https://buy.stripe.com/test_${randomBytes(9).toString("hex")}`,
        currency,
        livemode: false,
        metadata: sub(form, "metadata"),
        restrictions: limit ? { completed_sessions: { count: 0, limit: Number(limit) } } : null,
      };
      state.paymentLinks.set(link.id, link);
      return ok(link);
    }
    if (method === "POST" && path === "/v1/invoices") {
      const customerId = required(form, "customer");
      const customer = state.customers.get(customerId);
      if (!customer) throw missing("customer", customerId, "customer");
      const invoice: Invoice = {
        id: id("in"),
        object: "invoice",
        status: "draft",
        number: null,
        customer: customerId,
        customer_email: customer.email ?? null,
        collection_method: form.collection_method ?? "charge_automatically",
        currency: form.currency ?? "usd",
        subtotal: 0,
        total: 0,
        amount_due: 0,
        amount_paid: 0,
        amount_remaining: 0,
        due_date: null,
        days_until_due: Number(form.days_until_due ?? 30),
        description: form.description ?? null,
        hosted_invoice_url: null,
        created: now(),
        livemode: false,
        metadata: sub(form, "metadata"),
        lines: { object: "list", data: [], has_more: false, url: "/v1/invoices/lines" },
      };
      state.invoices.set(invoice.id, invoice);
      return ok(invoice);
    }
    if (method === "POST" && path === "/v1/invoiceitems") {
      const invoice = invoiceOr404(required(form, "invoice"));
      if (invoice.status !== "draft") throw invalid(`Invoice ${invoice.id} is no longer a draft.`, { param: "invoice" });
      const quantity = Number(form.quantity ?? "1");
      const unit = Number(required(form, "unit_amount_decimal"));
      const line = { id: id("il"), object: "line_item", amount: unit * quantity, currency: form.currency ?? invoice.currency, description: form.description ?? null, quantity, invoice: invoice.id };
      invoice.lines.data.push(line);
      invoice.total += line.amount;
      Object.assign(invoice, { subtotal: invoice.total, amount_due: invoice.total, amount_remaining: invoice.total });
      return ok({ id: id("ii"), object: "invoiceitem", amount: line.amount, currency: line.currency, description: line.description, quantity, invoice: invoice.id, metadata: sub(form, "metadata") });
    }
    if (method === "POST" && (match = /^\/v1\/invoices\/([^/]+)\/finalize$/.exec(path))) {
      const invoice = invoiceOr404(match[1] ?? "");
      if (invoice.status !== "draft") throw invalid("This invoice is already finalized, you can't re-finalize a non-draft invoice.");
      const customer = state.customers.get(invoice.customer);
      if (invoice.collection_method === "send_invoice" && !customer?.email) throw invalid("Missing email. In order to send an invoice, the customer must have a valid email.", { param: "customer" });
      Object.assign(invoice, {
        status: "open",
        number: `FAKE-${String(state.invoices.size).padStart(4, "0")}`,
        due_date: now() + invoice.days_until_due * 86_400,
        hosted_invoice_url: `https://invoice.stripe.com/i/test_${invoice.id}`,
      });
      return ok(invoice);
    }
    if (method === "POST" && (match = /^\/v1\/invoices\/([^/]+)\/send$/.exec(path))) {
      const invoice = invoiceOr404(match[1] ?? "");
      if (invoice.status !== "open") throw invalid("You can only send an invoice that is open.");
      state.sentInvoices.push(invoice.id);
      return ok(invoice);
    }
    if (method === "POST" && path === "/v1/payment_intents") {
      const amount = integer(form, "amount");
      const currency = required(form, "currency");
      if (amount < minimumChargeMinor(currency)) throw invalid(`Amount must be at least ${stripeAmountText(minimumChargeMinor(currency), currency)}`, { code: "amount_too_small", param: "amount" });
      const paymentMethod = form.payment_method ?? "";
      const decline = DECLINES[paymentMethod];
      if (decline) throw new StripeFailure(402, { type: "card_error", code: "card_declined", decline_code: decline, message: "Your card was declined." });
      const intent = createIntent({ amount, currency, metadata: sub(form, "metadata"), description: form.description ?? null, destination: form["transfer_data[destination]"] ?? null, paymentMethod });
      return ok(expandIntent(intent, expands(form, "latest_charge")));
    }
    if (method === "GET" && (match = /^\/v1\/payment_intents\/([^/]+)$/.exec(path))) {
      const intent = state.paymentIntents.get(match[1] ?? "");
      if (!intent) throw missing("payment_intent", match[1] ?? "", "intent");
      return ok(expandIntent(intent, expands(query, "latest_charge")));
    }
    if (method === "GET" && path === "/v1/payment_intents") {
      const all = [...state.paymentIntents.values()].reverse();
      const after = query.starting_after ? all.findIndex((intent) => intent.id === query.starting_after) + 1 : 0;
      const limit = Number(query.limit ?? "10");
      const page = all.slice(after, after + limit);
      return ok({ object: "list", url: "/v1/payment_intents", has_more: after + limit < all.length, data: page.map((intent) => expandIntent(intent, expands(query, "data.latest_charge"))) });
    }
    if (method === "POST" && path === "/v1/refunds") {
      const intentId = required(form, "payment_intent");
      const intent = state.paymentIntents.get(intentId);
      if (!intent) throw missing("payment_intent", intentId, "payment_intent");
      const charge = intent.latest_charge ? state.charges.get(intent.latest_charge) : undefined;
      if (!charge) throw invalid(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, { code: "payment_intent_unexpected_state", param: "payment_intent" });
      const remaining = charge.amount - charge.amount_refunded;
      if (remaining === 0) throw invalid(`Charge ${charge.id} has already been refunded.`, { code: "charge_already_refunded" });
      const amount = form.amount === undefined ? remaining : integer(form, "amount");
      if (amount > remaining) {
        throw invalid(`Refund amount (${stripeAmountText(amount, charge.currency)}) is greater than unrefunded amount on charge (${stripeAmountText(remaining, charge.currency)})`, { code: "amount_too_large", param: "amount" });
      }
      charge.amount_refunded += amount;
      charge.refunded = charge.amount_refunded === charge.amount;
      const refund = {
        id: id("re"),
        object: "refund",
        amount,
        currency: charge.currency,
        status: "succeeded",
        reason: form.reason ?? null,
        created: now(),
        payment_intent: intentId,
        charge: charge.id,
        metadata: sub(form, "metadata"),
        reverse_transfer: form.reverse_transfer === "true",
      };
      state.refunds.set(refund.id, refund);
      return ok(refund);
    }
    throw new StripeFailure(404, { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` });
  }

  function send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    response.writeHead(status, { "content-type": "application/json", "request-id": `req_${randomBytes(7).toString("hex")}`, ...headers });
    response.end(body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const method = request.method ?? "GET";
    const header = (name: string) => (typeof request.headers[name] === "string" ? request.headers[name] : undefined);
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form: Object.fromEntries(new URLSearchParams(raw)),
      idempotencyKey: header("idempotency-key"),
      authorization: header("authorization"),
      stripeVersion: header("stripe-version"),
    };
    requests.push(recorded);

    if (options.secretKey && recorded.authorization !== `Bearer ${options.secretKey}`) {
      send(response, 401, JSON.stringify({ error: { type: "invalid_request_error", message: "Invalid API Key provided: sk_test_****" } }));
      return;
    }
    const scripted = failures.findIndex((f) => (!f.method || f.method === method) && (!f.path || f.path.test(url.pathname)));
    if (scripted >= 0) {
      const [failure] = failures.splice(scripted, 1);
      if (failure) {
        send(response, failure.status, JSON.stringify({ error: failure.error }), failure.headers);
        return;
      }
    }
    const key = method === "POST" ? recorded.idempotencyKey : undefined;
    const fingerprint = `${method} ${url.pathname} ${raw}`;
    const previous = key ? replays.get(key) : undefined;
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        const message = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`;
        send(response, 400, JSON.stringify({ error: { type: "idempotency_error", message } }));
        return;
      }
      send(response, previous.status, previous.body, { "idempotent-replayed": "true" });
      return;
    }
    let status: number;
    let body: string;
    try {
      const result = route(method, url.pathname, recorded.form, recorded.query);
      status = result.status;
      body = JSON.stringify(result.body);
    } catch (error) {
      if (!(error instanceof StripeFailure)) throw error;
      status = error.status;
      body = JSON.stringify({ error: error.body });
      // Stripe saves the result of a request that ran (a decline) but not one refused before it started.
      if (status !== 402) {
        send(response, status, body);
        return;
      }
    }
    if (key) replays.set(key, { fingerprint, status, body });
    const held = holds.findIndex((h) => (!h.method || h.method === method) && (!h.path || h.path.test(url.pathname)));
    if (held >= 0) {
      const [hold] = holds.splice(held, 1);
      await hold?.until;
      // The caller may be gone (killed while it waited): Stripe acted all the same.
      if (response.destroyed || request.socket.destroyed) return;
    }
    send(response, status, body);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, JSON.stringify({ error: { type: "api_error", message: String(error) } })));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsTo: (method, path) => requests.filter((r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path))),
    failNext: (failure) => void failures.push(failure),
    holdNext: (hold) => void holds.push(hold),
    state,
    addPayment: (input) => createIntent({ amount: input.amount, currency: input.currency, metadata: input.metadata, description: input.description ?? null, destination: null, paymentMethod: "pm_card_visa" }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
