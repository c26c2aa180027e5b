import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { expect, it } from "vitest";
import type { DomainContext } from "../../../domain/context.js";
import { searchVenues } from "../../../domain/venues.js";
import { describeEachDriver } from "../../../test/db.js";
import { twoWorkspacesWithEvents } from "../../../test/fixtures.js";
import type { McpServerDefinition } from "../../host/server.js";
import { connectInMemory } from "../../host/in-memory.js";
import { callError, callOk, testToolContext } from "../../host/testing.js";
import { postgresServer } from "../server.js";
import { venueTools } from "./venues.js";

// Built here rather than taken from server.ts so the suite does not depend on how the server lists its tools.
const server: McpServerDefinition = { ...postgresServer, tools: venueTools };

interface Money {
  amountMinor: number;
  currency: string;
  display: string;
}
interface VenueResult {
  id: string;
  name: string;
  city: string;
  capacity: number;
  dayRate: Money;
  amenities: string[];
  accessibility: string[];
  wheelchairAccessible: boolean;
  timeZone: string;
  kind: string;
  available: boolean | null;
}
interface Booking {
  id: string;
  eventId: string;
  venueId: string;
  venueName: string;
  status: string;
  startsAt: { utc: string; local: string; timeZone: string };
  endsAt: { utc: string; local: string; timeZone: string };
  price: Money;
  notes: string | null;
}
interface Availability {
  venueId: string;
  available: boolean;
  conflictingBookings: number;
  ownConflictingBookings: number;
}

/**
 * Two days in Lisbon (WET, UTC+0 in early March). The catalogue is shared by every test in the file,
 * as a real room is by every workspace, so each test books in a year of its own.
 */
const march = (year: number) => ({ startsAt: `${year}-03-10T09:00:00+00:00`, endsAt: `${year}-03-11T17:00:00+00:00` });

async function seededVenue(ctx: DomainContext, slug: string) {
  const venue = (await searchVenues(ctx, { city: "Lisbon", limit: 200 })).find((v) => v.slug === slug);
  if (!venue) throw new Error(`seed venue ${slug} missing`);
  return venue;
}

