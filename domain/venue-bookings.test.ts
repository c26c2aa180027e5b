import { describe, expect, it } from "vitest";
import { describeEachDriver, type TestDatabase } from "../test/db.js";
import { twoWorkspacesWithEvents } from "../test/fixtures.js";
import type { DomainContext } from "./context.js";
import { createVenueBooking, findVenueConflicts, getVenueBooking, listVenueBookings, startedDays, updateVenueBookingStatus, type CreateVenueBookingInput } from "./venue-bookings.js";
import { createVenue, searchVenues } from "./venues.js";

/** A seeded Lisbon venue by slug, as the workspace sees it. */
async function lisbonVenue(ctx: DomainContext, slug: string) {
  const venue = (await searchVenues(ctx, { city: "Lisbon" })).find((v) => v.slug === slug);
  if (!venue) throw new Error(`seed venue ${slug} missing`);
  return venue;
}

const setup = (database: TestDatabase) => twoWorkspacesWithEvents(database.db);

describe("startedDays", () => {
  const days = (start: string, end: string, zone = "Europe/Lisbon") => startedDays(new Date(start), new Date(end), zone);

  it("counts the calendar days a booking touches in the venue's zone", () => {
    expect(days("2027-03-10T09:00:00Z", "2027-03-10T18:00:00Z")).toBe(1);
    expect(days("2027-03-10T09:00:00Z", "2027-03-11T17:00:00Z")).toBe(2);
    // An evening running past midnight starts a second day.
    expect(days("2027-03-10T19:00:00Z", "2027-03-11T01:00:00Z")).toBe(2);
    // Ending exactly at local midnight does not.
    expect(days("2027-03-10T09:00:00Z", "2027-03-11T00:00:00Z")).toBe(1);
    // 23:00 UTC is already the next day in Tokyo.
    expect(days("2027-03-10T01:00:00Z", "2027-03-10T23:00:00Z", "Asia/Tokyo")).toBe(2);
    // The night clocks go forward is still one day.
    expect(days("2027-03-28T00:30:00Z", "2027-03-28T22:30:00Z")).toBe(1);
  });

  it("refuses an empty or reversed range naming endsAt", () => {
    expect(() => days("2027-03-10T09:00:00Z", "2027-03-10T09:00:00Z")).toThrow(/^endsAt: /);
  });
});

