import { expect, it } from "vitest";
import { venueBookings, venues } from "../drizzle/schema/index.js";
import { describeEachDriver } from "../test/db.js";
import { newWorkspaceContext } from "../test/context.js";
import { addBudgetLine, getBudgetLine, getBudgetSummary, listBudgetLines, removeBudgetLine, updateBudgetLine, type NewBudgetLineInput } from "./budget.js";
import type { DomainContext } from "./context.js";
import { createEvent, updateEvent, type CreateEventInput } from "./events.js";

const offsite: CreateEventInput = { title: "Lisbon offsite", kind: "offsite", city: "Lisbon", timeZone: "Europe/Lisbon", headcount: 40, budgetMinor: 3_000_000, currency: "EUR" };

const venueLine: NewBudgetLineInput = { category: "venue", description: "Palácio day rate x2", plannedMinor: 1_200_000, committedMinor: 1_200_000, currency: "EUR" };

async function eventFor(ctx: DomainContext, overrides: Partial<CreateEventInput> = {}) {
  return createEvent(ctx, { ...offsite, ...overrides });
}

/** A booking row for link tests, written directly: bookings have their own domain module. */
async function bookingFor(ctx: DomainContext, eventId: string) {
  const [venue] = await ctx.db.select().from(venues).limit(1);
  if (!venue) throw new Error("the seed catalogue has no venues");
  const [booking] = await ctx.db
    .insert(venueBookings)
    .values({
      workspaceId: ctx.workspaceId,
      eventId,
      venueId: venue.id,
      startsAt: new Date("2027-03-10T09:00:00Z"),
      endsAt: new Date("2027-03-11T18:00:00Z"),
      priceMinor: 1_200_000,
      currency: "EUR",
    })
    .returning();
  if (!booking) throw new Error("insert returned no row");
  return booking;
}

