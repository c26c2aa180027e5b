import { randomBytes } from "node:crypto";
import { eq, isNull } from "drizzle-orm";
import Stripe from "stripe";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addBudgetLine, getBudgetLine } from "../../domain/budget.js";
import type { DomainContext } from "../../domain/context.js";
import { createEvent } from "../../domain/events.js";
import { requestVendorQuote } from "../../domain/vendor-quotes.js";
import { listWebhookDeliveries, recordWebhookDelivery } from "../../domain/webhook-deliveries.js";
import { vendors, webhookDeliveries, type BudgetLine } from "../../drizzle/schema/index.js";
import { loadConfig } from "../../lib/config.js";
import { newWorkspaceContext } from "../../test/context.js";
import { LISBON_OFFSITE } from "../../test/fixtures.js";
import { createApi, type Api } from "../app.js";
import { bodyOf, createHarness, errorOf, type Harness } from "../testing/harness.js";

const SECRET = "whsec_stripe_webhook_secret_for_the_tests";
const PATH = "/webhooks/stripe";

let h: Harness;
/** The API with STRIPE_WEBHOOK_SECRET; `h.app` is the same API without it. */
let app: Api;

beforeAll(async () => {
  h = await createHarness();
  app = createApi({ ...h.deps, config: loadConfig({ NODE_ENV: "test", STRIPE_WEBHOOK_SECRET: SECRET }) });
});
afterAll(async () => {
  await h.close();
});

const stripeId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

/** An event as Stripe posts it (the fields around `data` trimmed to the usual ones). */
function stripeEvent(type: string, object: Record<string, unknown>, previous?: Record<string, unknown>): Record<string, unknown> {
  return {
    id: stripeId("evt"),
    object: "event",
    api_version: "2026-10-28.endive",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object, ...(previous ? { previous_attributes: previous } : {}) },
  };
}

/** The metadata the stripe MCP server puts on a vendor deposit (mcp-servers/stripe/objects.ts depositMetadata). */
const depositMetadata = (line: BudgetLine, overrides: Record<string, string> = {}) => ({
  workspace_id: line.workspaceId,
  purpose: "vendor_deposit",
  vendor_name: "Tasca Catering",
  vendor_reference: line.vendorQuoteId ?? "",
  event_id: line.eventId,
  ...overrides,
});

function paymentIntent(amount: number, metadata: Record<string, string>, overrides: Record<string, unknown> = {}) {
  return { id: stripeId("pi"), object: "payment_intent", amount, amount_received: amount, currency: "eur", status: "succeeded", description: "Vendor deposit", latest_charge: stripeId("ch"), metadata, ...overrides };
}

function charge(intentId: string, amount: number, amountRefunded: number, metadata: Record<string, string> = {}) {
  return { id: stripeId("ch"), object: "charge", amount, amount_captured: amount, amount_refunded: amountRefunded, refunded: amountRefunded === amount, currency: "eur", payment_intent: intentId, metadata };
}

function post(event: Record<string, unknown> | string, options: { secret?: string; timestamp?: number; signature?: string; unsigned?: boolean; to?: Api } = {}) {
  const payload = typeof event === "string" ? event : JSON.stringify(event);
  const req = request((options.to ?? app).callback()).post(PATH).set("Content-Type", "application/json");
  if (!options.unsigned) {
    req.set("Stripe-Signature", options.signature ?? Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET, ...(options.timestamp ? { timestamp: options.timestamp } : {}) }));
  }
  return req.send(payload);
}

/** A workspace, an event, a vendor quote and the catering budget line that pays for it. */
async function quotedLine(overrides: { currency?: string; committedMinor?: number } = {}): Promise<{ ctx: DomainContext; line: BudgetLine }> {
  const ctx = await newWorkspaceContext(h.deps.db, "stripe");
  const currency = overrides.currency ?? "EUR";
  const event = await createEvent(ctx, { ...LISBON_OFFSITE, currency });
  const [vendor] = await h.deps.db.select({ id: vendors.id }).from(vendors).where(isNull(vendors.workspaceId)).limit(1);
  if (!vendor) throw new Error("the seed catalogue has no vendors");
  const quote = await requestVendorQuote(ctx, { eventId: event.id, vendorId: vendor.id, description: "Lunch for 40, two days", currency });
  const line = await addBudgetLine(ctx, event.id, { category: "catering", description: "Lunch for 40", plannedMinor: 800_000, committedMinor: overrides.committedMinor ?? 0, currency, vendorQuoteId: quote.id });
  return { ctx, line };
}

const committed = async (ctx: DomainContext, line: BudgetLine) => (await getBudgetLine(ctx, line.id)).committedMinor;

/** `webhook_deliveries_total{provider="stripe",outcome}` as /metrics would show it. */
async function outcomeCount(outcome: string): Promise<number> {
  const metric = await h.deps.metrics.getSingleMetric("webhook_deliveries_total")?.get();
  return metric?.values.find((v) => v.labels.provider === "stripe" && v.labels.outcome === outcome)?.value ?? 0;
}

