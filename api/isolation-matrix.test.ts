/**
 * Tenant isolation over every API route. Workspaces A and B hold the same kinds of rows (a
 * conversation with a run and its steps, an approval, an event with guests, tasks, budget lines, a
 * venue booking and a vendor quote, sandbox outbox rows, webhook deliveries). For every route in
 * apiRoutes(), B's key on A's ids answers 404 exactly as it does for an id that does not exist, B's
 * lists never contain A's ids, and B's writes on A's rows (a message, a cancel, a decision) change
 * nothing. A route that is neither checked here nor listed as workspace-free fails the test, so a
 * new route is covered the day it is added.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { isNull } from "drizzle-orm";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApproval, getApproval } from "../domain/approvals.js";
import { addBudgetLine } from "../domain/budget.js";
import type { DomainContext } from "../domain/context.js";
import { listMessages } from "../domain/conversations.js";
import { createEvent } from "../domain/events.js";
import { addGuests } from "../domain/guests.js";
import { submitPlanningRequest } from "../domain/planning-requests.js";
import { appendRunStep, getRun } from "../domain/runs.js";
import { createSandboxObject } from "../domain/sandbox.js";
import { createTasks } from "../domain/tasks.js";
import { createVenueBooking } from "../domain/venue-bookings.js";
import { requestVendorQuote } from "../domain/vendor-quotes.js";
import { recordWebhookDelivery } from "../domain/webhook-deliveries.js";
import { vendors, venues } from "../drizzle/schema/index.js";
import { loadConfig } from "../lib/config.js";
import { LISBON_OFFSITE } from "../test/fixtures.js";
import { apiRoutes, createApi, type Api } from "./app.js";
import { buildOpenApiDocument } from "./openapi.js";
import type { RouteDefinition } from "./route.js";
import { createHarness, dataOf, errorOf, type Harness } from "./testing/harness.js";

/** Every integration configured, so every route the API can serve is enumerated. */
const CONFIG = {
  NODE_ENV: "test",
  SLACK_SIGNING_SECRET: "slack-signing-secret-isolation",
  APPROVAL_SIGNING_SECRET: "approval-signing-secret-isolation-0123456789",
  STRIPE_WEBHOOK_SECRET: "whsec_isolation0123456789",
  TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
  TWILIO_AUTH_TOKEN: "twilio-auth-token-isolation",
  TWILIO_FROM_NUMBER: "+15005550006",
} as const;

/**
 * Routes that hold no workspace data: process health, metrics, the API description, and the
 * provider webhooks, which take no API key and are authenticated by signature (attacks on them:
 * api/webhooks/attacks.test.ts; the workspace they act for comes from signed content).
 */
const WORKSPACE_FREE = new Set(["health", "ready", "metrics", "openapi", "slackEvents", "slackInteractions", "twilioInboundSms", "twilioMessageStatus", "stripeEvents"]);

type Resource = "conversation" | "run" | "approval" | "event";

interface Tenant {
  ctx: DomainContext;
  auth: string;
  ids: Record<Resource, string>;
  /** Every id of every row made for this tenant, and a marker string in its texts. */
  everyId: string[];
  marker: string;
}

type Check =
  /** A route about one of the workspace's rows: B on A's id must look exactly like a missing id. */
  | { kind: "owned"; resource: Resource; body?: Record<string, unknown> }
  /** A list or a create: whatever B gets back names nothing of A's. */
  | { kind: "scoped"; body?: Record<string, unknown> };

const CHECKS: Record<string, Check> = {
  listApprovals: { kind: "scoped" },
  decideApproval: { kind: "owned", resource: "approval", body: { decision: "approve", note: "B approves A's payment" } },
  createConversation: { kind: "scoped", body: { title: "B's thread" } },
  listConversations: { kind: "scoped" },
  getConversation: { kind: "owned", resource: "conversation" },
  sendMessage: { kind: "owned", resource: "conversation", body: { content: "B writes into A's thread" } },
  listEvents: { kind: "scoped" },
  getEvent: { kind: "owned", resource: "event" },
  listOutbox: { kind: "scoped" },
  getRun: { kind: "owned", resource: "run" },
  streamRun: { kind: "owned", resource: "run" },
  cancelRun: { kind: "owned", resource: "run" },
};

let h: Harness;
let app: Api;
let routes: RouteDefinition[];
let a: Tenant;
let b: Tenant;

