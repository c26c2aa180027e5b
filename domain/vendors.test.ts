import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { VENDOR_CATEGORIES } from "../drizzle/schema/index.js";
import { CATALOGUE_VENDORS } from "../drizzle/seed/catalogue/vendors.js";
import { CATALOGUE_VENUES } from "../drizzle/seed/catalogue/venues.js";
import { E164_PATTERN } from "../lib/formats.js";
import { newWorkspaceContext } from "../test/context.js";
import { describeEachDriver } from "../test/db.js";
import { DIETARY_OPTIONS, createVendor, getVendor, searchVendors, vendorSearchQuery, type CreateVendorInput } from "./vendors.js";

const privateVendor: CreateVendorInput = {
  name: "Tia Rosa Petiscos",
  category: "catering",
  city: "Lisbon",
  countryCode: "PT",
  priceMinMinor: 1500,
  priceMaxMinor: 2500,
  currency: "EUR",
  priceUnit: "per_person",
  dietaryOptions: ["Vegan", "gluten-free", "kosher", "halal"],
  services: ["buffet"],
  email: "Rosa@TiaRosa.example",
  phone: "+351912345678",
  rating: 4.9,
};

describe("vendor catalogue data", () => {
  it("has ten vendors in every venue city, all categories, catering twice or more, and valid contacts", () => {
    const cities = new Set(CATALOGUE_VENUES.map((v) => v.city));
    expect(new Set(CATALOGUE_VENDORS.map((v) => v.slug)).size).toBe(CATALOGUE_VENDORS.length);
    for (const city of cities) {
      const local = CATALOGUE_VENDORS.filter((v) => v.city === city);
      expect(local, city).toHaveLength(10);
      expect(new Set(local.map((v) => v.category)), city).toEqual(new Set(VENDOR_CATEGORIES));
      expect(local.filter((v) => v.category === "catering").length, city).toBeGreaterThanOrEqual(2);
      const currency = CATALOGUE_VENUES.find((v) => v.city === city)?.currency;
      expect(local.every((v) => v.currency === currency), city).toBe(true);
    }
    for (const vendor of CATALOGUE_VENDORS) {
      expect(vendor.priceMaxMinor, vendor.slug).toBeGreaterThanOrEqual(vendor.priceMinMinor);
      expect(vendor.dietaryOptions?.filter((d) => !(DIETARY_OPTIONS as readonly string[]).includes(d)), vendor.slug).toEqual([]);
      expect(vendor.phone, vendor.slug).toMatch(E164_PATTERN);
      expect(vendor.email, vendor.slug).toMatch(/^[a-z0-9.]+@[a-z0-9-]+\.example$/);
      expect(vendor.rating, vendor.slug).toBeGreaterThanOrEqual(3.5);
      expect(vendor.rating, vendor.slug).toBeLessThanOrEqual(4.9);
    }
  });
});