describeEachDriver("postgres MCP: venue tools", (t) => {
  async function setup() {
    const fixture = await twoWorkspacesWithEvents(t().db);
    const clientA = await connectInMemory(server, testToolContext(t().handle, fixture.a));
    const clientB = await connectInMemory(server, testToolContext(t().handle, fixture.b));
    const hall = await seededVenue(fixture.a, "lisbon-tagus-riverside-hall");
    return {
      ...fixture,
      hall,
      clientA: clientA.client,
      clientB: clientB.client,
      close: async () => {
        await clientA.close();
        await clientB.close();
      },
    };
  }

  const hold = (client: Client, args: Record<string, unknown>) => callOk<{ booking: Booking }>(client, "hold_venue", args);
  const bookingsOf = async (client: Client, eventId: string) => (await callOk<{ bookings: Booking[] }>(client, "list_venue_bookings", { eventId })).bookings;

  it("declares accurate annotations, and an idempotency key on every tool that changes state", async () => {
    const { clientA, close } = await setup();
    const { tools } = await clientA.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    const readOnly = ["search_venues", "check_venue_availability", "list_venue_bookings"];
    const sideEffects = ["hold_venue", "confirm_venue_booking", "release_venue_booking"];
    for (const name of [...readOnly, ...sideEffects]) {
      const tool = byName.get(name);
      expect(tool, name).toBeDefined();
      expect(tool?.annotations, name).toMatchObject({ readOnlyHint: readOnly.includes(name), destructiveHint: name === "release_venue_booking", idempotentHint: true, openWorldHint: false });
      expect(tool?.outputSchema, name).toBeDefined();
      expect(tool?.description?.length, name).toBeGreaterThan(40);
      expect(tool?.inputSchema.required?.includes("idempotency_key") ?? false, name).toBe(sideEffects.includes(name));
    }
    await close();
  });

  it("searches the seed catalogue: Lisbon for 40 people, with filters, and nothing for 2000", async () => {
    const { clientA, close } = await setup();
    const { venues } = await callOk<{ venues: VenueResult[] }>(clientA, "search_venues", { city: "Lisbon", minCapacity: 40 });
    expect(venues.length).toBeGreaterThanOrEqual(3);
    expect(venues.every((v) => v.city === "Lisbon" && v.capacity >= 40 && v.timeZone === "Europe/Lisbon" && v.available === null)).toBe(true);
    expect(venues.find((v) => v.name === "Tagus Riverside Hall")).toMatchObject({
      capacity: 120,
      dayRate: { amountMinor: 650_000, currency: "EUR", display: "€6,500.00" },
      amenities: expect.arrayContaining(["projector", "breakout_rooms"]) as string[],
      accessibility: expect.arrayContaining(["step_free_access"]) as string[],
      wheelchairAccessible: true,
    });

    const filtered = await callOk<{ venues: VenueResult[] }>(clientA, "search_venues", {
      city: "lisbon",
      minCapacity: 40,
      maxDayRateMinor: 500_000,
      currency: "EUR",
      amenities: ["Projector", "breakout rooms"],
      wheelchairAccessible: true,
    });
    expect(filtered.venues.map((v) => v.name)).toEqual(["LX Oficina Loft"]);
    const rooftops = await callOk<{ venues: VenueResult[] }>(clientA, "search_venues", { city: "Lisbon", kind: "rooftop" });
    expect(rooftops.venues.map((v) => v.kind)).toEqual(["rooftop"]);

    expect(await callOk(clientA, "search_venues", { minCapacity: 2000 })).toEqual({ venues: [] });
    await close();
  });

  it("holds a venue at the day rate per started day, confirms it and releases it", async () => {
    const year = 2031;
    const MARCH = march(year);
    const { clientA, eventA, hall, close } = await setup();
    const { booking } = await hold(clientA, { eventId: eventA.id, venueId: hall.id, ...MARCH, currency: "EUR", notes: "Main hall and two breakout rooms", idempotency_key: "hold-hall-march" });
    expect(booking).toMatchObject({
      eventId: eventA.id,
      venueId: hall.id,
      venueName: "Tagus Riverside Hall",
      status: "hold",
      startsAt: { utc: `${year}-03-10T09:00:00.000Z`, local: `${year}-03-10 09:00`, timeZone: "Europe/Lisbon" },
      endsAt: { local: `${year}-03-11 17:00` },
      // Two calendar days touched, at €6,500 a day.
      price: { amountMinor: 1_300_000, currency: "EUR", display: "€13,000.00" },
      notes: "Main hall and two breakout rooms",
    });
    expect(await bookingsOf(clientA, eventA.id)).toEqual([booking]);

    const evening = await hold(clientA, { eventId: eventA.id, venueId: hall.id, startsAt: `${year}-03-12T19:00:00+00:00`, endsAt: `${year}-03-12T23:30:00+00:00`, priceMinor: 250_000, currency: "EUR", idempotency_key: "hold-hall-dinner" });
    expect(evening.booking.price.amountMinor).toBe(250_000);

    const confirmed = await callOk<{ booking: Booking }>(clientA, "confirm_venue_booking", { bookingId: booking.id, idempotency_key: "confirm-hall-march" });
    expect(confirmed.booking).toMatchObject({ id: booking.id, status: "confirmed" });
    const released = await callOk<{ booking: Booking }>(clientA, "release_venue_booking", { bookingId: booking.id, idempotency_key: "release-hall-march" });
    expect(released.booking.status).toBe("cancelled");
    expect((await bookingsOf(clientA, eventA.id)).map((b) => [b.id, b.status])).toEqual([
      [booking.id, "cancelled"],
      [evening.booking.id, "hold"],
    ]);
    expect(await callOk<Availability>(clientA, "check_venue_availability", { venueId: hall.id, ...MARCH })).toMatchObject({ available: true, conflictingBookings: 0 });
    await close();
  });

  it("reports a venue held by one workspace as unavailable to another, without revealing the booking", async () => {
    const year = 2032;
    const MARCH = march(year);
    const { clientA, clientB, eventA, eventB, hall, close } = await setup();
    const { booking } = await hold(clientA, { eventId: eventA.id, venueId: hall.id, ...MARCH, currency: "EUR", notes: "CEO keynote, secret", idempotency_key: "hold-for-a-1" });
    const overlapping = { startsAt: `${year}-03-11T12:00:00+01:00`, endsAt: `${year}-03-12T12:00:00+01:00` };

    const seenByB = await callOk<Availability>(clientB, "check_venue_availability", { venueId: hall.id, ...overlapping });
    expect(seenByB).toEqual({ venueId: hall.id, available: false, conflictingBookings: 1, ownConflictingBookings: 0 });
    expect(await callOk<Availability>(clientA, "check_venue_availability", { venueId: hall.id, ...overlapping })).toMatchObject({ available: false, conflictingBookings: 1, ownConflictingBookings: 1 });

    const search = await callOk<{ venues: VenueResult[] }>(clientB, "search_venues", { city: "Lisbon", minCapacity: 40, ...overlapping });
    expect(search.venues.map((v) => v.id)).not.toContain(hall.id);
    expect(search.venues.length).toBeGreaterThan(0);
    expect(search.venues.every((v) => v.available === true)).toBe(true);
    const later = await callOk<{ venues: VenueResult[] }>(clientB, "search_venues", { city: "Lisbon", minCapacity: 40, startsAt: `${year}-03-11T17:00:00Z`, endsAt: `${year}-03-11T23:00:00Z` });
    expect(later.venues.find((v) => v.id === hall.id)?.available).toBe(true);

    const clash = await callError(clientB, "hold_venue", { eventId: eventB.id, venueId: hall.id, ...overlapping, currency: "EUR", idempotency_key: "hold-for-b-1" });
    expect(clash).toMatch(/^conflict: startsAt: /);
    for (const text of [JSON.stringify(seenByB), JSON.stringify(search), clash]) {
      expect(text).not.toContain(booking.id);
      expect(text).not.toContain(eventA.id);
      expect(text).not.toContain("secret");
    }
    await close();
  });

  it("refuses a venue that is too small, already booked, or priced in another currency, naming the field", async () => {
    const year = 2033;
    const MARCH = march(year);
    const { clientA, clientB, eventA, eventB, hall, a, close } = await setup();
    const small = await seededVenue(a, "lisbon-casa-do-forno");
    const base = { eventId: eventA.id, venueId: hall.id, ...MARCH, currency: "EUR" };

    expect(await callError(clientA, "hold_venue", { ...base, venueId: small.id, idempotency_key: "too-small-1" })).toMatch(/^validation_failed: venueId: Casa do Forno has capacity 18, below the event headcount of 40/);
    expect(await callError(clientA, "hold_venue", { ...base, currency: "USD", idempotency_key: "wrong-currency-1" })).toMatch(/^validation_failed: currency: .* charges in EUR/);

    await hold(clientA, { ...base, idempotency_key: "first-hold-1" });
    const overlap = await callError(clientB, "hold_venue", { ...base, eventId: eventB.id, startsAt: `${year}-03-11T16:00:00Z`, endsAt: `${year}-03-11T20:00:00Z`, idempotency_key: "overlap-b-1" });
    expect(overlap).toMatch(/^conflict: startsAt: Tagus Riverside Hall is already booked/);
    // A refused call leaves no ledger entry behind, so the same key can act once the input is fixed.
    expect((await hold(clientB, { ...base, eventId: eventB.id, startsAt: `${year}-03-11T17:00:00Z`, endsAt: `${year}-03-11T20:00:00Z`, idempotency_key: "overlap-b-1" })).booking.status).toBe("hold");
    await close();
  });

  it("answers malformed input with a tool error naming the field", async () => {
    const year = 2034;
    const MARCH = march(year);
    const { clientA, eventA, hall, close } = await setup();
    const base = { eventId: eventA.id, venueId: hall.id, ...MARCH, currency: "EUR" };
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["search_venues", { minCapacity: 0 }, /minCapacity/],
      ["search_venues", { maxDayRateMinor: 500_000 }, /currency: is required with maxDayRateMinor/],
      ["search_venues", { maxDayRateMinor: 99.5, currency: "EUR" }, /maxDayRateMinor/],
      ["search_venues", { kind: "castle" }, /kind/],
      ["search_venues", { startsAt: `${year}-03-10T09:00:00`, endsAt: `${year}-03-11T09:00:00Z` }, /startsAt/],
      ["search_venues", { startsAt: `${year}-03-10T09:00:00Z` }, /endsAt: must be given together with startsAt/],
      ["search_venues", { workspaceId: "00000000-0000-4000-8000-000000000000" }, /workspaceId|Unrecognized/],
      ["check_venue_availability", { venueId: hall.id, startsAt: MARCH.endsAt, endsAt: MARCH.startsAt }, /endsAt: must be after startsAt/],
      ["check_venue_availability", { venueId: "hall-1", ...MARCH }, /venueId/],
      ["check_venue_availability", { venueId: "00000000-0000-4000-8000-000000000000", ...MARCH }, /not_found: venue/],
      ["hold_venue", { ...base, idempotency_key: "x" }, /idempotency_key/],
      ["hold_venue", { ...base }, /idempotency_key/],
      ["hold_venue", { ...base, endsAt: MARCH.startsAt, idempotency_key: "reversed-1" }, /endsAt: must be after startsAt/],
      ["hold_venue", { ...base, startsAt: "next tuesday", idempotency_key: "vague-date-1" }, /startsAt/],
      ["hold_venue", { ...base, priceMinor: 1500.5, idempotency_key: "float-price-1" }, /priceMinor/],
      ["hold_venue", { ...base, currency: "euro", idempotency_key: "bad-currency-1" }, /currency/],
      ["hold_venue", { ...base, eventId: "event-1", idempotency_key: "bad-event-1" }, /eventId/],
      ["confirm_venue_booking", { bookingId: "b-1", idempotency_key: "bad-booking-1" }, /bookingId/],
      ["release_venue_booking", { bookingId: "00000000-0000-4000-8000-000000000000", idempotency_key: "no-booking-1" }, /not_found: venue booking/],
      ["list_venue_bookings", { eventId: "nope" }, /eventId/],
    ];
    for (const [tool, args, expected] of cases) expect(await callError(clientA, tool, args), `${tool} ${JSON.stringify(args)}`).toMatch(expected);

    const { booking } = await hold(clientA, { ...base, idempotency_key: "valid-hold-1" });
    await callOk(clientA, "release_venue_booking", { bookingId: booking.id, idempotency_key: "release-valid-1" });
    expect(await callError(clientA, "confirm_venue_booking", { bookingId: booking.id, idempotency_key: "confirm-released-1" })).toMatch(/^invalid_state: status: a cancelled booking cannot become confirmed/);
    await close();
  });

  it("acts once per idempotency key: one booking row, and a replayed confirm returns the first result", async () => {
    const year = 2035;
    const MARCH = march(year);
    const { clientA, eventA, hall, close } = await setup();
    const args = { eventId: eventA.id, venueId: hall.id, ...MARCH, currency: "EUR", idempotency_key: "tool-use-hold-1" };
    const first = await hold(clientA, args);
    const second = await hold(clientA, args);
    expect(second).toEqual(first);
    expect(await bookingsOf(clientA, eventA.id)).toHaveLength(1);
    expect(await callError(clientA, "hold_venue", { ...args, priceMinor: 1 })).toMatch(/^conflict: .*idempotencyKey/);

    const confirm = { bookingId: first.booking.id, idempotency_key: "tool-use-confirm-1" };
    const confirmed = await callOk<{ booking: Booking }>(clientA, "confirm_venue_booking", confirm);
    expect(await callOk<{ booking: Booking }>(clientA, "confirm_venue_booking", confirm)).toEqual(confirmed);
    expect((await bookingsOf(clientA, eventA.id)).map((b) => b.status)).toEqual(["confirmed"]);
    await close();
  });

  it("keeps a workspace's bookings from another: not found to read, confirm or release", async () => {
    const year = 2036;
    const MARCH = march(year);
    const { clientA, clientB, eventA, eventB, hall, close } = await setup();
    const { booking } = await hold(clientA, { eventId: eventA.id, venueId: hall.id, ...MARCH, currency: "EUR", idempotency_key: "a-owns-this-1" });

    expect(await callError(clientB, "list_venue_bookings", { eventId: eventA.id })).toMatch(/^not_found: event/);
    expect(await callError(clientB, "confirm_venue_booking", { bookingId: booking.id, idempotency_key: "b-confirms-a-1" })).toMatch(/^not_found: venue booking/);
    expect(await callError(clientB, "release_venue_booking", { bookingId: booking.id, idempotency_key: "b-releases-a-1" })).toMatch(/^not_found: venue booking/);
    expect(await callError(clientB, "hold_venue", { eventId: eventA.id, venueId: hall.id, startsAt: `${year}-04-01T09:00:00Z`, endsAt: `${year}-04-01T17:00:00Z`, currency: "EUR", idempotency_key: "b-books-for-a-1" })).toMatch(
      /^not_found: event/,
    );
    expect(await bookingsOf(clientB, eventB.id)).toEqual([]);
    expect((await bookingsOf(clientA, eventA.id)).map((b) => [b.id, b.status])).toEqual([[booking.id, "hold"]]);
    await close();
  });
});