const deliveryOf = async (eventId: unknown) => (await h.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.externalId, String(eventId))))[0];

describe("POST /webhooks/stripe", () => {
  it("adds a succeeded deposit to its budget line, takes refunds back off and puts a failed refund back", async () => {
    const { ctx, line } = await quotedLine();
    const intent = paymentIntent(240_000, depositMetadata(line));
    const accepted = await outcomeCount("accepted");
    const res = await post(stripeEvent("payment_intent.succeeded", intent)).expect(200);
    expect(bodyOf(res)).toEqual({ received: true });
    expect(await outcomeCount("accepted")).toBe(accepted + 1);
    expect(await committed(ctx, line)).toBe(240_000);

    // Charges and refunds need not carry our metadata: they follow the payment's earlier event.
    await post(stripeEvent("charge.refunded", charge(intent.id, 240_000, 40_000), { amount_refunded: 0, refunded: false })).expect(200);
    expect(await committed(ctx, line)).toBe(200_000);
    await post(stripeEvent("charge.refunded", charge(intent.id, 240_000, 100_000), { amount_refunded: 40_000 })).expect(200);
    expect(await committed(ctx, line)).toBe(140_000);
    // refund_payment's refunds also announce themselves; their amount is already counted.
    const refund = { id: stripeId("re"), object: "refund", amount: 60_000, currency: "eur", status: "succeeded", payment_intent: intent.id, charge: intent.latest_charge, metadata: { workspace_id: line.workspaceId } };
    const created = stripeEvent("refund.created", refund);
    await post(created).expect(200);
    expect(await committed(ctx, line)).toBe(140_000);
    expect(await deliveryOf(created.id)).toMatchObject({ status: "ignored", error: expect.stringContaining("applied from charge.refunded") as string });
    await post(stripeEvent("refund.failed", { ...refund, status: "failed", failure_reason: "expired_or_canceled_card" })).expect(200);
    expect(await committed(ctx, line)).toBe(200_000);

    const deliveries = await listWebhookDeliveries(ctx, { provider: "stripe" });
    expect(deliveries.map((d) => [d.eventType, d.status]).reverse()).toEqual([
      ["payment_intent.succeeded", "processed"],
      ["charge.refunded", "processed"],
      ["charge.refunded", "processed"],
      ["refund.failed", "processed"],
    ]);
  });

  it("records a failed payment without moving money", async () => {
    const { ctx, line } = await quotedLine({ committedMinor: 50_000 });
    const intent = paymentIntent(240_000, depositMetadata(line), { status: "requires_payment_method", amount_received: 0, last_payment_error: { code: "card_declined", message: "Your card was declined." } });
    const event = stripeEvent("payment_intent.payment_failed", intent);
    await post(event).expect(200);
    expect(await committed(ctx, line)).toBe(50_000);
    expect(await deliveryOf(event.id)).toMatchObject({ status: "processed", workspaceId: ctx.workspaceId, payload: expect.objectContaining({ failure: "Your card was declined.", budgetLineId: line.id }) as unknown });
  });

  it("never takes a line below zero", async () => {
    const { ctx, line } = await quotedLine();
    const intent = paymentIntent(30_000, depositMetadata(line));
    await post(stripeEvent("charge.refunded", charge(intent.id, 30_000, 30_000, depositMetadata(line)), { amount_refunded: 0 })).expect(200);
    expect(await committed(ctx, line)).toBe(0);
  });

  it("has no second effect when Stripe delivers the same event again", async () => {
    const { ctx, line } = await quotedLine();
    const event = stripeEvent("payment_intent.succeeded", paymentIntent(10_000, depositMetadata(line)));
    await post(event).expect(200);
    const duplicates = await outcomeCount("duplicate");
    await post(event).expect(200);
    expect(await outcomeCount("duplicate")).toBe(duplicates + 1);
    expect(await committed(ctx, line)).toBe(10_000);
    expect(await listWebhookDeliveries(ctx, { provider: "stripe" })).toHaveLength(1);
  });

  it("applies a delivery whose first attempt stopped before its transaction committed", async () => {
    const { ctx, line } = await quotedLine();
    const event = stripeEvent("payment_intent.succeeded", paymentIntent(25_000, depositMetadata(line)));
    await recordWebhookDelivery(h.deps.db, { provider: "stripe", externalId: String(event.id), eventType: "payment_intent.succeeded", payload: {}, workspaceId: ctx.workspaceId });
    await post(event).expect(200);
    expect(await committed(ctx, line)).toBe(25_000);
    expect(await deliveryOf(event.id)).toMatchObject({ status: "processed" });
  });

  describe("acknowledges and records as ignored", () => {
    it.each([
      ["an event type it does not act on", (line: BudgetLine) => stripeEvent("customer.created", { id: stripeId("cus"), object: "customer", metadata: { workspace_id: line.workspaceId } }), "is not an event this service acts on"],
      ["a payment naming another workspace than its event's", (line: BudgetLine) => stripeEvent("payment_intent.succeeded", paymentIntent(9_000, depositMetadata(line, { workspace_id: "00000000-0000-4000-8000-000000000000" }))), "belongs to another"],
      ["a payment linked to no budget line", (line: BudgetLine) => stripeEvent("payment_intent.succeeded", paymentIntent(9_000, depositMetadata(line, { vendor_reference: "INV-2027-001" }))), "no vendor_reference"],
      ["a ticket sale (income, not a cost)", (line: BudgetLine) => stripeEvent("payment_intent.succeeded", paymentIntent(9_000, { workspace_id: line.workspaceId, purpose: "registration", event_id: line.eventId })), "no vendor_reference"],
      ["a payment for an unknown event", (line: BudgetLine) => stripeEvent("payment_intent.succeeded", paymentIntent(9_000, depositMetadata(line, { event_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7" }))), "does not exist"],
      ["a refund of a payment never seen", () => stripeEvent("charge.refunded", charge(stripeId("pi"), 9_000, 9_000), { amount_refunded: 0 }), "carries no event_id"],
    ])("%s", async (_name, eventFor, reason) => {
      const { ctx, line } = await quotedLine();
      const event = eventFor(line);
      const ignored = await outcomeCount("ignored");
      await post(event).expect(200);
      expect(await outcomeCount("ignored")).toBe(ignored + 1);
      expect(await committed(ctx, line)).toBe(0);
      expect(await deliveryOf(event.id)).toMatchObject({ status: "ignored", error: expect.stringContaining(reason) as string });
    });

    it("a payment in another currency than its line's", async () => {
      const { ctx, line } = await quotedLine({ currency: "USD" });
      const event = stripeEvent("payment_intent.succeeded", paymentIntent(9_000, depositMetadata(line)));
      await post(event).expect(200);
      expect(await committed(ctx, line)).toBe(0);
      expect(await deliveryOf(event.id)).toMatchObject({ status: "ignored", workspaceId: ctx.workspaceId, error: expect.stringContaining("is in USD") as string });
    });
  });

  describe("refuses a request Stripe did not sign, before reading it", () => {
    it.each([
      ["forged", "rejected_signature", { signature: `t=${Math.floor(Date.now() / 1000)},v1=${"ab".repeat(32)}` }],
      ["signed with another secret", "rejected_signature", { secret: "whsec_someone_elses_secret" }],
      ["stale (signed 10 minutes ago)", "rejected_stale", { timestamp: Math.floor(Date.now() / 1000) - 600 }],
      ["unsigned", "rejected_signature", { unsigned: true }],
    ] as const)("%s: 401, nothing applied or recorded, counted as %s", async (_name, outcome, options) => {
      const { ctx, line } = await quotedLine();
      const before = await outcomeCount(outcome);
      const res = await post(stripeEvent("payment_intent.succeeded", paymentIntent(9_000, depositMetadata(line))), options).expect(401);
      expect(errorOf(res).code).toBe("unauthorized");
      expect(await outcomeCount(outcome)).toBe(before + 1);
      expect(await committed(ctx, line)).toBe(0);
      expect(await listWebhookDeliveries(ctx)).toEqual([]);
    });
  });

  it.each([
    ["data.object.amount_received", (line: BudgetLine) => stripeEvent("payment_intent.succeeded", { ...paymentIntent(9_000, depositMetadata(line)), amount_received: "9000" })],
    ["data.object.id", (line: BudgetLine) => stripeEvent("payment_intent.succeeded", { ...paymentIntent(9_000, depositMetadata(line)), id: "ch_not_an_intent" })],
    ["id", (line: BudgetLine) => ({ ...stripeEvent("payment_intent.succeeded", paymentIntent(9_000, depositMetadata(line))), id: undefined })],
  ])("refuses a signed event without a usable %s with 400 naming it", async (field, eventFor) => {
    const { ctx, line } = await quotedLine();
    const invalid = await outcomeCount("invalid");
    const res = await post(eventFor(line)).expect(400);
    expect(errorOf(res)).toMatchObject({ code: "validation_failed", details: { field } });
    expect(await outcomeCount("invalid")).toBe(invalid + 1);
    expect(await committed(ctx, line)).toBe(0);
  });

  it("is not served (404, and not in the OpenAPI document) without STRIPE_WEBHOOK_SECRET", async () => {
    await post(stripeEvent("payment_intent.succeeded", {}), { to: h.app }).expect(404);
    const unset = (await request(h.app.callback()).get("/openapi.json").expect(200)).body as { paths: Record<string, unknown> };
    expect(unset.paths[PATH]).toBeUndefined();
    const served = (await request(app.callback()).get("/openapi.json").expect(200)).body as { paths: Record<string, unknown> };
    expect(served.paths[PATH]).toBeDefined();
  });
});
