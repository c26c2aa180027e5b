import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { CATALOGUE_VENUES } from "../drizzle/seed/catalogue/venues.js";
import { isTimeZone } from "../lib/formats.js";
import { newWorkspaceContext } from "../test/context.js";
import { describeEachDriver } from "../test/db.js";
import { twoWorkspacesWithEvents } from "../test/fixtures.js";
import { createVenueBooking, updateVenueBookingStatus } from "./venue-bookings.js";
import { ACCESSIBILITY_FEATURES, VENUE_AMENITIES, createVenue, getVenue, isWheelchairAccessible, listVenueCities, searchVenues, venueSearchQuery, type CreateVenueInput } from "./venues.js";

const privateVenue: CreateVenueInput = {
  name: "Casa da Equipa",
  kind: "loft",
  city: "Lisbon",
  countryCode: "PT",
  timeZone: "Europe/Lisbon",
  address: "Rua do Alecrim 10, 1200-018 Lisboa",
  capacity: 45,
  dayRateMinor: 150_000,
  currency: "EUR",
  amenities: ["wifi", "Projector", "kitchen"],
  accessibility: ["step_free_access", "accessible_toilets"],
  description: "The founder's loft, free for the team.",
};

describe("venue catalogue data", () => {
  it("uses one vocabulary, unique slugs and accessibility flags that agree with the features listed", () => {
    expect(new Set(CATALOGUE_VENUES.map((v) => v.slug)).size).toBe(CATALOGUE_VENUES.length);
    for (const venue of CATALOGUE_VENUES) {
      expect(venue.amenities?.filter((a) => !(VENUE_AMENITIES as readonly string[]).includes(a)), venue.slug).toEqual([]);
      expect(venue.accessibility?.filter((a) => !(ACCESSIBILITY_FEATURES as readonly string[]).includes(a)), venue.slug).toEqual([]);
      expect(venue.wheelchairAccessible, venue.slug).toBe(isWheelchairAccessible(venue.accessibility ?? []));
      expect(isTimeZone(venue.timeZone), venue.slug).toBe(true);
      expect(Number.isInteger(venue.dayRateMinor), venue.slug).toBe(true);
    }
  });
});

