import { z } from "zod";
import { createVenueBooking, findVenueConflicts, listVenueBookings, startedDays, updateVenueBookingStatus } from "../../../domain/venue-bookings.js";
import { getVenue, searchVenues } from "../../../domain/venues.js";
import type { DomainContext } from "../../../domain/context.js";
import { BOOKING_STATUSES, VENUE_KINDS, type Venue, type VenueBooking } from "../../../drizzle/schema/index.js";
import { currencyCode, minorUnits, uuid } from "../../../lib/formats.js";
import { defineTool } from "../../host/tool.js";
import { instant, instantOutput, isoDateTime, money, moneyOutput } from "../present.js";

export const venueOutput = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(VENUE_KINDS),
  city: z.string(),
  countryCode: z.string(),
  address: z.string(),
  timeZone: z.string().describe("the venue's IANA zone; its bookings are shown in it"),
  capacity: z.number().int().describe("most people the venue holds"),
  dayRate: moneyOutput.describe("price per calendar day, in the venue's own currency"),
  amenities: z.array(z.string()),
  accessibility: z.array(z.string()).describe("e.g. step_free_access, lift, accessible_toilets, hearing_loop"),
  wheelchairAccessible: z.boolean().describe("step-free access and accessible toilets"),
  cateringInHouse: z.boolean(),
  description: z.string(),
  available: z.boolean().nullable().describe("true: free for the whole startsAt-endsAt range searched (booked venues are left out); null: no range given, availability not checked"),
});

export function presentVenue(venue: Venue, available: boolean | null): z.infer<typeof venueOutput> {
  return {
    id: venue.id,
    name: venue.name,
    kind: venue.kind,
    city: venue.city,
    countryCode: venue.countryCode,
    address: venue.address,
    timeZone: venue.timeZone,
    capacity: venue.capacity,
    dayRate: money(venue.dayRateMinor, venue.currency),
    amenities: venue.amenities,
    accessibility: venue.accessibility,
    wheelchairAccessible: venue.wheelchairAccessible,
    cateringInHouse: venue.cateringInHouse,
    description: venue.description,
    available,
  };
}

export const venueBookingOutput = z.object({
  id: z.string(),
  eventId: z.string(),
  venueId: z.string(),
  venueName: z.string(),
  status: z.enum(BOOKING_STATUSES).describe("hold → requested → confirmed; cancelled is final"),
  startsAt: instantOutput,
  endsAt: instantOutput,
  price: moneyOutput.describe("for the whole booking"),
  notes: z.string().nullable(),
});

/** Times in the venue's zone: the booking's wall clock is the one at the place it happens. */
export function presentVenueBooking(booking: VenueBooking, venue: Pick<Venue, "name" | "timeZone">): z.infer<typeof venueBookingOutput> {
  return {
    id: booking.id,
    eventId: booking.eventId,
    venueId: booking.venueId,
    venueName: venue.name,
    status: booking.status,
    startsAt: instant(booking.startsAt, venue.timeZone),
    endsAt: instant(booking.endsAt, venue.timeZone),
    price: money(booking.priceMinor, booking.currency),
    notes: booking.notes,
  };
}

/** One lookup per distinct venue, sequentially: inside a tool's transaction there is one connection. */
async function presentVenueBookings(ctx: DomainContext, bookings: VenueBooking[]): Promise<z.infer<typeof venueBookingOutput>[]> {
  const venuesById = new Map<string, Venue>();
  for (const venueId of new Set(bookings.map((b) => b.venueId))) venuesById.set(venueId, await getVenue(ctx, venueId));
  return bookings.map((booking) => {
    const venue = venuesById.get(booking.venueId);
    if (!venue) throw new Error(`venue ${booking.venueId} of booking ${booking.id} not loaded`);
    return presentVenueBooking(booking, venue);
  });
}

const range = {
  startsAt: isoDateTime.describe("start of the time needed, e.g. 2027-03-10T09:00:00+00:00"),
  endsAt: isoDateTime.describe("end of the time needed (exclusive), after startsAt"),
};

const venueId = { venueId: uuid.describe("id returned by search_venues") };
const eventId = { eventId: uuid.describe("id returned by create_event or list_events") };
const bookingId = { bookingId: uuid.describe("id returned by hold_venue or list_venue_bookings") };

const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

