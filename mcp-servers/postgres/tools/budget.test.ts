import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { expect, it } from "vitest";
import type { DomainContext } from "../../../domain/context.js";
import { createVenueBooking } from "../../../domain/venue-bookings.js";
import { searchVenues } from "../../../domain/venues.js";
import { describeEachDriver } from "../../../test/db.js";
import { twoWorkspacesWithEvents } from "../../../test/fixtures.js";
import { callError, callOk } from "../../host/testing.js";
import { connectPostgresTools, createEventThroughTools } from "../testing.js";
import { budgetTools } from "./budget.js";

// Built here rather than taken from server.ts so the suite does not depend on how the server lists its tools.

const offsite = { title: "Engineering offsite", kind: "offsite", city: "Lisbon", countryCode: "PT", timeZone: "Europe/Lisbon", startsAt: "2027-03-10T09:00:00Z", headcount: 40, budgetMinor: 3_000_000, currency: "EUR" };

interface Money {
  amountMinor: number;
  currency: string;
  display: string;
}

interface Summary {
  budget: Money | null;
  planned: Money;
  committed: Money;
  remaining: Money | null;
  overBudget: boolean;
  categories: Array<{ category: string; planned: Money; committed: Money }>;
}

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR", display: new Intl.NumberFormat("en", { style: "currency", currency: "EUR" }).format(amountMinor / 100) });

/** A seeded Lisbon venue held for the event; each test books its own day, since venues are shared. */
async function bookVenue(ctx: DomainContext, eventId: string, day: string) {
  const venue = (await searchVenues(ctx, { city: "Lisbon" })).find((v) => v.slug === "lisbon-tagus-riverside-hall");
  if (!venue) throw new Error("seed venue lisbon-tagus-riverside-hall missing");
  return createVenueBooking(ctx, { eventId, venueId: venue.id, startsAt: `${day}T09:00:00Z`, endsAt: `${day}T18:00:00Z`, priceMinor: 1_300_000, currency: "EUR" });
}

