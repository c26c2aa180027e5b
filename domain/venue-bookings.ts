import { and, asc, eq, gt, inArray, lt, ne } from "drizzle-orm";
import { z } from "zod";
import { BOOKING_STATUSES, events, venueBookings, venues, type BookingStatus, type VenueBooking } from "../drizzle/schema/index.js";
import { AppError, ConflictError, NotFoundError, ValidationError } from "../lib/errors.js";
import { currencyCode, minorUnits, uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { ownedRow, pageSize } from "./scope.js";
import { visibleCatalogueRow } from "./catalogue.js";
import { createInsertSchema } from "./zod.js";

/** Where a booking may go next. Cancelled is final: re-booking is a new booking, checked for overlap again. */
export const VENUE_BOOKING_TRANSITIONS: Readonly<Record<BookingStatus, readonly BookingStatus[]>> = {
  hold: ["requested", "confirmed", "cancelled"],
  requested: ["confirmed", "cancelled"],
  confirmed: ["cancelled"],
  cancelled: [],
};

const bookingFields = createInsertSchema(venueBookings, {
  eventId: uuid,
  venueId: uuid,
  // A booking starts out open; it is cancelled through updateVenueBookingStatus.
  status: z.enum(["hold", "requested", "confirmed"]).optional(),
  priceMinor: minorUnits,
  currency: currencyCode,
  // A schema rather than a refining callback: drizzle-zod types a refined nullable column as required.
  notes: z.string().trim().max(2000).nullish(),
}).omit({ id: true, workspaceId: true, createdAt: true, updatedAt: true });

export const createVenueBookingInput = bookingFields
  .strict()
  .refine((v) => v.endsAt > v.startsAt, { path: ["endsAt"], error: "must be after startsAt" });
export type CreateVenueBookingInput = z.input<typeof createVenueBookingInput>;

export const listVenueBookingsInput = z.object({ eventId: uuid, limit: z.number().int().positive().optional() }).strict();

const statusChange = z.object({ id: uuid, status: z.enum(BOOKING_STATUSES) });

/**
 * Book a venue for one of the workspace's events. The venue must be visible to the workspace and
 * big enough for the event's headcount, and must not already be held, requested or confirmed for an
 * overlapping time by anyone: a catalogue venue is one real room shared by every workspace.
 */
export async function createVenueBooking(ctx: DomainContext, input: CreateVenueBookingInput): Promise<VenueBooking> {
  const values = parseInput(createVenueBookingInput, input);
  return ctx.db.transaction(async (tx) => {
    const [event] = await tx.select({ headcount: events.headcount }).from(events).where(ownedRow(events, ctx, values.eventId)).limit(1);
    if (!event) throw new NotFoundError("event", values.eventId);

    // The row lock makes a concurrent booking of the same venue wait here until this transaction
    // ends, so its overlap check below sees this booking; without it both could pass the check.
    const [venue] = await tx
      .select({ name: venues.name, capacity: venues.capacity })
      .from(venues)
      .where(visibleCatalogueRow(venues, ctx, values.venueId))
      .limit(1)
      .for("update");
    if (!venue) throw new NotFoundError("venue", values.venueId);

    if (venue.capacity < event.headcount) {
      throw new ValidationError(`venueId: ${venue.name} has capacity ${venue.capacity}, below the event headcount of ${event.headcount}`, {
        field: "venueId",
        capacity: venue.capacity,
        headcount: event.headcount,
      });
    }

    const [clash] = await tx
      .select({ id: venueBookings.id })
      .from(venueBookings)
      .where(
        and(
          eq(venueBookings.venueId, values.venueId),
          ne(venueBookings.status, "cancelled"),
          // Half-open intervals: a booking ending at 18:00 does not clash with one starting at 18:00.
          lt(venueBookings.startsAt, values.endsAt),
          gt(venueBookings.endsAt, values.startsAt),
        ),
      )
      .limit(1);
    if (clash) {
      // Says nothing about the other booking: it may belong to another workspace.
      throw new ConflictError(`startsAt: ${venue.name} is already booked for part of ${values.startsAt.toISOString()} to ${values.endsAt.toISOString()}`, {
        field: "startsAt",
        venueId: values.venueId,
      });
    }

    const [row] = await tx
      .insert(venueBookings)
      .values({ ...values, workspaceId: ctx.workspaceId })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return row;
  });
}

export async function getVenueBooking(ctx: DomainContext, id: string): Promise<VenueBooking> {
  const [row] = await ctx.db.select().from(venueBookings).where(ownedRow(venueBookings, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("venue booking", id);
  return row;
}

/** The event's bookings in time order; NotFoundError when the event is not the workspace's. */
export async function listVenueBookings(ctx: DomainContext, input: z.input<typeof listVenueBookingsInput>): Promise<VenueBooking[]> {
  const { eventId, limit } = parseInput(listVenueBookingsInput, input);
  const [event] = await ctx.db.select({ id: events.id }).from(events).where(ownedRow(events, ctx, eventId)).limit(1);
  if (!event) throw new NotFoundError("event", eventId);
  return ctx.db
    .select()
    .from(venueBookings)
    .where(and(eq(venueBookings.workspaceId, ctx.workspaceId), eq(venueBookings.eventId, eventId)))
    .orderBy(asc(venueBookings.startsAt), asc(venueBookings.createdAt), asc(venueBookings.id))
    .limit(pageSize(limit));
}

/** Move a booking along VENUE_BOOKING_TRANSITIONS; anything else is an `invalid_state` error. */
export async function updateVenueBookingStatus(ctx: DomainContext, id: string, status: BookingStatus): Promise<VenueBooking> {
  const change = parseInput(statusChange, { id, status });
  const allowedFrom = BOOKING_STATUSES.filter((from) => VENUE_BOOKING_TRANSITIONS[from].includes(change.status));
  // The status guard in the WHERE clause makes check-and-set one statement, so two racing updates cannot both apply.
  const [row] = allowedFrom.length
    ? await ctx.db
        .update(venueBookings)
        .set({ status: change.status })
        .where(and(ownedRow(venueBookings, ctx, change.id), inArray(venueBookings.status, allowedFrom)))
        .returning()
    : [];
  if (row) return row;
  const current = await getVenueBooking(ctx, change.id);
  throw new AppError("invalid_state", `status: a ${current.status} booking cannot become ${change.status}`, {
    field: "status",
    from: current.status,
    to: change.status,
    allowed: VENUE_BOOKING_TRANSITIONS[current.status],
  });
}
