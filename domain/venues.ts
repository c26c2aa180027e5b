import { and, arrayContains, asc, count, eq, gte, lte, max, notExists, sql } from "drizzle-orm";
import { z } from "zod";
import { venueBookings, venues, type Venue } from "../drizzle/schema/index.js";
import { NotFoundError } from "../lib/errors.js";
import { countryCode, currencyCode, minorUnits, timeZone, uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { pageSize } from "./scope.js";
import { createInsertSchema } from "./zod.js";
import { catalogueSlug, catalogueTagList, rethrowSlugConflict, slugFor, visibleCatalogueRow, visibleCatalogueRows } from "./catalogue.js";
import { instantInput, overlappingBookings } from "./venue-bookings.js";

/** The words the seed catalogue uses for amenities; private venues may add their own. */
export const VENUE_AMENITIES = [
  "projector",
  "wifi",
  "stage",
  "pa_system",
  "breakout_rooms",
  "video_conferencing",
  "whiteboards",
  "outdoor_space",
  "garden",
  "kitchen",
  "bar",
  "dance_floor",
  "private_dining",
  "piano",
  "parking",
  "accommodation",
  "river_view",
  "sea_view",
  "city_view",
] as const;

/** Closed vocabulary, because `wheelchairAccessible` is derived from it and guests' needs are matched against it. */
export const ACCESSIBILITY_FEATURES = ["step_free_access", "lift", "accessible_toilets", "hearing_loop", "accessible_parking", "braille_signage"] as const;
export type AccessibilityFeature = (typeof ACCESSIBILITY_FEATURES)[number];

/** A venue counts as wheelchair accessible only when a wheelchair user can both get in and use the toilets. */
export function isWheelchairAccessible(accessibility: readonly string[]): boolean {
  return accessibility.includes("step_free_access") && accessibility.includes("accessible_toilets");
}

const venueFields = createInsertSchema(venues, {
  slug: catalogueSlug.optional(),
  name: (s) => s.trim().min(1, { error: "must not be empty" }).max(200),
  city: (s) => s.trim().min(1, { error: "must not be empty" }).max(100),
  countryCode,
  timeZone,
  address: (s) => s.trim().min(1, { error: "must not be empty" }).max(500),
  capacity: (s) => s.int().min(1, { error: "must be at least 1" }).max(100_000),
  dayRateMinor: minorUnits,
  currency: currencyCode,
  amenities: catalogueTagList.optional(),
  accessibility: z
    .array(z.enum(ACCESSIBILITY_FEATURES))
    .max(ACCESSIBILITY_FEATURES.length)
    .transform((values) => [...new Set(values)])
    .optional(),
  // A schema rather than a refining callback: drizzle-zod types a refined defaulted column as required.
  description: z.string().trim().max(2000).optional(),
}).omit({ id: true, workspaceId: true, createdAt: true });

export const createVenueInput = venueFields.strict().refine((v) => v.wheelchairAccessible === undefined || v.wheelchairAccessible === isWheelchairAccessible(v.accessibility ?? []), {
  path: ["wheelchairAccessible"],
  error: "must agree with accessibility: true exactly when it lists step_free_access and accessible_toilets",
});
export type CreateVenueInput = z.input<typeof createVenueInput>;

export const searchVenuesInput = venueFields
  .pick({ city: true, currency: true, kind: true })
  .partial()
  .extend({
    minCapacity: z.number().int().min(1, { error: "must be at least 1" }).max(100_000).optional(),
    maxDayRateMinor: minorUnits.optional(),
    wheelchairAccessible: z.boolean().optional(),
    amenities: catalogueTagList.optional(),
    startsAt: instantInput.optional(),
    endsAt: instantInput.optional(),
    limit: z.number().int().positive().optional(),
  })
  .strict()
  // Day rates are in each venue's local currency: a bare number would compare yen with euros.
  .refine((v) => v.maxDayRateMinor === undefined || v.currency !== undefined, { path: ["currency"], error: "is required with maxDayRateMinor" })
  // Half a range cannot be checked: an open end would hide every venue with any later booking.
  .refine((v) => (v.startsAt === undefined) === (v.endsAt === undefined), { path: ["endsAt"], error: "must be given together with startsAt" })
  .refine((v) => v.startsAt === undefined || v.endsAt === undefined || v.endsAt > v.startsAt, { path: ["endsAt"], error: "must be after startsAt" });
export type SearchVenuesInput = z.input<typeof searchVenuesInput>;

export interface VenueCity {
  city: string;
  countryCode: string;
  timeZone: string;
  currency: string;
  venueCount: number;
  maxCapacity: number;
}

/**
 * Venues visible to the workspace, smallest that fits first, then cheapest. `wheelchairAccessible:
 * true` and `amenities` are requirements; `wheelchairAccessible: false` means "no requirement".
 * With `startsAt` and `endsAt`, venues booked (by any workspace) for part of that range are left out.
 */
export async function searchVenues(ctx: DomainContext, input: SearchVenuesInput = {}): Promise<Venue[]> {
  return venueSearchQuery(ctx, input);
}

/** The query behind searchVenues, unexecuted, so a test can EXPLAIN it. */
export function venueSearchQuery(ctx: DomainContext, input: SearchVenuesInput = {}) {
  const filters = parseInput(searchVenuesInput, input);
  return ctx.db
    .select()
    .from(venues)
    .where(
      and(
        visibleCatalogueRows(venues, ctx),
        // Same expression as venues_city_capacity_idx, so the index serves the lookup.
        filters.city !== undefined ? sql`lower(${venues.city}) = lower(${filters.city})` : undefined,
        filters.minCapacity !== undefined ? gte(venues.capacity, filters.minCapacity) : undefined,
        filters.maxDayRateMinor !== undefined ? lte(venues.dayRateMinor, filters.maxDayRateMinor) : undefined,
        filters.currency !== undefined ? eq(venues.currency, filters.currency) : undefined,
        filters.kind !== undefined ? eq(venues.kind, filters.kind) : undefined,
        filters.wheelchairAccessible ? eq(venues.wheelchairAccessible, true) : undefined,
        filters.amenities?.length ? arrayContains(venues.amenities, filters.amenities) : undefined,
        filters.startsAt !== undefined && filters.endsAt !== undefined
          ? notExists(ctx.db.select({ id: venueBookings.id }).from(venueBookings).where(overlappingBookings(venues.id, filters.startsAt, filters.endsAt)))
          : undefined,
      ),
    )
    .orderBy(asc(venues.capacity), asc(venues.dayRateMinor), asc(venues.name), asc(venues.id))
    .limit(pageSize(filters.limit));
}

export async function getVenue(ctx: DomainContext, id: string): Promise<Venue> {
  const [row] = await ctx.db.select().from(venues).where(visibleCatalogueRow(venues, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("venue", id);
  return row;
}

/** A private venue, visible to this workspace alone (a place the team knows, an eval fixture). */
export async function createVenue(ctx: DomainContext, input: CreateVenueInput): Promise<Venue> {
  const values = parseInput(createVenueInput, input);
  const slug = values.slug ?? slugFor(values.city, values.name);
  const wheelchairAccessible = isWheelchairAccessible(values.accessibility ?? []);
  try {
    const [row] = await ctx.db
      .insert(venues)
      .values({ ...values, slug, wheelchairAccessible, workspaceId: ctx.workspaceId })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return row;
  } catch (error) {
    rethrowSlugConflict(error, "venue", slug);
  }
}

/** The cities with venues the workspace can see, for "where can we go?" questions. */
export async function listVenueCities(ctx: DomainContext): Promise<VenueCity[]> {
  // Grouped case-insensitively so a private "lisbon" venue joins the catalogue's "Lisbon"; byte order
  // ("C") makes the capitalised spelling win on every server locale.
  const city = sql<string>`min(${venues.city} collate "C")`;
  const rows = await ctx.db
    .select({
      city,
      countryCode: venues.countryCode,
      timeZone: venues.timeZone,
      currency: venues.currency,
      venueCount: count(),
      maxCapacity: max(venues.capacity),
    })
    .from(venues)
    .where(visibleCatalogueRows(venues, ctx))
    .groupBy(sql`lower(${venues.city})`, venues.countryCode, venues.timeZone, venues.currency)
    .orderBy(city, venues.countryCode);
  return rows.map((row) => ({ ...row, maxCapacity: row.maxCapacity ?? 0 }));
}