describeEachDriver("venues", (t) => {
  it("finds the seeded Lisbon venues for 40 people, smallest that fits first", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const found = await searchVenues(ctx, { city: "lisbon", minCapacity: 40 });
    expect(found.length).toBeGreaterThanOrEqual(3);
    expect(found.every((v) => v.city === "Lisbon" && v.capacity >= 40 && v.currency === "EUR" && v.workspaceId === null)).toBe(true);
    const capacities = found.map((v) => v.capacity);
    expect(capacities).toEqual([...capacities].sort((a, b) => a - b));
    expect(found.map((v) => v.slug)).toContain("lisbon-tagus-riverside-hall");
    expect(found.map((v) => v.slug)).not.toContain("lisbon-casa-do-forno");
  });

  it("looks cities up through venues_city_capacity_idx", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const plan = await t().db.transaction(async (tx) => {
      // Sixty rows are cheaper to scan; with scans priced out the planner shows whether the index can serve the filter.
      await tx.execute(sql`set local enable_seqscan = off`);
      const result = await tx.execute(sql`explain ${venueSearchQuery({ ...ctx, db: tx }, { city: "LISBON", minCapacity: 40 }).getSQL()}`);
      return JSON.stringify((result as { rows: unknown[] }).rows);
    });
    expect(plan).toContain("venues_city_capacity_idx");
  });

  it("fits a 300-person conference in a few cities only, and 2000 people nowhere", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const large = await searchVenues(ctx, { minCapacity: 300 });
    const cities = new Set(large.map((v) => v.city));
    expect(cities.size).toBeGreaterThanOrEqual(2);
    expect(cities.size).toBeLessThanOrEqual(5);
    expect(await searchVenues(ctx, { minCapacity: 2000 })).toEqual([]);
  });

  it("filters by accessibility, amenities, kind and day rate in a currency", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const all = await searchVenues(ctx, { limit: 200 });
    expect(all.length).toBe(60);

    const accessible = await searchVenues(ctx, { wheelchairAccessible: true, limit: 200 });
    expect(accessible.length).toBeGreaterThan(0);
    expect(accessible.length).toBeLessThan(all.length);
    expect(accessible.every((v) => v.wheelchairAccessible && v.accessibility.includes("step_free_access"))).toBe(true);

    const equipped = await searchVenues(ctx, { amenities: ["projector", "Breakout Rooms"], limit: 200 });
    expect(equipped.length).toBeGreaterThan(0);
    expect(equipped.every((v) => v.amenities.includes("projector") && v.amenities.includes("breakout_rooms"))).toBe(true);

    const rooftops = await searchVenues(ctx, { kind: "rooftop" });
    expect(rooftops.length).toBeGreaterThan(0);
    expect(rooftops.every((v) => v.kind === "rooftop")).toBe(true);

    const affordable = await searchVenues(ctx, { maxDayRateMinor: 500_000, currency: "EUR", limit: 200 });
    expect(affordable.length).toBeGreaterThan(0);
    expect(affordable.every((v) => v.currency === "EUR" && v.dayRateMinor <= 500_000)).toBe(true);

    const tokyo = await searchVenues(ctx, { city: "Tokyo", currency: "JPY" });
    expect(tokyo).toHaveLength(6);
    expect(tokyo.every((v) => v.timeZone === "Asia/Tokyo" && v.countryCode === "JP")).toBe(true);

    expect(await searchVenues(ctx, { city: "Lisbon", limit: 2 })).toHaveLength(2);
  });

  it("refuses bad search and create input naming the field", async () => {
    const ctx = await newWorkspaceContext(t().db);
    await expect(searchVenues(ctx, { minCapacity: 0 })).rejects.toMatchObject({ code: "validation_failed", details: { field: "minCapacity" } });
    await expect(searchVenues(ctx, { maxDayRateMinor: 500_000 })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(searchVenues(ctx, { maxDayRateMinor: 99.5, currency: "EUR" })).rejects.toMatchObject({ details: { field: "maxDayRateMinor" } });
    await expect(searchVenues(ctx, { kind: "castle" as "historic" })).rejects.toMatchObject({ details: { field: "kind" } });
    await expect(createVenue(ctx, { ...privateVenue, capacity: 0 })).rejects.toMatchObject({ details: { field: "capacity" } });
    await expect(createVenue(ctx, { ...privateVenue, dayRateMinor: 1500.5 })).rejects.toMatchObject({ details: { field: "dayRateMinor" } });
    await expect(createVenue(ctx, { ...privateVenue, currency: "EURO" })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(createVenue(ctx, { ...privateVenue, timeZone: "Europe/Lisboa" })).rejects.toMatchObject({ details: { field: "timeZone" } });
    await expect(createVenue(ctx, { ...privateVenue, countryCode: "Portugal" })).rejects.toMatchObject({ details: { field: "countryCode" } });
    await expect(createVenue(ctx, { ...privateVenue, accessibility: ["ramp" as "lift"] })).rejects.toMatchObject({ details: { field: "accessibility.0" } });
    await expect(createVenue(ctx, { ...privateVenue, accessibility: ["lift"], wheelchairAccessible: true })).rejects.toMatchObject({ details: { field: "wheelchairAccessible" } });
    await expect(createVenue(ctx, { ...privateVenue, slug: "Not A Slug" })).rejects.toMatchObject({ details: { field: "slug" } });
    await expect(createVenue(ctx, { ...privateVenue, workspaceId: null } as CreateVenueInput)).rejects.toMatchObject({ code: "validation_failed" });
    await expect(getVenue(ctx, "not-a-uuid")).rejects.toMatchObject({ code: "validation_failed" });
  });

  it("creates a private venue with a derived slug, normalised tags and a conflict on a repeated slug", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const venue = await createVenue(ctx, privateVenue);
    expect(venue).toMatchObject({ slug: "lisbon-casa-da-equipa", workspaceId: ctx.workspaceId, wheelchairAccessible: true, amenities: ["wifi", "projector", "kitchen"] });
    expect(await getVenue(ctx, venue.id)).toEqual(venue);
    await expect(createVenue(ctx, privateVenue)).rejects.toMatchObject({ code: "conflict", details: { field: "slug" } });
    // A workspace may reuse a catalogue slug for its own entry.
    const shadow = await createVenue(ctx, { ...privateVenue, slug: "lisbon-tagus-riverside-hall" });
    expect(shadow.workspaceId).toBe(ctx.workspaceId);
  });

  it("keeps a workspace's private venues to itself while both see the shared catalogue", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const secret = await createVenue(b, { ...privateVenue, name: "B's Secret Loft" });

    const seenByA = await searchVenues(a, { city: "Lisbon", minCapacity: 40, limit: 200 });
    const seenByB = await searchVenues(b, { city: "Lisbon", minCapacity: 40, limit: 200 });
    expect(seenByA.map((v) => v.id)).not.toContain(secret.id);
    expect(seenByB.map((v) => v.id)).toContain(secret.id);
    expect(seenByB.length).toBe(seenByA.length + 1);

    await expect(getVenue(a, secret.id)).rejects.toMatchObject({ code: "not_found", details: { entity: "venue" } });
    const shared = seenByA[0];
    if (!shared) throw new Error("no shared venue found");
    expect((await getVenue(a, shared.id)).id).toBe(shared.id);
    expect((await getVenue(b, shared.id)).id).toBe(shared.id);
  });

  it("lists the cities with their country, time zone, currency and venue count", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const cities = await listVenueCities(a);
    expect(cities).toHaveLength(10);
    expect(cities.find((c) => c.city === "Tokyo")).toEqual({ city: "Tokyo", countryCode: "JP", timeZone: "Asia/Tokyo", currency: "JPY", venueCount: 6, maxCapacity: expect.any(Number) as number });
    expect(cities.find((c) => c.city === "Mexico City")).toMatchObject({ countryCode: "MX", timeZone: "America/Mexico_City", currency: "MXN" });
    expect(new Set(cities.map((c) => c.timeZone.split("/")[0])).size).toBeGreaterThanOrEqual(3);

    await createVenue(b, { ...privateVenue, city: "lisbon" });
    await createVenue(b, { ...privateVenue, name: "Ribeira Loft", city: "Porto", address: "Rua de São João 20, 4050-552 Porto" });
    const citiesOfB = await listVenueCities(b);
    expect(citiesOfB.find((c) => c.city === "Lisbon")?.venueCount).toBe(7);
    expect(citiesOfB.map((c) => c.city)).toContain("Porto");
    expect((await listVenueCities(a)).map((c) => c.city)).not.toContain("Porto");
  });

  it("leaves out venues booked by any workspace for part of a requested range", async () => {
    const { a, b, eventA } = await twoWorkspacesWithEvents(t().db);
    const lisbon = { city: "Lisbon", minCapacity: 40 };
    const hall = (await searchVenues(a, lisbon)).find((v) => v.slug === "lisbon-tagus-riverside-hall");
    if (!hall) throw new Error("seed venue missing");
    const booking = await createVenueBooking(a, { eventId: eventA.id, venueId: hall.id, startsAt: "2027-10-05T09:00:00Z", endsAt: "2027-10-06T18:00:00Z", priceMinor: 1_300_000, currency: "EUR" });

    const ids = async (input: Parameters<typeof searchVenues>[1]) => (await searchVenues(b, input)).map((v) => v.id);
    const overlapping = await ids({ ...lisbon, startsAt: "2027-10-06T17:00:00Z", endsAt: "2027-10-07T10:00:00Z" });
    expect(overlapping).not.toContain(hall.id);
    expect(overlapping.length).toBeGreaterThan(0);
    expect(await ids({ ...lisbon, startsAt: new Date("2027-10-06T18:00:00Z"), endsAt: new Date("2027-10-07T18:00:00Z") })).toContain(hall.id);
    expect(await ids(lisbon)).toContain(hall.id);

    await updateVenueBookingStatus(a, booking.id, "cancelled");
    expect(await ids({ ...lisbon, startsAt: "2027-10-05T09:00:00Z", endsAt: "2027-10-06T18:00:00Z" })).toContain(hall.id);
  });

  it("refuses half a range or a reversed one naming endsAt", async () => {
    const ctx = await newWorkspaceContext(t().db);
    await expect(searchVenues(ctx, { startsAt: "2027-10-05T09:00:00Z" })).rejects.toMatchObject({ code: "validation_failed", details: { field: "endsAt" } });
    await expect(searchVenues(ctx, { endsAt: "2027-10-05T09:00:00Z" })).rejects.toMatchObject({ details: { field: "endsAt" } });
    await expect(searchVenues(ctx, { startsAt: "2027-10-05T09:00:00Z", endsAt: "2027-10-05T08:00:00Z" })).rejects.toMatchObject({ details: { field: "endsAt" } });
    await expect(searchVenues(ctx, { startsAt: "someday", endsAt: "2027-10-05T08:00:00Z" })).rejects.toMatchObject({ details: { field: "startsAt" } });
  });
});
