import { and, arrayContains, asc, eq, lte, sql } from "drizzle-orm";
import { z } from "zod";
import { vendors, type Vendor } from "../drizzle/schema/index.js";
import { NotFoundError } from "../lib/errors.js";
import { countryCode, currencyCode, e164Phone, email, minorUnits, uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { pageSize } from "./scope.js";
import { catalogueSlug, catalogueTagList, rethrowSlugConflict, slugFor, visibleCatalogueRow, visibleCatalogueRows } from "./catalogue.js";
import { createInsertSchema } from "./zod.js";

/** Closed vocabulary, so a search for "vegan" cannot miss a vendor that wrote "Vegan options". */
export const DIETARY_OPTIONS = ["vegetarian", "vegan", "gluten_free", "halal", "kosher", "nut_free", "dairy_free"] as const;
export type DietaryOption = (typeof DIETARY_OPTIONS)[number];

/** Accepts "Gluten-free" or "gluten free" as well as gluten_free: models and people write all three. */
export const dietaryOption = z
  .string()
  .trim()
  .toLowerCase()
  .transform((value) => value.replace(/[\s-]+/g, "_"))
  .pipe(z.enum(DIETARY_OPTIONS));

const dietaryList = z
  .array(dietaryOption)
  .max(DIETARY_OPTIONS.length * 2)
  .transform((values) => [...new Set(values)]);

const vendorFields = createInsertSchema(vendors, {
  slug: catalogueSlug.optional(),
  name: (s) => s.trim().min(1, { error: "must not be empty" }).max(200),
  city: (s) => s.trim().min(1, { error: "must not be empty" }).max(100),
  countryCode,
  priceMinMinor: minorUnits,
  priceMaxMinor: minorUnits,
  currency: currencyCode,
  dietaryOptions: dietaryList.optional(),
  services: catalogueTagList.optional(),
  email: email.nullish(),
  phone: e164Phone.nullish(),
  rating: z.number().min(0, { error: "must be between 0 and 5" }).max(5, { error: "must be between 0 and 5" }).nullish(),
  // A schema rather than a refining callback: drizzle-zod types a refined defaulted column as required.
  description: z.string().trim().max(2000).optional(),
}).omit({ id: true, workspaceId: true, createdAt: true });

export const createVendorInput = vendorFields
  .strict()
  .refine((v) => v.priceMaxMinor >= v.priceMinMinor, { path: ["priceMaxMinor"], error: "must not be below priceMinMinor" });
export type CreateVendorInput = z.input<typeof createVendorInput>;

export const searchVendorsInput = vendorFields
  .pick({ city: true, category: true, currency: true })
  .partial()
  .extend({
    dietary: dietaryList.optional(),
    maxPriceMinor: minorUnits.optional(),
    limit: z.number().int().positive().optional(),
  })
  .strict()
  // Prices are in each vendor's local currency: a bare number would compare yen with euros.
  .refine((v) => v.maxPriceMinor === undefined || v.currency !== undefined, { path: ["currency"], error: "is required with maxPriceMinor" });
export type SearchVendorsInput = z.input<typeof searchVendorsInput>;

/**
 * Vendors visible to the workspace, best rated first. `dietary` lists what the vendor must offer
 * (all of it); `maxPriceMinor` keeps vendors whose cheapest price is within it, in `currency`.
 */
export async function searchVendors(ctx: DomainContext, input: SearchVendorsInput = {}): Promise<Vendor[]> {
  return vendorSearchQuery(ctx, input);
}

/** The query behind searchVendors, unexecuted, so a test can EXPLAIN it. */
export function vendorSearchQuery(ctx: DomainContext, input: SearchVendorsInput = {}) {
  const filters = parseInput(searchVendorsInput, input);
  return ctx.db
    .select()
    .from(vendors)
    .where(
      and(
        visibleCatalogueRows(vendors, ctx),
        // Same expression as vendors_city_category_idx, so the index serves the lookup.
        filters.city !== undefined ? sql`lower(${vendors.city}) = lower(${filters.city})` : undefined,
        filters.category !== undefined ? eq(vendors.category, filters.category) : undefined,
        filters.currency !== undefined ? eq(vendors.currency, filters.currency) : undefined,
        filters.maxPriceMinor !== undefined ? lte(vendors.priceMinMinor, filters.maxPriceMinor) : undefined,
        filters.dietary?.length ? arrayContains(vendors.dietaryOptions, filters.dietary) : undefined,
      ),
    )
    .orderBy(sql`${vendors.rating} desc nulls last`, asc(vendors.priceMinMinor), asc(vendors.name), asc(vendors.id))
    .limit(pageSize(filters.limit));
}

export async function getVendor(ctx: DomainContext, id: string): Promise<Vendor> {
  const [row] = await ctx.db.select().from(vendors).where(visibleCatalogueRow(vendors, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("vendor", id);
  return row;
}

/** A private vendor, visible to this workspace alone. */
export async function createVendor(ctx: DomainContext, input: CreateVendorInput): Promise<Vendor> {
  const values = parseInput(createVendorInput, input);
  const slug = values.slug ?? slugFor(values.city, values.name);
  try {
    const [row] = await ctx.db
      .insert(vendors)
      .values({ ...values, slug, workspaceId: ctx.workspaceId })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return row;
  } catch (error) {
    rethrowSlugConflict(error, "vendor", slug);
  }
}
