import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vendors, venueBookings, venues } from "../drizzle/schema/index.js";
import { isNull } from "drizzle-orm";
import { newWorkspaceContext } from "../test/context.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { LISBON_OFFSITE } from "../test/fixtures.js";
import { addBudgetLine, getBudgetLine } from "./budget.js";
import type { DomainContext } from "./context.js";
import { createEvent } from "./events.js";
import { applyPaymentToBudgetLine, findPaymentTarget, paymentDeliveryRecord, type PaymentMovement } from "./payments.js";
import { requestVendorQuote } from "./vendor-quotes.js";
import { markWebhookDelivery, recordWebhookDelivery } from "./webhook-deliveries.js";

// Postgres only: the same queries run on PGlite, but its start-up alone would take most of this file's time budget.
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase("postgres");
});
afterAll(async () => {
  await t.drop();
});

let sequence = 0;
const paymentId = () => `pi_test${++sequence}${Date.now()}`;

async function eventWithLines(ctx: DomainContext) {
  const event = await createEvent(ctx, LISBON_OFFSITE);
  const [venue] = await t.db.select().from(venues).where(isNull(venues.workspaceId)).limit(1);
  const [vendor] = await t.db.select().from(vendors).where(isNull(vendors.workspaceId)).limit(1);
  if (!venue || !vendor) throw new Error("the seed catalogue is empty");
  const [booking] = await t.db
    .insert(venueBookings)
    .values({ workspaceId: ctx.workspaceId, eventId: event.id, venueId: venue.id, startsAt: new Date("2031-05-04T09:00:00Z"), endsAt: new Date("2031-05-05T18:00:00Z"), priceMinor: 1_000_000, currency: "EUR" })
    .returning();
  if (!booking) throw new Error("no booking");
  const quote = await requestVendorQuote(ctx, { eventId: event.id, vendorId: vendor.id, description: "Catering", currency: "EUR" });
  const venueLine = await addBudgetLine(ctx, event.id, { category: "venue", description: "Venue", plannedMinor: 1_000_000, currency: "EUR", venueBookingId: booking.id });
  const cateringLine = await addBudgetLine(ctx, event.id, { category: "catering", description: "Catering", plannedMinor: 500_000, currency: "EUR", vendorQuoteId: quote.id });
  return { event, booking, quote, venueLine, cateringLine };
}

describe("payments", () => {
  it("finds the line linked to the payment's vendor_reference (a venue booking or a vendor quote) in the event's workspace", async () => {
    const ctx = await newWorkspaceContext(t.db);
    const { event, booking, quote, venueLine, cateringLine } = await eventWithLines(ctx);
    const base = { deltaMinor: 300_000, currency: "EUR", eventId: event.id, workspaceId: ctx.workspaceId };
    expect(await findPaymentTarget(t.db, { ...base, paymentIntentId: paymentId(), vendorReference: booking.id })).toMatchObject({ found: true, workspaceId: ctx.workspaceId, line: { id: venueLine.id } });
    expect(await findPaymentTarget(t.db, { ...base, paymentIntentId: paymentId(), vendorReference: quote.id })).toMatchObject({ found: true, line: { id: cateringLine.id } });
    // Another workspace's event id does not lend its lines to a payment claiming this workspace.
    const other = await newWorkspaceContext(t.db);
    expect(await findPaymentTarget(t.db, { ...base, workspaceId: other.workspaceId, paymentIntentId: paymentId(), vendorReference: booking.id })).toMatchObject({ found: false });
  });

  it("sends later events of a payment to the line its first event went to", async () => {
    const ctx = await newWorkspaceContext(t.db);
    const { event, booking, venueLine } = await eventWithLines(ctx);
    const paid: PaymentMovement = { paymentIntentId: paymentId(), deltaMinor: 300_000, currency: "EUR", eventId: event.id, vendorReference: booking.id };
    const target = await findPaymentTarget(t.db, paid);
    const { delivery } = await recordWebhookDelivery(t.db, { provider: "stripe", externalId: `evt_${paid.paymentIntentId}`, eventType: "payment_intent.succeeded", payload: { ...paymentDeliveryRecord(paid, target) }, workspaceId: ctx.workspaceId });
    await markWebhookDelivery(t.db, delivery.id, { status: "processed", workspaceId: ctx.workspaceId });
    // A refund on a charge with no metadata at all.
    expect(await findPaymentTarget(t.db, { paymentIntentId: paid.paymentIntentId, deltaMinor: -100_000, currency: "EUR" })).toMatchObject({ found: true, line: { id: venueLine.id } });
  });

  it("moves committed money by the delta, never below zero", async () => {
    const ctx = await newWorkspaceContext(t.db);
    const { venueLine } = await eventWithLines(ctx);
    await Promise.all([applyPaymentToBudgetLine(ctx, venueLine.id, 100_000), applyPaymentToBudgetLine(ctx, venueLine.id, 50_000)]);
    expect((await getBudgetLine(ctx, venueLine.id)).committedMinor).toBe(150_000);
    expect((await applyPaymentToBudgetLine(ctx, venueLine.id, -400_000)).committedMinor).toBe(0);
    const other = await newWorkspaceContext(t.db);
    await expect(applyPaymentToBudgetLine(other, venueLine.id, 1)).rejects.toMatchObject({ code: "not_found" });
  });
});
