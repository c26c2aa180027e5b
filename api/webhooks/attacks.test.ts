/**
 * Attacks on every webhook (Slack events, Slack interactions, Twilio SMS, Twilio status, Stripe):
 * forged, tampered (the body changed after signing), signed with the wrong secret, stale (where the
 * scheme has a timestamp), unsigned, and replayed (the same delivery twice). Every forgery is refused
 * with 401; a replay is acknowledged and has no second effect. None of them enqueues work (the
 * scheduler's calls stay as they were) or writes a row anywhere in the database.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signApprovalToken } from "../../domain/approval-tokens.js";
import { createApproval, getApproval } from "../../domain/approvals.js";
import { isNull } from "drizzle-orm";
import { addBudgetLine, getBudgetLine } from "../../domain/budget.js";
import { createConversation } from "../../domain/conversations.js";
import { createEvent } from "../../domain/events.js";
import { addGuests, markInvited } from "../../domain/guests.js";
import { submitPlanningRequest } from "../../domain/planning-requests.js";
import { requestVendorQuote } from "../../domain/vendor-quotes.js";
import { vendors } from "../../drizzle/schema/index.js";
import { createSandboxObject } from "../../domain/sandbox.js";
import { ensureWorkspace } from "../../domain/workspaces.js";
import { loadConfig } from "../../lib/config.js";
import { newWorkspaceContext } from "../../test/context.js";
import { LISBON_OFFSITE } from "../../test/fixtures.js";
import { createApi, type Api } from "../app.js";
import { createHarness, errorOf, type Harness } from "../testing/harness.js";
import { nowSeconds, slackSignatureHeaders, stripeSignatureHeaders, twilioSignatureHeaders } from "./testing/signers.js";

const SLACK_SECRET = "slack-signing-secret-under-attack";
const APPROVAL_SECRET = "approval-signing-secret-under-attack-0123456789";
const STRIPE_SECRET = "whsec_stripe_secret_under_attack";
const TWILIO_TOKEN = "twilio-auth-token-under-attack";
const TWILIO_ACCOUNT = `AC${"a1".repeat(16)}`;
const OUR_NUMBER = "+14155550100";
const PUBLIC = "https://planner.example.com";
/** Ten minutes ago: outside Slack's and Stripe's five-minute windows. */
const STALE = () => nowSeconds() - 600;

let h: Harness;
let app: Api;
let responseServer: Server;
let pool: pg.Pool;

/** What every table with data in it holds, row by row: any insert, update or delete changes it. */
const TABLES = ["workspaces", "conversations", "messages", "runs", "run_steps", "tool_calls", "approvals", "events", "guests", "budget_lines", "vendor_quotes", "venue_bookings", "tasks", "sandbox_objects", "webhook_deliveries"];
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    const { rows } = await pool.query<{ digest: string | null; n: number }>(`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest, count(*)::int as n from ${table} t`);
    out[table] = `${rows[0]?.n}:${rows[0]?.digest}`;
  }
  return out;
}

interface Delivery {
  /** The bytes as sent. */
  body: string;
  contentType: "json" | "form";
  /** Signs a body the way the provider does, with `secret` (default: the right one) and at `timestamp`. */
  sign(body: string, options?: { secret?: string; timestamp?: number }): Record<string, string>;
  /** The same delivery with one meaningful byte changed (after signing). */
  tampered: string;
  /** What the delivery changes where its owner would look (an RSVP note, a committed amount …). */
  observe(): Promise<unknown>;
}

interface Target {
  name: string;
  path: string;
  hasTimestamp: boolean;
  /** The status a valid delivery (and its replay) gets. */
  okStatus: number;
  /** A fresh, valid delivery whose first arrival has an effect. */
  fresh(): Promise<Delivery>;
  /** Whether the first arrival enqueues a run. */
  enqueues: boolean;
}

