import type { CatalogueVendor } from "./types.js";

export const CATALOGUE_VENDORS: CatalogueVendor[] = [
  {
    slug: "lisbon-verde-mesa-catering",
    name: "Verde Mesa Catering",
    category: "catering",
    city: "Lisbon",
    countryCode: "PT",
    priceMinMinor: 3500,
    priceMaxMinor: 7500,
    currency: "EUR",
    priceUnit: "per_person",
    dietaryOptions: ["vegetarian", "vegan", "gluten_free"],
    services: ["buffet", "plated_dinner", "coffee_breaks"],
    email: "events@verdemesa.example",
    phone: "+351210000101",
    rating: 4.6,
    description: "Seasonal Portuguese menus with a strong vegetarian line.",
  },
];