export const venueTools = [
  defineTool({
    name: "search_venues",
    title: "Search venues",
    description:
      "Find venues for an event: filter by city, headcount (minCapacity), day-rate ceiling in a currency, required amenities, wheelchair access and kind; give startsAt and endsAt to leave out venues already booked then. " +
      "Returns the smallest venues that fit first, then the cheapest, with capacity, day rate, amenities, accessibility and time zone.",
    input: {
      city: z.string().trim().min(1).max(100).optional().describe("e.g. Lisbon; case-insensitive"),
      minCapacity: z.number().int().min(1).max(100_000).optional().describe("the event's headcount: only venues that hold at least this many"),
      maxDayRateMinor: minorUnits.optional().describe("highest acceptable day rate in integer minor units of `currency` (EUR 5,000 = 500000); needs currency"),
      currency: currencyCode.optional().describe("ISO 4217; only venues charging in it. Required with maxDayRateMinor"),
      amenities: z.array(z.string().min(1).max(50)).max(30).optional().describe("every one required, e.g. ['projector', 'breakout_rooms']"),
      wheelchairAccessible: z.boolean().optional().describe("true: only venues with step-free access and accessible toilets; false or omitted: no requirement"),
      kind: z.enum(VENUE_KINDS).optional(),
      startsAt: range.startsAt.optional().describe("with endsAt: leave out venues booked by anyone for part of this range"),
      endsAt: range.endsAt.optional(),
      limit: z.number().int().min(1).max(200).optional().describe("default 50"),
    },
    output: { venues: z.array(venueOutput) },
    annotations: readOnly,
    sideEffect: false,
    handler: async (ctx, input) => {
      const checked = input.startsAt !== undefined && input.endsAt !== undefined;
      return { venues: (await searchVenues(ctx, input)).map((venue) => presentVenue(venue, checked ? true : null)) };
    },
  }),
  defineTool({
    name: "check_venue_availability",
    title: "Check venue availability",
    description:
      "Whether one venue is free for a time range, before holding it. Returns available and how many bookings (by anyone, and how many of them ours) overlap the range; it never describes other teams' bookings.",
    input: { ...venueId, ...range },
    output: {
      venueId: z.string(),
      available: z.boolean(),
      conflictingBookings: z.number().int().describe("bookings, held, requested or confirmed by anyone, overlapping the range"),
      ownConflictingBookings: z.number().int().describe("how many of those are this workspace's own; list_venue_bookings shows them"),
    },
    annotations: readOnly,
    sideEffect: false,
    handler: async (ctx, input) => {
      const conflicts = await findVenueConflicts(ctx, input.venueId, input.startsAt, input.endsAt);
      return { venueId: input.venueId, available: conflicts.total === 0, conflictingBookings: conflicts.total, ownConflictingBookings: conflicts.own };
    },
  }),
  defineTool({
    name: "hold_venue",
    title: "Hold venue",
    description:
      "Put a provisional hold on a venue for an event (status hold), reserving it against other bookings until confirmed or released. " +
      "Refused when the venue is too small for the event's headcount, already booked for part of the range, or the currency is not the venue's. Returns the booking.",
    input: {
      ...eventId,
      ...venueId,
      ...range,
      priceMinor: minorUnits
        .optional()
        .describe(
          "agreed price for the whole booking, in integer minor units of currency. Omitted: the venue's day rate times the calendar days, in the venue's time zone, that the range touches (09:00-18:00 is one day; an evening running past midnight is two)",
        ),
      currency: currencyCode.describe("must be the venue's currency, as in search_venues dayRate.currency"),
      notes: z.string().trim().max(2000).optional().describe("for the team, e.g. which rooms"),
    },
    output: { booking: venueBookingOutput },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, input) => {
      const venue = await getVenue(ctx, input.venueId);
      const startsAt = new Date(input.startsAt);
      const endsAt = new Date(input.endsAt);
      const priceMinor = input.priceMinor ?? venue.dayRateMinor * startedDays(startsAt, endsAt, venue.timeZone);
      const booking = await createVenueBooking(ctx, { eventId: input.eventId, venueId: input.venueId, startsAt, endsAt, priceMinor, currency: input.currency, notes: input.notes, status: "hold" });
      return { booking: presentVenueBooking(booking, venue) };
    },
  }),
  defineTool({
    name: "confirm_venue_booking",
    title: "Confirm venue booking",
    description: "Mark a held or requested booking confirmed once the venue has agreed. Returns the booking; a cancelled or already confirmed booking cannot be confirmed.",
    input: bookingId,
    output: { booking: venueBookingOutput },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, { bookingId: id }) => {
      const booking = await updateVenueBookingStatus(ctx, id, "confirmed");
      return { booking: presentVenueBooking(booking, await getVenue(ctx, booking.venueId)) };
    },
  }),
  defineTool({
    name: "release_venue_booking",
    title: "Release venue booking",
    description:
      "Cancel a booking (held, requested or confirmed) so the venue is free for others. Final: booking the venue again is a new hold_venue, checked for overlap again. Returns the cancelled booking.",
    input: bookingId,
    output: { booking: venueBookingOutput },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, { bookingId: id }) => {
      const booking = await updateVenueBookingStatus(ctx, id, "cancelled");
      return { booking: presentVenueBooking(booking, await getVenue(ctx, booking.venueId)) };
    },
  }),
  defineTool({
    name: "list_venue_bookings",
    title: "List venue bookings",
    description: "An event's venue bookings in time order, cancelled ones included, with venue name, status, times in the venue's zone and price.",
    input: { ...eventId, limit: z.number().int().min(1).max(200).optional().describe("default 50") },
    output: { bookings: z.array(venueBookingOutput) },
    annotations: readOnly,
    sideEffect: false,
    handler: async (ctx, input) => ({ bookings: await presentVenueBookings(ctx, await listVenueBookings(ctx, input)) }),
  }),
];