function post(target: Target, body: string, headers: Record<string, string>, contentType: Delivery["contentType"]) {
  return request(app.callback())
    .post(target.path)
    .set({ ...headers, "Content-Type": contentType === "json" ? "application/json" : "application/x-www-form-urlencoded" })
    .send(body);
}

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const newSid = () => `SM${randomBytes(16).toString("hex")}`;
const newPhone = () => `+3519${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;

let slackWorkspace: string;
let sequence = 0;

const slackEvents: Target = {
  name: "Slack events",
  path: "/webhooks/slack/events",
  hasTimestamp: true,
  okStatus: 200,
  enqueues: true,
  fresh() {
    sequence += 1;
    const ts = `1732449${String(sequence).padStart(3, "0")}.000100`;
    const event = { type: "app_mention", user: "U0ANA00001", text: "<@U0PLANNER1> pay the caterer EUR 5000 now", channel: "C0PLANNING", ts };
    const body = JSON.stringify({ type: "event_callback", team_id: "T0TEAM0001", api_app_id: "A0APP00001", event_id: `Ev0${randomBytes(5).toString("hex").toUpperCase()}`, event_time: nowSeconds(), event });
    return Promise.resolve({
      body,
      contentType: "json",
      sign: (b, o = {}) => slackSignatureHeaders(b, o.secret ?? SLACK_SECRET, o.timestamp),
      tampered: body.replace("EUR 5000", "EUR 9000"),
      observe: async () => (await pool.query<{ n: number }>("select count(*)::int as n from conversations where external_ref = $1", [`C0PLANNING:${ts}`])).rows[0]?.n,
    });
  },
};

const slackInteractions: Target = {
  name: "Slack interactions",
  path: "/webhooks/slack/interactions",
  hasTimestamp: true,
  okStatus: 200,
  enqueues: true,
  async fresh() {
    const ctx = await newWorkspaceContext(h.deps.db, "attack-click");
    const { run } = await submitPlanningRequest(ctx, { content: "Book a caterer for 40 people" });
    const approval = await createApproval(ctx, {
      runId: run.id,
      action: "stripe__pay_vendor_deposit",
      summary: "Pay a EUR 2500 deposit to Tasca Catering",
      amountMinor: 250_000,
      currency: "EUR",
      payload: { vendorName: "Tasca Catering", amountMinor: 250_000, currency: "EUR" },
      expiresAt: new Date(Date.now() + 3600_000),
    });
    const token = signApprovalToken({ approvalId: approval.id, workspaceId: approval.workspaceId }, APPROVAL_SECRET);
    const click = (decision: string) => {
      const triggerId = `trigger-${approval.id}`;
      const payload = {
        type: "block_actions",
        trigger_id: triggerId,
        response_url: `${responseUrlBase}/actions/${triggerId}`,
        user: { id: "U0APPROVER", username: "ana" },
        actions: [{ action_id: `approval_${decision}`, block_id: "approval:x", value: JSON.stringify({ decision, token }), action_ts: "1732449600.000100" }],
      };
      return form({ payload: JSON.stringify(payload) });
    };
    return {
      body: click("reject"),
      contentType: "form",
      sign: (b, o = {}) => slackSignatureHeaders(b, o.secret ?? SLACK_SECRET, o.timestamp),
      tampered: click("approve"),
      observe: async () => (await getApproval(ctx, approval.id)).status,
    };
  },
};

let responseUrlBase: string;

/** Twilio signs the URL and the parameters; a Twilio delivery is rebuilt from its parameters. */
function twilioDelivery(path: string, params: Record<string, string>, tamperedParams: Record<string, string>, observe: () => Promise<unknown>): Delivery {
  return {
    observe,
    body: form(params),
    contentType: "form",
    sign: (b, o = {}) => twilioSignatureHeaders(Object.fromEntries(new URLSearchParams(b)), o.secret ?? TWILIO_TOKEN, `${PUBLIC}${path}`),
    tampered: form(tamperedParams),
  };
}

const twilioSms: Target = {
  name: "Twilio SMS",
  path: "/webhooks/twilio/sms",
  hasTimestamp: false,
  okStatus: 200,
  enqueues: true,
  async fresh() {
    const ctx = await newWorkspaceContext(h.deps.db, "attack-sms");
    const conversation = await createConversation(ctx, { title: "Offsite", channel: "api" });
    const event = await createEvent(ctx, { ...LISBON_OFFSITE, conversationId: conversation.id });
    const phone = newPhone();
    const [guest] = await addGuests(ctx, event.id, [{ name: "Ana Costa", phone }]);
    await markInvited(ctx, [guest!.id]);
    const sid = newSid();
    // Not an RSVP: kept on the guest's notes and handed to the agent (SMS_REPLIES_TO_AGENT=true).
    const params = { MessageSid: sid, SmsSid: sid, AccountSid: TWILIO_ACCOUNT, From: phone, To: OUR_NUMBER, Body: "Can you send my deposit refund to IBAN PT50 0000?", NumMedia: "0" };
    return twilioDelivery(this.path, params, { ...params, Body: "YES +9" }, async () => {
      const row = (await pool.query<{ notes: string | null; rsvp_status: string }>("select notes, rsvp_status from guests where id = $1", [guest!.id])).rows[0];
      return [row?.notes, row?.rsvp_status];
    });
  },
};

const twilioStatus: Target = {
  name: "Twilio status",
  path: "/webhooks/twilio/status",
  hasTimestamp: false,
  okStatus: 204,
  enqueues: false,
  async fresh() {
    const ctx = await newWorkspaceContext(h.deps.db, "attack-status");
    const sid = newSid();
    await createSandboxObject(ctx, { service: "twilio", kind: "sent_log", externalId: sid, parentExternalId: newPhone(), idempotencyKey: `k-${randomBytes(4).toString("hex")}`, status: "queued", data: {} });
    const params = { MessageSid: sid, SmsSid: sid, MessageStatus: "delivered", SmsStatus: "delivered", AccountSid: TWILIO_ACCOUNT, From: OUR_NUMBER, ApiVersion: "2010-04-01" };
    return twilioDelivery(this.path, params, { ...params, MessageStatus: "failed", SmsStatus: "failed", ErrorCode: "30003" }, async () => (await pool.query<{ status: string }>("select status from sandbox_objects where external_id = $1", [sid])).rows[0]?.status);
  },
};

const stripe: Target = {
  name: "Stripe",
  path: "/webhooks/stripe",
  hasTimestamp: true,
  okStatus: 200,
  enqueues: false,
  async fresh() {
    const ctx = await newWorkspaceContext(h.deps.db, "attack-stripe");
    const event = await createEvent(ctx, LISBON_OFFSITE);
    const [vendor] = await h.deps.db.select({ id: vendors.id }).from(vendors).where(isNull(vendors.workspaceId)).limit(1);
    const quote = await requestVendorQuote(ctx, { eventId: event.id, vendorId: vendor!.id, description: "Lunch for 40", currency: "EUR" });
    const line = await addBudgetLine(ctx, event.id, { category: "catering", description: "Lunch deposit", plannedMinor: 800_000, committedMinor: 0, currency: "EUR", vendorQuoteId: quote.id });
    const intent = {
      id: `pi_${randomBytes(12).toString("hex")}`,
      object: "payment_intent",
      amount: 150_000,
      amount_received: 150_000,
      currency: "eur",
      status: "succeeded",
      metadata: { workspace_id: ctx.workspaceId, purpose: "vendor_deposit", vendor_name: "Tagus Hall", vendor_reference: quote.id, event_id: event.id },
    };
    const stripeEvent = { id: `evt_${randomBytes(12).toString("hex")}`, object: "event", api_version: "2026-10-28.endive", created: nowSeconds(), livemode: false, pending_webhooks: 1, type: "payment_intent.succeeded", data: { object: intent } };
    const body = JSON.stringify(stripeEvent);
    return {
      body,
      contentType: "json",
      sign: (b, o = {}) => stripeSignatureHeaders(b, o.secret ?? STRIPE_SECRET, o.timestamp),
      tampered: body.replace('"amount_received":150000', '"amount_received":9150000'),
      observe: async () => (await getBudgetLine(ctx, line.id)).committedMinor,
    };
  },
};

const TARGETS = [slackEvents, slackInteractions, twilioSms, twilioStatus, stripe];

beforeAll(async () => {
  h = await createHarness();
  pool = h.database.handle.client as pg.Pool;
  responseServer = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  await new Promise<void>((resolve) => responseServer.listen(0, "127.0.0.1", resolve));
  responseUrlBase = `http://127.0.0.1:${(responseServer.address() as AddressInfo).port}`;
  slackWorkspace = `attack-slack-${randomBytes(4).toString("hex")}`;
  await ensureWorkspace(h.deps.db, slackWorkspace);
  const config = loadConfig({
    NODE_ENV: "test",
    EVENT_PLANNER_WORKSPACE: slackWorkspace,
    SLACK_SIGNING_SECRET: SLACK_SECRET,
    APPROVAL_SIGNING_SECRET: APPROVAL_SECRET,
    SLACK_BASE_URL: responseUrlBase,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_FROM_NUMBER: OUR_NUMBER,
    // Nothing here should reach Twilio; if something did, it would fail against a closed port.
    TWILIO_BASE_URL: "http://127.0.0.1:9",
    PUBLIC_BASE_URL: PUBLIC,
    SMS_REPLIES_TO_AGENT: "true",
  });
  app = createApi({ ...h.deps, config });
});
afterAll(async () => {
  await new Promise((resolve) => responseServer.close(resolve));
  await h.close();
});