async function tenant(label: string, day: number): Promise<Tenant> {
  const { ctx, auth } = await h.workspace();
  const marker = `${label}-${randomBytes(6).toString("hex")}`;
  const { conversation, message, run } = await submitPlanningRequest(ctx, { content: `${marker}: plan the offsite` });
  await appendRunStep(ctx, run.id, { seq: 0, kind: "status_change", payload: { from: "queued", to: "running", marker } });
  const approval = await createApproval(ctx, {
    runId: run.id,
    action: "stripe__pay_vendor_deposit",
    summary: `${marker}: pay a deposit`,
    amountMinor: 250_000,
    currency: "EUR",
    payload: { vendorName: marker, amountMinor: 250_000, currency: "EUR" },
    expiresAt: new Date(Date.now() + 3600_000),
  });
  const event = await createEvent(ctx, { ...LISBON_OFFSITE, title: `${marker} offsite`, conversationId: conversation.id });
  const guests = await addGuests(ctx, event.id, [{ name: `${marker} guest`, phone: `+3519${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`, email: `${label}@example.com` }]);
  const tasks = await createTasks(ctx, event.id, [{ title: `${marker} task` }]);
  const [vendor] = await h.deps.db.select({ id: vendors.id }).from(vendors).where(isNull(vendors.workspaceId)).limit(1);
  const quote = await requestVendorQuote(ctx, { eventId: event.id, vendorId: vendor!.id, description: `${marker} lunch`, currency: "EUR" });
  const [venue] = await h.deps.db.select({ id: venues.id }).from(venues).where(isNull(venues.workspaceId)).limit(1);
  const booking = await createVenueBooking(ctx, { eventId: event.id, venueId: venue!.id, startsAt: `2027-03-${day}T08:00:00Z`, endsAt: `2027-03-${day}T17:00:00Z`, priceMinor: 500_000, currency: "EUR", status: "hold", notes: marker });
  const line = await addBudgetLine(ctx, event.id, { category: "catering", description: `${marker} lunch`, plannedMinor: 480_000, currency: "EUR", vendorQuoteId: quote.id });
  const { object: sms } = await createSandboxObject(ctx, { service: "twilio", kind: "sent_log", externalId: `SM${randomBytes(16).toString("hex")}`, parentExternalId: "+351900000000", idempotencyKey: `sms-${marker}`, status: "delivered", data: { body: marker } });
  const { object: payment } = await createSandboxObject(ctx, { service: "stripe", kind: "payment", externalId: `py_${randomBytes(8).toString("hex")}`, idempotencyKey: `pay-${marker}`, status: "succeeded", data: { description: marker } });
  const { delivery } = await recordWebhookDelivery(h.deps.db, { provider: "stripe", externalId: `evt_${marker}`, eventType: "payment_intent.succeeded", payload: { marker }, workspaceId: ctx.workspaceId });
  return {
    ctx,
    auth,
    marker,
    ids: { conversation: conversation.id, run: run.id, approval: approval.id, event: event.id },
    everyId: [conversation.id, message!.id, run.id, approval.id, event.id, ...guests.map((g) => g.id), ...tasks.map((t) => t.id), quote.id, booking.id, line.id, sms.id, payment.id, delivery.id],
  };
}

beforeAll(async () => {
  h = await createHarness();
  const deps = { ...h.deps, config: loadConfig(CONFIG) };
  app = createApi(deps);
  routes = apiRoutes(deps, () => buildOpenApiDocument([]));
  a = await tenant("alpha", 10);
  b = await tenant("bravo", 20);
});
afterAll(async () => {
  await h.close();
});

function send(route: RouteDefinition, id: string | undefined, auth: string, body?: Record<string, unknown>) {
  const path = route.path.replace(":id", id ?? "");
  const req = route.method === "post" ? request(app.callback()).post(path) : request(app.callback()).get(path);
  req.set("Authorization", auth);
  return body ? req.send(body) : req;
}

/** A's ids and marker must appear nowhere in what B was told. */
function expectNothingOfA(text: string, where: string): void {
  for (const id of a.everyId) expect(text, `${where} leaks A's id ${id}`).not.toContain(id);
  expect(text, `${where} leaks A's marker`).not.toContain(a.marker);
}