describeEachDriver("vendors", (t) => {
  it("finds Lisbon caterers and narrows them by dietary needs", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const caterers = await searchVendors(ctx, { city: "LISBON", category: "catering" });
    expect(caterers.length).toBeGreaterThanOrEqual(2);
    expect(caterers.every((v) => v.city === "Lisbon" && v.category === "catering" && v.priceUnit === "per_person")).toBe(true);
    const ratings = caterers.map((v) => v.rating ?? 0);
    expect(ratings).toEqual([...ratings].sort((a, b) => b - a));

    const vegan = await searchVendors(ctx, { city: "Lisbon", category: "catering", dietary: ["vegan"] });
    expect(vegan.length).toBeGreaterThan(0);
    expect(vegan.length).toBeLessThan(caterers.length);
    expect(vegan.every((v) => v.dietaryOptions.includes("vegan"))).toBe(true);

    const veganHalal = await searchVendors(ctx, { city: "Lisbon", dietary: ["vegan", "Halal"] });
    expect(veganHalal.length).toBeGreaterThan(0);
    expect(veganHalal.length).toBeLessThanOrEqual(vegan.length);
    expect(veganHalal.every((v) => v.dietaryOptions.includes("vegan") && v.dietaryOptions.includes("halal"))).toBe(true);

    expect(await searchVendors(ctx, { city: "Lisbon", dietary: ["kosher"] })).toEqual([]);
    expect((await searchVendors(ctx, { dietary: ["kosher"] })).length).toBeGreaterThan(0);
  });

  it("covers every category in every city", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const all = await searchVendors(ctx, { limit: 200 });
    expect(all).toHaveLength(100);
    const byCity = new Map<string, Set<string>>();
    for (const vendor of all) byCity.set(vendor.city, (byCity.get(vendor.city) ?? new Set()).add(vendor.category));
    expect(byCity.size).toBe(10);
    for (const categories of byCity.values()) expect(categories.size).toBe(VENDOR_CATEGORIES.length);
  });

  it("filters by price in a currency and by category", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const cheap = await searchVendors(ctx, { category: "catering", maxPriceMinor: 3000, currency: "EUR" });
    expect(cheap.length).toBeGreaterThan(0);
    expect(cheap.every((v) => v.priceMinMinor <= 3000 && v.currency === "EUR" && v.category === "catering")).toBe(true);

    const tokyoAv = await searchVendors(ctx, { city: "Tokyo", category: "av" });
    expect(tokyoAv.length).toBeGreaterThan(0);
    expect(tokyoAv.every((v) => v.currency === "JPY" && v.priceUnit === "per_day" && v.countryCode === "JP")).toBe(true);
  });

  it("looks cities up through vendors_city_category_idx", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const plan = await t().db.transaction(async (tx) => {
      // A hundred rows are cheaper to scan; with scans priced out the planner shows whether the index can serve the filter.
      await tx.execute(sql`set local enable_seqscan = off`);
      const result = await tx.execute(sql`explain ${vendorSearchQuery({ ...ctx, db: tx }, { city: "Berlin", category: "catering" }).getSQL()}`);
      return JSON.stringify((result as { rows: unknown[] }).rows);
    });
    expect(plan).toContain("vendors_city_category_idx");
  });

  it("refuses bad input naming the field", async () => {
    const ctx = await newWorkspaceContext(t().db);
    await expect(searchVendors(ctx, { dietary: ["pescatarian"] })).rejects.toMatchObject({ code: "validation_failed", details: { field: "dietary.0" } });
    await expect(searchVendors(ctx, { maxPriceMinor: 5000 })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(searchVendors(ctx, { maxPriceMinor: -1, currency: "EUR" })).rejects.toMatchObject({ details: { field: "maxPriceMinor" } });
    await expect(searchVendors(ctx, { category: "florist" as "decor" })).rejects.toMatchObject({ details: { field: "category" } });
    await expect(createVendor(ctx, { ...privateVendor, priceMaxMinor: 1000 })).rejects.toMatchObject({ details: { field: "priceMaxMinor" } });
    await expect(createVendor(ctx, { ...privateVendor, priceMinMinor: 12.5 })).rejects.toMatchObject({ details: { field: "priceMinMinor" } });
    await expect(createVendor(ctx, { ...privateVendor, phone: "21 234 5678" })).rejects.toMatchObject({ details: { field: "phone" } });
    await expect(createVendor(ctx, { ...privateVendor, email: "rosa at tiarosa" })).rejects.toMatchObject({ details: { field: "email" } });
    await expect(createVendor(ctx, { ...privateVendor, rating: 7 })).rejects.toMatchObject({ details: { field: "rating" } });
    await expect(createVendor(ctx, { ...privateVendor, currency: "XYZ" })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(createVendor(ctx, { ...privateVendor, priceUnit: "per_guest" as "per_person" })).rejects.toMatchObject({ details: { field: "priceUnit" } });
    await expect(getVendor(ctx, "42")).rejects.toMatchObject({ code: "validation_failed" });
  });

  it("keeps a workspace's private vendors to itself while both see the shared catalogue", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const secret = await createVendor(b, privateVendor);
    expect(secret).toMatchObject({
      slug: "lisbon-tia-rosa-petiscos",
      workspaceId: b.workspaceId,
      email: "rosa@tiarosa.example",
      dietaryOptions: ["vegan", "gluten_free", "kosher", "halal"],
    });
    await expect(createVendor(b, privateVendor)).rejects.toMatchObject({ code: "conflict", details: { field: "slug" } });

    const kosherForB = await searchVendors(b, { city: "Lisbon", dietary: ["kosher"] });
    expect(kosherForB.map((v) => v.id)).toEqual([secret.id]);
    expect(await searchVendors(a, { city: "Lisbon", dietary: ["kosher"] })).toEqual([]);
    expect((await searchVendors(a, { city: "Lisbon", limit: 200 })).map((v) => v.id)).not.toContain(secret.id);

    await expect(getVendor(a, secret.id)).rejects.toMatchObject({ code: "not_found", details: { entity: "vendor" } });
    expect((await getVendor(b, secret.id)).name).toBe("Tia Rosa Petiscos");
    const [shared] = await searchVendors(a, { city: "Lisbon", category: "catering" });
    if (!shared) throw new Error("no shared vendor found");
    expect((await getVendor(b, shared.id)).workspaceId).toBeNull();
  });
});