describeEachDriver("venue bookings", (t) => {
  it("books a seeded venue for an event, from ISO strings, and lists it", async () => {
    const { a, eventA } = await setup(t());
    const venue = await lisbonVenue(a, "lisbon-tagus-riverside-hall");
    const booking = await createVenueBooking(a, {
      eventId: eventA.id,
      venueId: venue.id,
      startsAt: "2027-03-10T09:00:00Z",
      endsAt: "2027-03-11T18:00:00Z",
      priceMinor: 1_300_000,
      currency: "EUR",
      notes: "Two days, main hall",
    });
    expect(booking).toMatchObject({ workspaceId: a.workspaceId, eventId: eventA.id, venueId: venue.id, status: "hold", priceMinor: 1_300_000, currency: "EUR" });
    expect(booking.startsAt.toISOString()).toBe("2027-03-10T09:00:00.000Z");
    expect(await getVenueBooking(a, booking.id)).toEqual(booking);
    expect((await listVenueBookings(a, { eventId: eventA.id })).map((x) => x.id)).toEqual([booking.id]);
  });

  it("refuses a venue smaller than the event's headcount", async () => {
    const { a, eventA } = await setup(t());
    const small = await lisbonVenue(a, "lisbon-casa-do-forno");
    expect(small.capacity).toBeLessThan(40);
    const attempt = createVenueBooking(a, {
      eventId: eventA.id,
      venueId: small.id,
      startsAt: new Date("2027-04-01T19:00:00Z"),
      endsAt: new Date("2027-04-01T23:00:00Z"),
      priceMinor: 120_000,
      currency: "EUR",
    });
    await expect(attempt).rejects.toMatchObject({ code: "validation_failed", details: { field: "venueId", capacity: small.capacity, headcount: 40 } });
    await expect(attempt).rejects.toThrow(/capacity 18.*headcount of 40/);
  });

  it("refuses a price in a currency the venue does not charge in", async () => {
    const { a, eventA } = await setup(t());
    const venue = await lisbonVenue(a, "lisbon-tagus-riverside-hall");
    const attempt = createVenueBooking(a, { eventId: eventA.id, venueId: venue.id, startsAt: "2031-04-01T09:00:00Z", endsAt: "2031-04-01T17:00:00Z", priceMinor: 650_000, currency: "USD" });
    await expect(attempt).rejects.toMatchObject({ code: "validation_failed", details: { field: "currency", expected: "EUR" } });
  });

  it("refuses overlapping bookings of one venue across workspaces, until the first is cancelled", async () => {
    const { a, b, eventA, eventB } = await setup(t());
    const venue = await lisbonVenue(a, "lisbon-alfama-terrace");
    const day = (start: string, end: string): Omit<CreateVenueBookingInput, "eventId"> => ({
      venueId: venue.id,
      startsAt: `2027-05-10T${start}:00Z`,
      endsAt: `2027-05-10T${end}:00Z`,
      priceMinor: 280_000,
      currency: "EUR",
    });
    const first = await createVenueBooking(a, { ...day("09:00", "18:00"), eventId: eventA.id });

    const clash = createVenueBooking(b, { ...day("12:00", "20:00"), eventId: eventB.id });
    await expect(clash).rejects.toMatchObject({ code: "conflict", details: { field: "startsAt" } });
    await expect(clash).rejects.not.toThrow(first.id);
    await expect(createVenueBooking(a, { ...day("08:00", "10:00"), eventId: eventA.id })).rejects.toMatchObject({ code: "conflict" });

    const evening = await createVenueBooking(b, { ...day("18:00", "23:00"), eventId: eventB.id });
    expect(evening.status).toBe("hold");

    await updateVenueBookingStatus(a, first.id, "cancelled");
    const rebooked = await createVenueBooking(b, { ...day("12:00", "17:00"), eventId: eventB.id });
    expect(rebooked.workspaceId).toBe(b.workspaceId);
  });

  it("lets only one of two concurrent overlapping bookings through", async () => {
    const { a, b, eventA, eventB } = await setup(t());
    const venue = await lisbonVenue(a, "lisbon-lx-oficina-loft");
    // Several independent races, so a missing lock shows up as a failure rather than by luck.
    for (const day of ["01", "02", "03", "04", "05"]) {
      const slot = { venueId: venue.id, startsAt: `2027-06-${day}T09:00:00Z`, endsAt: `2027-06-${day}T17:00:00Z`, priceMinor: 320_000, currency: "EUR" };
      const results = await Promise.allSettled([createVenueBooking(a, { ...slot, eventId: eventA.id }), createVenueBooking(b, { ...slot, eventId: eventB.id })]);
      expect(results.filter((r) => r.status === "fulfilled"), day).toHaveLength(1);
      const rejected = results.filter((r) => r.status === "rejected");
      expect(rejected, day).toHaveLength(1);
      expect(rejected[0]?.reason, day).toMatchObject({ code: "conflict", details: { field: "startsAt" } });
    }
  });

  it("moves through valid status transitions only", async () => {
    const { a, eventA } = await setup(t());
    const venue = await lisbonVenue(a, "lisbon-belem-congress-centre");
    const booking = await createVenueBooking(a, { eventId: eventA.id, venueId: venue.id, startsAt: "2027-07-01T08:00:00Z", endsAt: "2027-07-01T20:00:00Z", priceMinor: 1_800_000, currency: "EUR" });
    expect((await updateVenueBookingStatus(a, booking.id, "requested")).status).toBe("requested");
    await expect(updateVenueBookingStatus(a, booking.id, "hold")).rejects.toMatchObject({ code: "invalid_state", details: { field: "status", from: "requested", to: "hold" } });
    expect((await updateVenueBookingStatus(a, booking.id, "confirmed")).status).toBe("confirmed");
    await expect(updateVenueBookingStatus(a, booking.id, "confirmed")).rejects.toMatchObject({ code: "invalid_state", details: { from: "confirmed" } });
    expect((await updateVenueBookingStatus(a, booking.id, "cancelled")).status).toBe("cancelled");
    await expect(updateVenueBookingStatus(a, booking.id, "confirmed")).rejects.toMatchObject({ code: "invalid_state", details: { from: "cancelled", allowed: [] } });
    await expect(updateVenueBookingStatus(a, booking.id, "archived" as "cancelled")).rejects.toMatchObject({ code: "validation_failed", details: { field: "status" } });
  });

  it("never shows or touches another workspace's bookings, events or private venues", async () => {
    const { a, b, eventA, eventB } = await setup(t());
    const shared = await lisbonVenue(a, "lisbon-palacio-das-janelas");
    const privateOfB = await createVenue(b, {
      name: "B's Garage",
      kind: "loft",
      city: "Lisbon",
      countryCode: "PT",
      timeZone: "Europe/Lisbon",
      address: "Rua da Junqueira 5, 1300-343 Lisboa",
      capacity: 60,
      dayRateMinor: 0,
      currency: "EUR",
    });
    const slot = { startsAt: "2027-08-01T09:00:00Z", endsAt: "2027-08-01T17:00:00Z", priceMinor: 0, currency: "EUR" };
    const bookingOfB = await createVenueBooking(b, { ...slot, eventId: eventB.id, venueId: shared.id });

    await expect(getVenueBooking(a, bookingOfB.id)).rejects.toMatchObject({ code: "not_found", details: { entity: "venue booking" } });
    await expect(updateVenueBookingStatus(a, bookingOfB.id, "cancelled")).rejects.toMatchObject({ code: "not_found" });
    await expect(listVenueBookings(a, { eventId: eventB.id })).rejects.toMatchObject({ code: "not_found", details: { entity: "event" } });
    expect(await listVenueBookings(a, { eventId: eventA.id })).toEqual([]);
    await expect(createVenueBooking(a, { ...slot, eventId: eventB.id, venueId: privateOfB.id })).rejects.toMatchObject({ details: { entity: "event", id: eventB.id } });
    await expect(createVenueBooking(a, { ...slot, startsAt: "2027-08-02T09:00:00Z", endsAt: "2027-08-02T17:00:00Z", eventId: eventA.id, venueId: privateOfB.id })).rejects.toMatchObject({
      code: "not_found",
      details: { entity: "venue", id: privateOfB.id },
    });
    expect((await getVenueBooking(b, bookingOfB.id)).status).toBe("hold");
  });

  it("refuses bad input naming the field", async () => {
    const { a, eventA } = await setup(t());
    const venue = await lisbonVenue(a, "lisbon-tagus-riverside-hall");
    const valid: CreateVenueBookingInput = { eventId: eventA.id, venueId: venue.id, startsAt: "2028-01-10T09:00:00Z", endsAt: "2028-01-10T18:00:00Z", priceMinor: 650_000, currency: "EUR" };
    await expect(createVenueBooking(a, { ...valid, endsAt: "2028-01-10T08:00:00Z" })).rejects.toMatchObject({ code: "validation_failed", details: { field: "endsAt" } });
    await expect(createVenueBooking(a, { ...valid, startsAt: "next tuesday" })).rejects.toMatchObject({ details: { field: "startsAt" } });
    await expect(createVenueBooking(a, { ...valid, priceMinor: 6500.5 })).rejects.toMatchObject({ details: { field: "priceMinor" } });
    await expect(createVenueBooking(a, { ...valid, priceMinor: -1 })).rejects.toMatchObject({ details: { field: "priceMinor" } });
    await expect(createVenueBooking(a, { ...valid, currency: "eur" })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(createVenueBooking(a, { ...valid, status: "cancelled" as "hold" })).rejects.toMatchObject({ details: { field: "status" } });
    await expect(createVenueBooking(a, { ...valid, eventId: "event-1" })).rejects.toMatchObject({ details: { field: "eventId" } });
    await expect(createVenueBooking(a, { ...valid, workspaceId: a.workspaceId } as CreateVenueBookingInput)).rejects.toMatchObject({ code: "validation_failed" });
    await expect(createVenueBooking(a, { ...valid, venueId: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({ code: "not_found", details: { entity: "venue" } });
    await expect(listVenueBookings(a, { eventId: "nope" })).rejects.toMatchObject({ details: { field: "eventId" } });
  });

  it("counts overlapping bookings across workspaces without describing them", async () => {
    const { a, b, eventA, eventB } = await setup(t());
    const venue = await lisbonVenue(a, "lisbon-alfama-terrace");
    const slot = { venueId: venue.id, priceMinor: 280_000, currency: "EUR" };
    const morningOfA = await createVenueBooking(a, { ...slot, eventId: eventA.id, startsAt: "2027-09-01T09:00:00Z", endsAt: "2027-09-01T13:00:00Z" });
    await createVenueBooking(b, { ...slot, eventId: eventB.id, startsAt: "2027-09-01T14:00:00Z", endsAt: "2027-09-01T18:00:00Z" });

    expect(await findVenueConflicts(a, venue.id, "2027-09-01T08:00:00Z", "2027-09-01T20:00:00Z")).toEqual({ total: 2, own: 1 });
    expect(await findVenueConflicts(b, venue.id, new Date("2027-09-01T12:00:00Z"), new Date("2027-09-01T15:00:00Z"))).toEqual({ total: 2, own: 1 });
    expect(await findVenueConflicts(b, venue.id, "2027-09-01T10:00:00Z", "2027-09-01T11:00:00Z")).toEqual({ total: 1, own: 0 });
    // Half-open: the gap between the two bookings is free, and so is the time after.
    expect(await findVenueConflicts(a, venue.id, "2027-09-01T13:00:00Z", "2027-09-01T14:00:00Z")).toEqual({ total: 0, own: 0 });
    expect(await findVenueConflicts(a, venue.id, "2027-09-01T18:00:00Z", "2027-09-01T23:00:00Z")).toEqual({ total: 0, own: 0 });

    await updateVenueBookingStatus(a, morningOfA.id, "cancelled");
    expect(await findVenueConflicts(b, venue.id, "2027-09-01T08:00:00Z", "2027-09-01T20:00:00Z")).toEqual({ total: 1, own: 1 });
  });

  it("checks conflicts only on venues the workspace can see, and refuses bad ranges naming the field", async () => {
    const { a, b } = await setup(t());
    const privateOfB = await createVenue(b, {
      name: "B's Studio",
      kind: "loft",
      city: "Lisbon",
      countryCode: "PT",
      timeZone: "Europe/Lisbon",
      address: "Rua do Poço dos Negros 1, 1200-335 Lisboa",
      capacity: 50,
      dayRateMinor: 10_000,
      currency: "EUR",
    });
    const range = ["2027-09-02T09:00:00Z", "2027-09-02T17:00:00Z"] as const;
    expect(await findVenueConflicts(b, privateOfB.id, ...range)).toEqual({ total: 0, own: 0 });
    await expect(findVenueConflicts(a, privateOfB.id, ...range)).rejects.toMatchObject({ code: "not_found", details: { entity: "venue" } });

    const venue = await lisbonVenue(a, "lisbon-tagus-riverside-hall");
    await expect(findVenueConflicts(a, venue.id, range[1], range[0])).rejects.toMatchObject({ code: "validation_failed", details: { field: "endsAt" } });
    await expect(findVenueConflicts(a, venue.id, "soon", range[1])).rejects.toMatchObject({ details: { field: "startsAt" } });
    await expect(findVenueConflicts(a, venue.id, null as unknown as string, range[1])).rejects.toMatchObject({ details: { field: "startsAt" } });
    await expect(findVenueConflicts(a, "venue-1", ...range)).rejects.toMatchObject({ details: { field: "venueId" } });
  });
});