describe("tenant isolation over every API route", () => {
  it("checks every route or lists it as workspace-free", () => {
    const unchecked = routes.map((route) => route.operationId).filter((id) => !(id in CHECKS) && !WORKSPACE_FREE.has(id));
    expect(unchecked).toEqual([]);
    // Nothing listed here that the API no longer serves: the lists stay honest.
    const served = new Set(routes.map((route) => route.operationId));
    expect([...Object.keys(CHECKS), ...WORKSPACE_FREE].filter((id) => !served.has(id))).toEqual([]);
    // Every route with an API key is checked, never waved through as workspace-free.
    expect(routes.filter((route) => route.auth && WORKSPACE_FREE.has(route.operationId)).map((route) => route.operationId)).toEqual([]);
  });

  it("B's key on A's ids answers exactly like a missing id, on every route about one row", async () => {
    const owned = routes.filter((route) => CHECKS[route.operationId]?.kind === "owned");
    expect(owned.length).toBeGreaterThanOrEqual(6);
    for (const route of owned) {
      const check = CHECKS[route.operationId] as Extract<Check, { kind: "owned" }>;
      const where = `${route.method.toUpperCase()} ${route.path}`;
      const theirs = await send(route, a.ids[check.resource], b.auth, check.body);
      const missingId = randomUUID();
      const missing = await send(route, missingId, b.auth, check.body);
      expect(theirs.status, `${where}: ${theirs.text}`).toBe(404);
      expect(missing.status, where).toBe(404);
      expect(errorOf(theirs).code).toBe(errorOf(missing).code);
      // The same words, the id aside: nothing tells B that A's id exists.
      expect(errorOf(theirs).message.replace(a.ids[check.resource], "<id>"), where).toBe(errorOf(missing).message.replace(missingId, "<id>"));
      expectNothingOfA(JSON.stringify({ ...theirs.body, id: undefined }).replace(new RegExp(a.ids[check.resource], "g"), "<id>"), where);
      // And A's own key still reaches the row (the id was right, the key was not).
      if (route.method === "get" && !route.path.endsWith("/stream")) expect((await send(route, a.ids[check.resource], a.auth)).status, where).toBe(200);
    }
  });

  it("B's lists and creates never contain A's ids, on every such route", async () => {
    const scoped = routes.filter((route) => CHECKS[route.operationId]?.kind === "scoped");
    for (const route of scoped) {
      const check = CHECKS[route.operationId]!;
      const where = `${route.method.toUpperCase()} ${route.path}`;
      const res = await send(route, undefined, b.auth, check.body);
      expect(res.status, `${where}: ${res.text}`).toBeLessThan(300);
      expectNothingOfA(res.text, where);
      if (route.method === "get") {
        // B sees its own rows, so an empty list cannot pass for isolation.
        expect(dataOf(res).length, where).toBeGreaterThan(0);
        expect(b.everyId.some((id) => res.text.includes(id)), `${where} shows none of B's own rows`).toBe(true);
      }
    }
    // Every filter of the lists too.
    for (const query of ["?status=pending", "?status=approved", "?kind=sms", "?kind=payment", "?limit=100"]) {
      for (const path of ["/v1/approvals", "/v1/events", "/v1/outbox", "/v1/conversations"]) {
        const res = await request(app.callback()).get(`${path}${query}`).set("Authorization", b.auth);
        if (res.status < 400) expectNothingOfA(res.text, `${path}${query}`);
      }
    }
  });

  it("B's writes on A's rows change nothing of A's and enqueue nothing", async () => {
    const messagesBefore = await listMessages(a.ctx, a.ids.conversation);
    const runBefore = await getRun(a.ctx, a.ids.run);
    const calls = h.scheduler.calls.length;
    const writes = routes.filter((route) => route.method === "post" && CHECKS[route.operationId]?.kind === "owned");
    expect(writes.map((route) => route.operationId).sort()).toEqual(["cancelRun", "decideApproval", "sendMessage"]);
    for (const route of writes) {
      const check = CHECKS[route.operationId] as Extract<Check, { kind: "owned" }>;
      expect((await send(route, a.ids[check.resource], b.auth, check.body)).status).toBe(404);
    }
    expect(h.scheduler.calls.length).toBe(calls);
    expect(await getApproval(a.ctx, a.ids.approval)).toMatchObject({ status: "pending", decidedBy: null });
    expect(await listMessages(a.ctx, a.ids.conversation)).toEqual(messagesBefore);
    expect(await getRun(a.ctx, a.ids.run)).toEqual(runBefore);
  });
});