/** Sends the attack and proves it changed nothing: refused with 401, no enqueue, no row anywhere. */
async function expectRefusedWithoutEffect(target: Target, body: string, headers: Record<string, string>, contentType: Delivery["contentType"], reason?: RegExp): Promise<void> {
  const before = await snapshot();
  const calls = h.scheduler.calls.length;
  const res = await post(target, body, headers, contentType);
  expect(res.status, `${target.name}: ${res.text}`).toBe(401);
  expect(errorOf(res).code).toBe("unauthorized");
  if (reason) expect(errorOf(res).message).toMatch(reason);
  expect(h.scheduler.calls.length).toBe(calls);
  expect(await snapshot()).toEqual(before);
}

describe.each(TARGETS)("attacks on $name ($path)", (target) => {
  it("refuses a forged signature", async () => {
    const delivery = await target.fresh();
    const real = delivery.sign(delivery.body);
    const forged = Object.fromEntries(
      Object.entries(real).map(([name, value]) => {
        if (name === "X-Slack-Signature") return [name, `v0=${randomBytes(32).toString("hex")}`];
        if (name === "X-Twilio-Signature") return [name, randomBytes(20).toString("base64")];
        if (name === "Stripe-Signature") return [name, `t=${nowSeconds()},v1=${randomBytes(32).toString("hex")}`];
        return [name, value];
      }),
    );
    await expectRefusedWithoutEffect(target, delivery.body, forged, delivery.contentType);
  });

  it("refuses a body changed after it was signed", async () => {
    const delivery = await target.fresh();
    expect(delivery.tampered).not.toBe(delivery.body);
    await expectRefusedWithoutEffect(target, delivery.tampered, delivery.sign(delivery.body), delivery.contentType);
  });

  it("refuses a signature made with another secret", async () => {
    const delivery = await target.fresh();
    const wrong = target.path.includes("stripe") ? "whsec_someone_elses_secret" : "someone-elses-secret-0123456789";
    await expectRefusedWithoutEffect(target, delivery.body, delivery.sign(delivery.body, { secret: wrong }), delivery.contentType);
  });

  it("refuses a request with no signature at all", async () => {
    const delivery = await target.fresh();
    await expectRefusedWithoutEffect(target, delivery.body, {}, delivery.contentType);
  });

  it("acts once on a valid delivery and has no second effect when the same delivery is replayed", async () => {
    const delivery = await target.fresh();
    const headers = delivery.sign(delivery.body);
    const before = await snapshot();
    const observedBefore = await delivery.observe();
    const calls = h.scheduler.calls.length;
    const first = await post(target, delivery.body, headers, delivery.contentType);
    expect(first.status, first.text).toBe(target.okStatus);
    // The first delivery really did something, so the replay below is measured against an effect.
    expect(await snapshot()).not.toEqual(before);
    const observed = await delivery.observe();
    expect(observed).not.toEqual(observedBefore);
    expect(h.scheduler.calls.length).toBe(calls + (target.enqueues ? 1 : 0));

    const afterFirst = await snapshot();
    const callsAfterFirst = h.scheduler.calls.length;
    // Byte for byte the same request (a captured one, or the provider's retry), also with a fresh signature.
    for (const replayHeaders of [headers, delivery.sign(delivery.body)]) {
      const again = await post(target, delivery.body, replayHeaders, delivery.contentType);
      expect(again.status, again.text).toBe(target.okStatus);
    }
    expect(h.scheduler.calls.length).toBe(callsAfterFirst);
    expect(await snapshot()).toEqual(afterFirst);
    expect(await delivery.observe()).toEqual(observed);
  });

  it("every attack above also leaves what the owner sees unchanged", async () => {
    const delivery = await target.fresh();
    const before = await delivery.observe();
    await post(target, delivery.tampered, delivery.sign(delivery.body), delivery.contentType).expect(401);
    await post(target, delivery.body, delivery.sign(delivery.body, { secret: "whsec_not_the_secret_at_all" }), delivery.contentType).expect(401);
    expect(await delivery.observe()).toEqual(before);
  });
});

