import { expect, it } from "vitest";
import { describeEachDriver, type TestDatabase } from "../test/db.js";
import { twoWorkspacesWithEvents } from "../test/fixtures.js";
import type { DomainContext } from "./context.js";
import { getVendorQuote, listVendorQuotes, recordVendorQuote, requestVendorQuote, updateVendorQuoteStatus, type QuoteDecision } from "./vendor-quotes.js";
import { createVendor, searchVendors } from "./vendors.js";

async function lisbonCaterer(ctx: DomainContext) {
  const [vendor] = await searchVendors(ctx, { city: "Lisbon", category: "catering", dietary: ["vegetarian"] });
  if (!vendor) throw new Error("no seeded Lisbon caterer");
  return vendor;
}

const setup = (database: TestDatabase) => twoWorkspacesWithEvents(database.db);

const FUTURE = "2099-01-01T00:00:00Z";

describeEachDriver("vendor quotes", (t) => {
  it("requests a quote in the vendor's currency, records the price and accepts it", async () => {
    const { a, eventA } = await setup(t());
    const vendor = await lisbonCaterer(a);
    const requested = await requestVendorQuote(a, { eventId: eventA.id, vendorId: vendor.id, description: "Lunch and two coffee breaks for 40, vegetarian-friendly" });
    expect(requested).toMatchObject({ status: "requested", currency: "EUR", amountMinor: null, workspaceId: a.workspaceId });

    const received = await recordVendorQuote(a, requested.id, { amountMinor: 220_000, currency: "EUR", validUntil: FUTURE, vendorNotes: "Includes staff" });
    expect(received).toMatchObject({ status: "received", amountMinor: 220_000, vendorNotes: "Includes staff" });
    expect(received.validUntil?.toISOString()).toBe("2099-01-01T00:00:00.000Z");

    // A revised price replaces the previous quote whole.
    const revised = await recordVendorQuote(a, requested.id, { amountMinor: 200_000, currency: "EUR" });
    expect(revised).toMatchObject({ status: "received", amountMinor: 200_000, validUntil: null, vendorNotes: null });

    expect((await updateVendorQuoteStatus(a, requested.id, "accepted")).status).toBe("accepted");
    expect(await getVendorQuote(a, requested.id)).toMatchObject({ status: "accepted", amountMinor: 200_000 });
    expect((await listVendorQuotes(a, { eventId: eventA.id })).map((q) => q.id)).toEqual([requested.id]);
    expect(await listVendorQuotes(a, { eventId: eventA.id, status: "declined" })).toEqual([]);
  });

  it("takes an explicit currency when asked", async () => {
    const { a, eventA } = await setup(t());
    const vendor = await lisbonCaterer(a);
    const quote = await requestVendorQuote(a, { eventId: eventA.id, vendorId: vendor.id, description: "Dinner", currency: "USD" });
    expect(quote.currency).toBe("USD");
  });

  it("allows valid status transitions only", async () => {
    const { a, eventA } = await setup(t());
    const vendor = await lisbonCaterer(a);
    const ask = () => requestVendorQuote(a, { eventId: eventA.id, vendorId: vendor.id, description: "Canapés for 40" });

    const unpriced = await ask();
    await expect(updateVendorQuoteStatus(a, unpriced.id, "accepted")).rejects.toMatchObject({ code: "invalid_state", details: { field: "status", from: "requested", to: "accepted" } });
    expect((await updateVendorQuoteStatus(a, unpriced.id, "expired")).status).toBe("expired");
    await expect(recordVendorQuote(a, unpriced.id, { amountMinor: 1, currency: "EUR" })).rejects.toMatchObject({ code: "invalid_state", details: { from: "expired" } });

    const declined = await ask();
    await recordVendorQuote(a, declined.id, { amountMinor: 90_000, currency: "EUR" });
    expect((await updateVendorQuoteStatus(a, declined.id, "declined")).status).toBe("declined");
    await expect(updateVendorQuoteStatus(a, declined.id, "accepted")).rejects.toMatchObject({ code: "invalid_state", details: { from: "declined" } });

    const accepted = await ask();
    await recordVendorQuote(a, accepted.id, { amountMinor: 90_000, currency: "EUR" });
    await updateVendorQuoteStatus(a, accepted.id, "accepted");
    await expect(updateVendorQuoteStatus(a, accepted.id, "declined")).rejects.toMatchObject({ code: "invalid_state", details: { from: "accepted", allowed: [] } });
    await expect(updateVendorQuoteStatus(a, accepted.id, "requested" as QuoteDecision)).rejects.toMatchObject({ code: "validation_failed", details: { field: "status" } });
  });

  it("refuses to accept a quote past its validUntil", async () => {
    const { a, eventA } = await setup(t());
    const vendor = await lisbonCaterer(a);
    const quote = await requestVendorQuote(a, { eventId: eventA.id, vendorId: vendor.id, description: "Dinner for 40" });
    await recordVendorQuote(a, quote.id, { amountMinor: 300_000, currency: "EUR", validUntil: "2020-01-31T00:00:00Z" });
    await expect(updateVendorQuoteStatus(a, quote.id, "accepted")).rejects.toMatchObject({ code: "invalid_state", details: { field: "validUntil" } });
    expect((await updateVendorQuoteStatus(a, quote.id, "expired")).status).toBe("expired");
  });

  it("never shows or touches another workspace's quotes, events or private vendors", async () => {
    const { a, b, eventA, eventB } = await setup(t());
    const shared = await lisbonCaterer(a);
    const privateOfB = await createVendor(b, {
      name: "B's Cousin Catering",
      category: "catering",
      city: "Lisbon",
      countryCode: "PT",
      priceMinMinor: 1000,
      priceMaxMinor: 2000,
      currency: "EUR",
      priceUnit: "per_person",
    });
    const quoteOfB = await requestVendorQuote(b, { eventId: eventB.id, vendorId: shared.id, description: "Lunch" });

    await expect(getVendorQuote(a, quoteOfB.id)).rejects.toMatchObject({ code: "not_found", details: { entity: "vendor quote" } });
    await expect(recordVendorQuote(a, quoteOfB.id, { amountMinor: 1, currency: "EUR" })).rejects.toMatchObject({ code: "not_found" });
    await expect(updateVendorQuoteStatus(a, quoteOfB.id, "declined")).rejects.toMatchObject({ code: "not_found" });
    await expect(listVendorQuotes(a, { eventId: eventB.id })).rejects.toMatchObject({ code: "not_found", details: { entity: "event" } });
    expect(await listVendorQuotes(a, { eventId: eventA.id })).toEqual([]);
    await expect(requestVendorQuote(a, { eventId: eventB.id, vendorId: shared.id, description: "Lunch" })).rejects.toMatchObject({ details: { entity: "event", id: eventB.id } });
    await expect(requestVendorQuote(a, { eventId: eventA.id, vendorId: privateOfB.id, description: "Lunch" })).rejects.toMatchObject({
      code: "not_found",
      details: { entity: "vendor", id: privateOfB.id },
    });

    expect((await getVendorQuote(b, quoteOfB.id)).status).toBe("requested");
    expect((await requestVendorQuote(b, { eventId: eventB.id, vendorId: privateOfB.id, description: "Dinner" })).vendorId).toBe(privateOfB.id);
  });

  it("refuses bad input naming the field", async () => {
    const { a, eventA } = await setup(t());
    const vendor = await lisbonCaterer(a);
    const request = { eventId: eventA.id, vendorId: vendor.id, description: "Lunch" };
    await expect(requestVendorQuote(a, { ...request, description: "  " })).rejects.toMatchObject({ code: "validation_failed", details: { field: "description" } });
    await expect(requestVendorQuote(a, { ...request, currency: "EURO" })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(requestVendorQuote(a, { ...request, vendorId: "v1" })).rejects.toMatchObject({ details: { field: "vendorId" } });
    await expect(requestVendorQuote(a, { ...request, amountMinor: 5 } as typeof request)).rejects.toMatchObject({ code: "validation_failed" });

    const quote = await requestVendorQuote(a, request);
    await expect(recordVendorQuote(a, quote.id, { amountMinor: 99.99, currency: "EUR" })).rejects.toMatchObject({ details: { field: "amountMinor" } });
    await expect(recordVendorQuote(a, quote.id, { amountMinor: -5, currency: "EUR" })).rejects.toMatchObject({ details: { field: "amountMinor" } });
    await expect(recordVendorQuote(a, quote.id, { amountMinor: 100, currency: "EUR", validUntil: "soon" })).rejects.toMatchObject({ details: { field: "validUntil" } });
    await expect(recordVendorQuote(a, quote.id, { currency: "EUR" } as { amountMinor: number; currency: string })).rejects.toMatchObject({ details: { field: "amountMinor" } });
    await expect(recordVendorQuote(a, "q1", { amountMinor: 100, currency: "EUR" })).rejects.toMatchObject({ details: { field: "id" } });
    await expect(listVendorQuotes(a, { eventId: "e1" })).rejects.toMatchObject({ details: { field: "eventId" } });
    expect((await getVendorQuote(a, quote.id)).status).toBe("requested");
  });
});
