import { sql } from "drizzle-orm";
import { boolean, check, index, integer, pgEnum, pgTable, real, text, unique, uuid } from "drizzle-orm/pg-core";
import { checks, createdAt, id, money } from "./columns.js";
import { workspaces } from "./workspaces.js";

/**
 * The venue and vendor catalogue. Rows with no workspace are the shared seed catalogue every
 * workspace can search; rows with a workspace are that workspace's own (a venue the team knows,
 * an eval fixture) and are visible to it alone.
 */

export const VENUE_KINDS = ["hotel", "conference_center", "restaurant", "rooftop", "historic", "loft", "garden", "winery", "coworking", "beach_club"] as const;
export const venueKind = pgEnum("venue_kind", VENUE_KINDS);

export const VENDOR_CATEGORIES = ["catering", "av", "photography", "transport", "decor", "entertainment"] as const;
export const vendorCategory = pgEnum("vendor_category", VENDOR_CATEGORIES);

export const PRICE_UNITS = ["per_person", "per_event", "per_hour", "per_day"] as const;
export const priceUnit = pgEnum("price_unit", PRICE_UNITS);

const catalogueWorkspaceId = () => uuid().references(() => workspaces.id, { onDelete: "cascade" });

export const venues = pgTable(
  "venues",
  {
    id: id(),
    workspaceId: catalogueWorkspaceId(),
    slug: text().notNull(),
    name: text().notNull(),
    kind: venueKind().notNull(),
    city: text().notNull(),
    countryCode: text().notNull(),
    timeZone: text().notNull(),
    address: text().notNull(),
    capacity: integer().notNull(),
    dayRateMinor: money().notNull(),
    currency: text().notNull(),
    amenities: text().array().notNull().default(sql`'{}'::text[]`),
    accessibility: text().array().notNull().default(sql`'{}'::text[]`),
    wheelchairAccessible: boolean().notNull().default(false),
    cateringInHouse: boolean().notNull().default(false),
    description: text().notNull().default(""),
    createdAt: createdAt(),
  },
  (t) => [
    unique("venues_workspace_slug_unique").on(t.workspaceId, t.slug).nullsNotDistinct(),
    index("venues_city_capacity_idx").on(sql`lower(${t.city})`, t.capacity),
    index("venues_workspace_idx").on(t.workspaceId),
    check("venues_capacity_positive", sql`${t.capacity} > 0`),
    check("venues_day_rate_non_negative", checks.nonNegative(t.dayRateMinor)),
    check("venues_currency_iso4217", checks.currency(t.currency)),
    check("venues_country_code_iso3166", checks.countryCode(t.countryCode)),
    check("venues_time_zone_iana", checks.timeZone(t.timeZone)),
  ],
);

export const vendors = pgTable(
  "vendors",
  {
    id: id(),
    workspaceId: catalogueWorkspaceId(),
    slug: text().notNull(),
    name: text().notNull(),
    category: vendorCategory().notNull(),
    city: text().notNull(),
    countryCode: text().notNull(),
    priceMinMinor: money().notNull(),
    priceMaxMinor: money().notNull(),
    currency: text().notNull(),
    priceUnit: priceUnit().notNull(),
    /** vegetarian, vegan, gluten_free, halal, kosher, nut_free, dairy_free … (catering mostly). */
    dietaryOptions: text().array().notNull().default(sql`'{}'::text[]`),
    services: text().array().notNull().default(sql`'{}'::text[]`),
    email: text(),
    phone: text(),
    rating: real(),
    description: text().notNull().default(""),
    createdAt: createdAt(),
  },
  (t) => [
    unique("vendors_workspace_slug_unique").on(t.workspaceId, t.slug).nullsNotDistinct(),
    index("vendors_city_category_idx").on(sql`lower(${t.city})`, t.category),
    index("vendors_workspace_idx").on(t.workspaceId),
    check("vendors_price_min_non_negative", checks.nonNegative(t.priceMinMinor)),
    check("vendors_price_range_ordered", sql`${t.priceMaxMinor} >= ${t.priceMinMinor}`),
    check("vendors_currency_iso4217", checks.currency(t.currency)),
    check("vendors_country_code_iso3166", checks.countryCode(t.countryCode)),
    check("vendors_phone_e164", checks.e164(t.phone)),
    check("vendors_email_format", checks.email(t.email)),
    check("vendors_rating_range", sql`${t.rating} between 0 and 5`),
  ],
);

export type Venue = typeof venues.$inferSelect;
export type NewVenue = typeof venues.$inferInsert;
export type Vendor = typeof vendors.$inferSelect;
export type NewVendor = typeof vendors.$inferInsert;
export type VenueKind = (typeof VENUE_KINDS)[number];
export type VendorCategory = (typeof VENDOR_CATEGORIES)[number];
export type PriceUnit = (typeof PRICE_UNITS)[number];