describeEachDriver("postgres MCP: budget tools", (t) => {
  const connect = (existing?: DomainContext) => connectPostgresTools(t(), existing);
  const eventIn = (client: Client, key: string, extra: Record<string, unknown> = {}) => createEventThroughTools(client, { ...offsite, ...extra }, key);

  it("adds lines linked to a booking and summarises committed against the budget per category", async () => {
    const { ctx, client, close } = await connect();
    const eventId = await eventIn(client, "event-budget");
    const booking = await bookVenue(ctx, eventId, "2027-05-03");

    const { line } = await callOk<{ line: Record<string, unknown> }>(client, "add_budget_line", {
      eventId,
      category: "venue",
      description: "Riverside hall, one day",
      plannedMinor: 1_300_000,
      committedMinor: 1_300_000,
      currency: "EUR",
      venueBookingId: booking.id,
      idempotency_key: "line-venue",
    });
    expect(line).toMatchObject({ category: "venue", planned: { amountMinor: 1_300_000, currency: "EUR", display: "€13,000.00" }, committed: eur(1_300_000), venueBookingId: booking.id, vendorQuoteId: null });
    await callOk(client, "add_budget_line", { eventId, category: "catering", description: "Lunch for 40, two days", plannedMinor: 900_000, currency: "EUR", idempotency_key: "line-lunch" });
    await callOk(client, "add_budget_line", { eventId, category: "catering", description: "Welcome drinks", plannedMinor: 300_000, committedMinor: 200_000, currency: "EUR", idempotency_key: "line-drinks" });

    expect(await callOk<Summary>(client, "budget_summary", { eventId })).toEqual({
      eventId,
      currency: "EUR",
      budget: eur(3_000_000),
      planned: eur(2_500_000),
      committed: eur(1_500_000),
      remaining: eur(1_500_000),
      overBudget: false,
      categories: [
        { category: "venue", planned: eur(1_300_000), committed: eur(1_300_000) },
        { category: "catering", planned: eur(1_200_000), committed: eur(200_000) },
      ],
    });
    await close();
  });

  it("flags the plan as over budget once planned, then committed, spend exceeds it", async () => {
    const { client, close } = await connect();
    const eventId = await eventIn(client, "event-over-budget");
    await callOk(client, "add_budget_line", { eventId, category: "venue", description: "Hall", plannedMinor: 2_500_000, committedMinor: 2_500_000, currency: "EUR", idempotency_key: "over-venue" });
    expect(await callOk<Summary>(client, "budget_summary", { eventId })).toMatchObject({ overBudget: false, remaining: eur(500_000) });

    await callOk(client, "add_budget_line", { eventId, category: "av", description: "Sound and screens", plannedMinor: 600_000, currency: "EUR", idempotency_key: "over-av-plan" });
    // Planned past the budget is already over, though nothing more is committed yet.
    expect(await callOk<Summary>(client, "budget_summary", { eventId })).toMatchObject({ overBudget: true, planned: eur(3_100_000), remaining: eur(500_000) });

    await callOk(client, "add_budget_line", { eventId, category: "av", description: "Deposit", plannedMinor: 0, committedMinor: 600_000, currency: "EUR", idempotency_key: "over-av-commit" });
    const summary = await callOk<Summary>(client, "budget_summary", { eventId });
    expect(summary).toMatchObject({ overBudget: true, committed: eur(3_100_000) });
    expect(summary.remaining).toEqual({ amountMinor: -100_000, currency: "EUR", display: "-€1,000.00" });
    await close();
  });

  it("summarises an event without a budget as never over it", async () => {
    const { client, close } = await connect();
    const eventId = await eventIn(client, "event-no-budget", { budgetMinor: undefined, currency: "JPY" });
    await callOk(client, "add_budget_line", { eventId, category: "catering", description: "Bento", plannedMinor: 120_000, currency: "JPY", idempotency_key: "line-bento" });
    expect(await callOk<Summary>(client, "budget_summary", { eventId })).toMatchObject({
      budget: null,
      remaining: null,
      overBudget: false,
      planned: { amountMinor: 120_000, currency: "JPY", display: "¥120,000" },
    });
    await close();
  });

  it("adds once for a repeated idempotency key", async () => {
    const { client, close } = await connect();
    const eventId = await eventIn(client, "event-budget-replay");
    const call = { eventId, category: "decor", description: "Flowers", plannedMinor: 50_000, currency: "EUR", idempotency_key: "line-flowers" };
    const first = await callOk(client, "add_budget_line", call);
    expect(await callOk(client, "add_budget_line", call)).toEqual(first);
    expect(await callOk<Summary>(client, "budget_summary", { eventId })).toMatchObject({ planned: eur(50_000), categories: [{ category: "decor" }] });
    await close();
  });

  it("answers bad lines with a tool error naming the field", async () => {
    const { client, close } = await connect();
    const eventId = await eventIn(client, "event-budget-bad");
    const line = { eventId, category: "catering", description: "Lunch", plannedMinor: 900_000, currency: "EUR" };
    const add = (patch: Record<string, unknown>, key: string) => callError(client, "add_budget_line", { ...line, ...patch, idempotency_key: key });
    expect(await add({ currency: "USD" }, "wrong-currency")).toMatch(/^validation_failed: currency: USD does not match the event's currency EUR/);
    expect(await add({ currency: "euro" }, "bad-currency")).toMatch(/ISO 4217.*currency/);
    expect(await add({ plannedMinor: 9000.5 }, "fractional-planned")).toMatch(/minor units.*plannedMinor/);
    expect(await add({ committedMinor: 12.34 }, "fractional-committed")).toMatch(/minor units.*committedMinor/);
    expect(await add({ plannedMinor: -1 }, "negative-planned")).toMatch(/not be negative.*plannedMinor/);
    expect(await add({ plannedMinor: "900000" }, "string-planned")).toMatch(/plannedMinor/);
    expect(await add({ category: "flowers" }, "bad-category")).toMatch(/category/);
    expect(await add({ description: " " }, "blank-description")).toMatch(/description/);
    expect(await add({ venueBookingId: "00000000-0000-4000-8000-000000000000" }, "unknown-booking")).toMatch(/^not_found: venue booking/);
    expect(await add({ vendorQuoteId: "quote-1" }, "bad-quote-id")).toMatch(/vendorQuoteId/);
    expect(await callError(client, "budget_summary", { eventId: "event-1" })).toMatch(/eventId/);
    expect((await callOk<Summary>(client, "budget_summary", { eventId })).categories).toEqual([]);
    await close();
  });

  it("keeps another workspace's budget out of reach", async () => {
    const { a, b, eventA, eventB } = await twoWorkspacesWithEvents(t().db);
    const asA = await connect(a);
    const asB = await connect(b);
    const booking = await bookVenue(a, eventA.id, "2027-05-04");
    await callOk(asA.client, "add_budget_line", { eventId: eventA.id, category: "venue", description: "Hall", plannedMinor: 1_300_000, currency: "EUR", venueBookingId: booking.id, idempotency_key: "a-venue-line" });

    expect(await callError(asB.client, "budget_summary", { eventId: eventA.id })).toMatch(/^not_found: event/);
    expect(await callError(asB.client, "add_budget_line", { eventId: eventA.id, category: "other", description: "Sneak", plannedMinor: 1, currency: "EUR", idempotency_key: "b-line-on-a" })).toMatch(/^not_found: event/);
    // B cannot hang its own line on A's booking either.
    expect(
      await callError(asB.client, "add_budget_line", { eventId: eventB.id, category: "venue", description: "Borrowed", plannedMinor: 1, currency: "EUR", venueBookingId: booking.id, idempotency_key: "b-links-a" }),
    ).toMatch(/^not_found: venue booking/);

    expect(await callOk<Summary>(asA.client, "budget_summary", { eventId: eventA.id })).toMatchObject({ planned: eur(1_300_000), categories: [{ category: "venue" }] });
    expect(await callOk<Summary>(asB.client, "budget_summary", { eventId: eventB.id })).toMatchObject({ planned: eur(0), categories: [] });
    await asA.close();
    await asB.close();
  });

  it("declares the budget tools as closed-world and non-destructive, read-only where they only read", async () => {
    const { client, close } = await connect();
    const { tools } = await client.listTools();
    const hints = Object.fromEntries(tools.filter((tool) => budgetTools.some((x) => x.name === tool.name)).map((tool) => [tool.name, { ...tool.annotations, title: undefined }]));
    const write = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false, title: undefined };
    expect(hints).toEqual({ add_budget_line: write, budget_summary: { ...write, readOnlyHint: true } });
    expect(tools.find((tool) => tool.name === "budget_summary")?.description).toMatch(/must not commit/);
    await close();
  });
});
