import type { CatalogueVenue } from "./types.js";

export const CATALOGUE_VENUES: CatalogueVenue[] = [
  {
    slug: "lisbon-tagus-riverside-hall",
    name: "Tagus Riverside Hall",
    kind: "conference_center",
    city: "Lisbon",
    countryCode: "PT",
    timeZone: "Europe/Lisbon",
    address: "Avenida Ribeira das Naus 12, 1100-038 Lisboa",
    capacity: 120,
    dayRateMinor: 650000,
    currency: "EUR",
    amenities: ["projector", "wifi", "breakout_rooms", "river_view"],
    accessibility: ["step_free_access", "accessible_toilets", "lift"],
    wheelchairAccessible: true,
    cateringInHouse: true,
    description: "Converted warehouse on the river with a main hall and four breakout rooms.",
  },
];