describeEachDriver("budget", (t) => {
  it("adds, lists, updates and removes budget lines in minor units", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const venue = await addBudgetLine(ctx, event.id, venueLine);
    const catering = await addBudgetLine(ctx, event.id, { category: "catering", description: "Vegetarian-friendly lunch x2", plannedMinor: 800_000, currency: "EUR" });
    expect(venue).toMatchObject({ eventId: event.id, plannedMinor: 1_200_000, committedMinor: 1_200_000, currency: "EUR", venueBookingId: null });
    expect(catering.committedMinor).toBe(0);
    expect(await getBudgetLine(ctx, venue.id)).toEqual(venue);
    expect((await listBudgetLines(ctx, { eventId: event.id })).map((line) => line.category)).toEqual(["venue", "catering"]);

    const committed = await updateBudgetLine(ctx, catering.id, { committedMinor: 750_000, description: "Lunch, signed" });
    expect(committed).toMatchObject({ plannedMinor: 800_000, committedMinor: 750_000, description: "Lunch, signed" });
    expect(await updateBudgetLine(ctx, catering.id, {})).toMatchObject({ committedMinor: 750_000 });

    expect((await removeBudgetLine(ctx, venue.id)).id).toBe(venue.id);
    await expect(getBudgetLine(ctx, venue.id)).rejects.toMatchObject({ code: "not_found" });
    expect((await listBudgetLines(ctx, { eventId: event.id })).map((line) => line.id)).toEqual([catering.id]);
  });

  it("refuses bad money, currencies and descriptions naming the field", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, plannedMinor: 1200.5 })).rejects.toMatchObject({ code: "validation_failed", details: { field: "plannedMinor" } });
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, committedMinor: 0.1 })).rejects.toMatchObject({ details: { field: "committedMinor" } });
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, plannedMinor: -1 })).rejects.toMatchObject({ details: { field: "plannedMinor" } });
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, plannedMinor: "1200" as unknown as number })).rejects.toMatchObject({ details: { field: "plannedMinor" } });
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, currency: "eur" })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, description: " " })).rejects.toMatchObject({ details: { field: "description" } });
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, category: "snacks" } as unknown as NewBudgetLineInput)).rejects.toMatchObject({ details: { field: "category" } });

    // A valid currency that is not the event's: the message names both.
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, currency: "USD" })).rejects.toMatchObject({ code: "validation_failed", details: { field: "currency" } });
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, currency: "USD" })).rejects.toThrow(/USD.*EUR/);

    const line = await addBudgetLine(ctx, event.id, venueLine);
    await expect(updateBudgetLine(ctx, line.id, { currency: "GBP" })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(updateBudgetLine(ctx, line.id, { committedMinor: 99.99 })).rejects.toMatchObject({ details: { field: "committedMinor" } });
    expect(await getBudgetLine(ctx, line.id)).toMatchObject({ currency: "EUR", committedMinor: 1_200_000 });
    expect(await listBudgetLines(ctx, { eventId: event.id })).toHaveLength(1);
  });

  it("links a line to one of the event's own bookings only", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const otherEvent = await eventFor(ctx, { title: "Another offsite" });
    const booking = await bookingFor(ctx, event.id);
    const otherBooking = await bookingFor(ctx, otherEvent.id);
    expect(await addBudgetLine(ctx, event.id, { ...venueLine, venueBookingId: booking.id })).toMatchObject({ venueBookingId: booking.id });
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, venueBookingId: otherBooking.id })).rejects.toMatchObject({ code: "not_found" });
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, vendorQuoteId: otherBooking.id })).rejects.toMatchObject({ code: "not_found" });
    await expect(addBudgetLine(ctx, event.id, { ...venueLine, venueBookingId: "booking-1" })).rejects.toMatchObject({ details: { field: "venueBookingId" } });
  });

  it("summarises planned, committed and remaining money per category, exactly", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const venue = await addBudgetLine(ctx, event.id, venueLine);
    await addBudgetLine(ctx, event.id, { category: "catering", description: "Lunch x2", plannedMinor: 800_000, committedMinor: 500_000, currency: "EUR" });
    await addBudgetLine(ctx, event.id, { category: "catering", description: "Coffee breaks", plannedMinor: 200_000, currency: "EUR" });
    await addBudgetLine(ctx, event.id, { category: "av", description: "Projector and mics", plannedMinor: 150_000, currency: "EUR" });

    expect(await getBudgetSummary(ctx, event.id)).toEqual({
      eventId: event.id,
      currency: "EUR",
      budgetMinor: 3_000_000,
      plannedMinor: 2_350_000,
      committedMinor: 1_700_000,
      remainingMinor: 1_300_000,
      overBudget: false,
      categories: [
        { category: "venue", plannedMinor: 1_200_000, committedMinor: 1_200_000 },
        { category: "catering", plannedMinor: 1_000_000, committedMinor: 500_000 },
        { category: "av", plannedMinor: 150_000, committedMinor: 0 },
      ],
    });

    // Commitments beyond the budget: remaining goes negative and the event is over budget.
    await updateBudgetLine(ctx, venue.id, { committedMinor: 1_500_000 });
    await addBudgetLine(ctx, event.id, { category: "accommodation", description: "Hotel, 40 rooms", plannedMinor: 900_000, committedMinor: 900_000, currency: "EUR" });
    const over = await getBudgetSummary(ctx, event.id);
    expect(over).toMatchObject({ plannedMinor: 3_250_000, committedMinor: 2_900_000, remainingMinor: 100_000, overBudget: true });
    expect(over.categories.map((c) => c.category)).toEqual(["venue", "catering", "av", "accommodation"]);

    await updateBudgetLine(ctx, venue.id, { committedMinor: 2_000_000 });
    expect(await getBudgetSummary(ctx, event.id)).toMatchObject({ committedMinor: 3_400_000, remainingMinor: -400_000, overBudget: true });
  });

  it("summarises an event without lines or without a budget", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const empty = await eventFor(ctx);
    expect(await getBudgetSummary(ctx, empty.id)).toEqual({
      eventId: empty.id,
      currency: "EUR",
      budgetMinor: 3_000_000,
      plannedMinor: 0,
      committedMinor: 0,
      remainingMinor: 3_000_000,
      overBudget: false,
      categories: [],
    });
    const unbudgeted = await eventFor(ctx, { budgetMinor: null, currency: "JPY" });
    await addBudgetLine(ctx, unbudgeted.id, { category: "catering", description: "Bento", plannedMinor: 120_000, committedMinor: 60_000, currency: "JPY" });
    expect(await getBudgetSummary(ctx, unbudgeted.id)).toMatchObject({ currency: "JPY", budgetMinor: null, plannedMinor: 120_000, committedMinor: 60_000, remainingMinor: null, overBudget: false });
  });

  it("refuses to add up lines left in an old currency after the event's currency changed", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    await addBudgetLine(ctx, event.id, venueLine);
    await updateEvent(ctx, event.id, { currency: "USD" });
    await expect(getBudgetSummary(ctx, event.id)).rejects.toMatchObject({ code: "invalid_state", details: { field: "currency", expected: "USD" } });
  });

  it("returns sums beyond 32 bits as exact numbers", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx, { budgetMinor: 10_000_000_000 });
    await addBudgetLine(ctx, event.id, { category: "venue", description: "Stadium", plannedMinor: 3_000_000_001, committedMinor: 2_999_999_999, currency: "EUR" });
    await addBudgetLine(ctx, event.id, { category: "venue", description: "Second stadium", plannedMinor: 3_000_000_001, committedMinor: 2_999_999_999, currency: "EUR" });
    const summary = await getBudgetSummary(ctx, event.id);
    expect(summary).toMatchObject({ plannedMinor: 6_000_000_002, committedMinor: 5_999_999_998, remainingMinor: 4_000_000_002 });
    expect(typeof summary.plannedMinor).toBe("number");
    expect(summary.categories).toEqual([{ category: "venue", plannedMinor: 6_000_000_002, committedMinor: 5_999_999_998 }]);
  });

  it("never shows or lets workspace A touch workspace B's budget", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const eventA = await eventFor(a);
    const eventB = await eventFor(b);
    await addBudgetLine(a, eventA.id, { ...venueLine, description: "Mine" });
    const theirs = await addBudgetLine(b, eventB.id, { ...venueLine, description: "Theirs" });
    const theirBooking = await bookingFor(b, eventB.id);

    expect((await listBudgetLines(a, { eventId: eventA.id })).map((line) => line.description)).toEqual(["Mine"]);
    await expect(listBudgetLines(a, { eventId: eventB.id })).rejects.toMatchObject({ code: "not_found" });
    await expect(getBudgetSummary(a, eventB.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(addBudgetLine(a, eventB.id, venueLine)).rejects.toMatchObject({ code: "not_found" });
    await expect(addBudgetLine(a, eventA.id, { ...venueLine, venueBookingId: theirBooking.id })).rejects.toMatchObject({ code: "not_found" });
    await expect(getBudgetLine(a, theirs.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(updateBudgetLine(a, theirs.id, { committedMinor: 0 })).rejects.toMatchObject({ code: "not_found" });
    await expect(removeBudgetLine(a, theirs.id)).rejects.toMatchObject({ code: "not_found" });

    // A's summary counts only A's line; B's line is untouched.
    expect((await getBudgetSummary(a, eventA.id)).plannedMinor).toBe(1_200_000);
    expect(await getBudgetLine(b, theirs.id)).toMatchObject({ description: "Theirs", committedMinor: 1_200_000 });
    expect((await getBudgetSummary(b, eventB.id)).committedMinor).toBe(1_200_000);
  });
});
