import { and, asc, count, eq, gt, inArray, lt, ne, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { BOOKING_STATUSES, events, venueBookings, venues, type BookingStatus, type VenueBooking } from "../drizzle/schema/index.js";
import { AppError, ConflictError, NotFoundError, ValidationError } from "../lib/errors.js";
import { currencyCode, minorUnits, uuid } from "../lib/formats.js";
import { calendarDaysBetween } from "../lib/time.js";
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

/** A Date or an ISO string; a union first, because bare coercion would turn `null` into 1970. */
export const instantInput = z.union([z.date(), z.string()]).pipe(z.coerce.date({ error: "must be an ISO 8601 date-time, e.g. 2027-03-10T09:00:00Z" }));

export const venueAvailabilityInput = z
  .object({ venueId: uuid, startsAt: instantInput, endsAt: instantInput })
  .strict()
  .refine((v) => v.endsAt > v.startsAt, { path: ["endsAt"], error: "must be after startsAt" });

/**
 * The one overlap rule that booking, availability checks and venue search share: a booking that is
 * not cancelled and covers part of [startsAt, endsAt). Intervals are half-open, so a booking ending
 * at 18:00 does not clash with one starting at 18:00.
 */
export function overlappingBookings(venueId: string | PgColumn, startsAt: Date, endsAt: Date): SQL {
  return and(eq(venueBookings.venueId, venueId), ne(venueBookings.status, "cancelled"), lt(venueBookings.startsAt, endsAt), gt(venueBookings.endsAt, startsAt)) as SQL;
}

export interface VenueConflicts {
  /** Overlapping bookings by anyone: a catalogue venue is one real room shared by every workspace. */
  total: number;
  /** How many of those are this workspace's own, so a planner can tell "we hold it" from "taken". */
  own: number;
}

/**
 * Count the bookings that would stop `venueId` being booked for [startsAt, endsAt). Counts only:
 * another workspace's bookings are never described. NotFoundError when the venue is not visible,
 * so a private venue's existence cannot be probed.
 */
export async function findVenueConflicts(ctx: DomainContext, venueId: string, startsAt: Date | string, endsAt: Date | string): Promise<VenueConflicts> {
  const values = parseInput(venueAvailabilityInput, { venueId, startsAt, endsAt });
  const [venue] = await ctx.db.select({ id: venues.id }).from(venues).where(visibleCatalogueRow(venues, ctx, values.venueId)).limit(1);
  if (!venue) throw new NotFoundError("venue", values.venueId);
  const [row] = await ctx.db
    .select({ total: count(), own: sql<number>`count(*) filter (where ${venueBookings.workspaceId} = ${ctx.workspaceId})`.mapWith(Number) })
    .from(venueBookings)
    .where(overlappingBookings(values.venueId, values.startsAt, values.endsAt));
  return { total: row?.total ?? 0, own: row?.own ?? 0 };
}

/**
 * Calendar days in `timeZone` that [startsAt, endsAt) touches: the unit a day rate is charged in.
 * 09:00-18:00 is one day, 19:00 to 01:00 the next morning is two, and ending exactly at local
 * midnight does not start the following day.
 */
export function startedDays(startsAt: Date, endsAt: Date, timeZone: string): number {
  if (endsAt <= startsAt) throw new ValidationError("endsAt: must be after startsAt", { field: "endsAt" });
  // The end is exclusive: the last instant inside the booking decides its last day.
  return calendarDaysBetween(startsAt, new Date(endsAt.getTime() - 1), timeZone) + 1;
}

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
      .select({ name: venues.name, capacity: venues.capacity, currency: venues.currency })
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

    // A booking is priced in the venue's currency, whoever calls: a tool, a route or a worker.
    if (values.currency !== venue.currency) {
      throw new ValidationError(`currency: ${venue.name} charges in ${venue.currency}, not ${values.currency}`, { field: "currency", expected: venue.currency });
    }

    const [clash] = await tx.select({ id: venueBookings.id }).from(venueBookings).where(overlappingBookings(values.venueId, values.startsAt, values.endsAt)).limit(1);
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