describe.each(TARGETS.filter((target) => target.hasTimestamp))("stale requests to $name", (target) => {
  it("refuses a correctly signed request that is more than five minutes old", async () => {
    const delivery = await target.fresh();
    await expectRefusedWithoutEffect(target, delivery.body, delivery.sign(delivery.body, { timestamp: STALE() }), delivery.contentType, /5 minutes|timestamp|tolerance/i);
  });
});

describe("attacks specific to one scheme", () => {
  it("Twilio: a signature made for another URL (path or query) is refused", async () => {
    const delivery = await twilioSms.fresh();
    const params = Object.fromEntries(new URLSearchParams(delivery.body));
    for (const url of [`${PUBLIC}/webhooks/twilio/status`, `${PUBLIC}/webhooks/twilio/sms?x=1`, `https://evil.example.com/webhooks/twilio/sms`]) {
      await expectRefusedWithoutEffect(twilioSms, delivery.body, twilioSignatureHeaders(params, TWILIO_TOKEN, url), "form");
    }
  });

  it("Slack: a timestamp from the future is refused like a stale one, and a stale timestamp cannot be re-signed without the secret", async () => {
    const delivery = await slackEvents.fresh();
    await expectRefusedWithoutEffect(slackEvents, delivery.body, delivery.sign(delivery.body, { timestamp: nowSeconds() + 600 }), "json", /5 minutes/);
    // An attacker who captured an old request can move its timestamp header, but not the MAC over it.
    const captured = delivery.sign(delivery.body, { timestamp: STALE() });
    await expectRefusedWithoutEffect(slackEvents, delivery.body, { ...captured, "X-Slack-Request-Timestamp": String(nowSeconds()) }, "json", /does not match/);
  });

  it("Stripe: a header whose timestamp was moved forward no longer matches its v1 signature", async () => {
    const delivery = await stripe.fresh();
    const captured = delivery.sign(delivery.body, { timestamp: STALE() })["Stripe-Signature"]!;
    const moved = captured.replace(/t=\d+/, `t=${nowSeconds()}`);
    await expectRefusedWithoutEffect(stripe, delivery.body, { "Stripe-Signature": moved }, "json");
  });

  it("Slack interactions: a button token signed with another secret decides nothing, even in a correctly signed request", async () => {
    const ctx = await newWorkspaceContext(h.deps.db, "attack-token");
    const { run } = await submitPlanningRequest(ctx, { content: "Book a caterer" });
    const approval = await createApproval(ctx, {
      runId: run.id,
      action: "stripe__pay_vendor_deposit",
      summary: "Pay a deposit",
      amountMinor: 100_000,
      currency: "EUR",
      payload: { amountMinor: 100_000, currency: "EUR" },
      expiresAt: new Date(Date.now() + 3600_000),
    });
    const token = signApprovalToken({ approvalId: approval.id, workspaceId: approval.workspaceId }, "another-approval-secret-0123456789-abcdef");
    const payload = {
      type: "block_actions",
      trigger_id: `t-${approval.id}`,
      response_url: `${responseUrlBase}/actions/t-${approval.id}`,
      user: { id: "U0EVE" },
      actions: [{ action_id: "approval_approve", block_id: "approval:x", value: JSON.stringify({ decision: "approve", token }), action_ts: "1732449600.000100" }],
    };
    const body = form({ payload: JSON.stringify(payload) });
    const calls = h.scheduler.calls.length;
    const res = await post(slackInteractions, body, slackSignatureHeaders(body, SLACK_SECRET), "form");
    expect(res.status).toBeLessThan(500);
    expect(h.scheduler.calls.length).toBe(calls);
    expect((await getApproval(ctx, approval.id)).status).toBe("pending");
  });

  it("Stripe: an event with guessed secrets or a Stripe test-mode default secret moves no money", async () => {
    const delivery = await stripe.fresh();
    for (const guess of ["whsec_", "whsec_test", "", "whsec_stripe_secret_under_attac"]) {
      await expectRefusedWithoutEffect(stripe, delivery.body, { "Stripe-Signature": stripeSignatureHeaders(delivery.body, guess || "x")["Stripe-Signature"]! }, "json");
    }
    expect(await delivery.observe()).toBe(0);
  });
});
