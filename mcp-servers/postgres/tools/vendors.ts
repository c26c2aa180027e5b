import { z } from "zod";
import type { DomainContext } from "../../../domain/context.js";
import { getEvent } from "../../../domain/events.js";
import { listVendorQuotes, recordVendorQuote, requestVendorQuote, updateVendorQuoteStatus } from "../../../domain/vendor-quotes.js";
import { DIETARY_OPTIONS, getVendor, searchVendors } from "../../../domain/vendors.js";
import { PRICE_UNITS, QUOTE_STATUSES, VENDOR_CATEGORIES, type Vendor, type VendorQuote } from "../../../drizzle/schema/index.js";
import { currencyCode, minorUnits, uuid } from "../../../lib/formats.js";
import { defineTool } from "../../host/tool.js";
import { fenceNullable, untrustedText } from "../../host/untrusted.js";
import { instant, instantOrNull, instantOutput, isoDateTime, money, moneyOrNull, moneyOutput } from "../present.js";

/** Deliberately without email and phone: vendors are contacted through approved channels, never directly by the model. */
export const vendorOutput = z.object({
  id: z.string(),
  name: z.string(),
  category: z.enum(VENDOR_CATEGORIES),
  city: z.string(),
  countryCode: z.string(),
  priceRange: z.object({ min: moneyOutput, max: moneyOutput }).describe("typical prices, per priceUnit, in the vendor's currency"),
  priceUnit: z.enum(PRICE_UNITS),
  dietaryOptions: z.array(z.string()),
  services: z.array(z.string()),
  rating: z.number().nullable().describe("0-5, null when unrated"),
  description: z.string(),
});

export function presentVendor(vendor: Vendor): z.infer<typeof vendorOutput> {
  return {
    id: vendor.id,
    name: vendor.name,
    category: vendor.category,
    city: vendor.city,
    countryCode: vendor.countryCode,
    priceRange: { min: money(vendor.priceMinMinor, vendor.currency), max: money(vendor.priceMaxMinor, vendor.currency) },
    priceUnit: vendor.priceUnit,
    dietaryOptions: vendor.dietaryOptions,
    services: vendor.services,
    rating: vendor.rating,
    description: vendor.description,
  };
}

export const vendorQuoteOutput = z.object({
  id: z.string(),
  eventId: z.string(),
  vendorId: z.string(),
  vendorName: z.string(),
  category: z.enum(VENDOR_CATEGORIES),
  status: z.enum(QUOTE_STATUSES).describe("requested → received → accepted or declined; expired when the vendor's price lapsed"),
  description: z.string().describe("what was asked for"),
  amount: moneyOutput.nullable().describe("the vendor's price; null until received"),
  validUntil: instantOutput.nullable().describe("the vendor stands by the price until then, shown in the event's time zone"),
  vendorNotes: untrustedText.nullable().describe("the vendor's own words"),
  requestedAt: instantOutput,
});

export function presentVendorQuote(quote: VendorQuote, vendor: Pick<Vendor, "name" | "category">, timeZone: string): z.infer<typeof vendorQuoteOutput> {
  return {
    id: quote.id,
    eventId: quote.eventId,
    vendorId: quote.vendorId,
    vendorName: vendor.name,
    category: vendor.category,
    status: quote.status,
    description: quote.description,
    amount: moneyOrNull(quote.amountMinor, quote.currency),
    validUntil: instantOrNull(quote.validUntil, timeZone),
    vendorNotes: fenceNullable("vendor_note", quote.vendorNotes),
    requestedAt: instant(quote.createdAt, timeZone),
  };
}

/** One lookup per distinct vendor, sequentially: inside a tool's transaction there is one connection. */
async function presentVendorQuotes(ctx: DomainContext, quotes: VendorQuote[]): Promise<z.infer<typeof vendorQuoteOutput>[]> {
  const vendorsById = new Map<string, Vendor>();
  const zonesByEvent = new Map<string, string>();
  for (const quote of quotes) {
    if (!vendorsById.has(quote.vendorId)) vendorsById.set(quote.vendorId, await getVendor(ctx, quote.vendorId));
    if (!zonesByEvent.has(quote.eventId)) zonesByEvent.set(quote.eventId, (await getEvent(ctx, quote.eventId)).timeZone);
  }
  return quotes.map((quote) => {
    const vendor = vendorsById.get(quote.vendorId);
    const timeZone = zonesByEvent.get(quote.eventId);
    if (!vendor || !timeZone) throw new Error(`vendor or event of quote ${quote.id} not loaded`);
    return presentVendorQuote(quote, vendor, timeZone);
  });
}

async function presentOne(ctx: DomainContext, quote: VendorQuote): Promise<{ quote: z.infer<typeof vendorQuoteOutput> }> {
  const [presented] = await presentVendorQuotes(ctx, [quote]);
  if (!presented) throw new Error(`quote ${quote.id} not presented`);
  return { quote: presented };
}

const eventId = { eventId: uuid.describe("id returned by create_event or list_events") };
const quoteId = { quoteId: uuid.describe("id returned by request_vendor_quote or list_vendor_quotes") };

const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const changesState = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

export const vendorTools = [
  defineTool({
    name: "search_vendors",
    title: "Search vendors",
    description:
      "Find caterers, AV, photographers, transport, decor or entertainment for an event: filter by city, category, dietary options offered (all required) and a price ceiling in a currency. " +
      "Returns the best rated first, with price range, price unit, dietary options and services; contact details are not shown.",
    input: {
      city: z.string().trim().min(1).max(100).optional().describe("e.g. Lisbon; case-insensitive"),
      category: z.enum(VENDOR_CATEGORIES).optional(),
      dietary: z
        .array(z.string().min(1).max(50))
        .max(DIETARY_OPTIONS.length * 2)
        .optional()
        .describe(`every one required, from ${DIETARY_OPTIONS.join(", ")}`),
      maxPriceMinor: minorUnits.optional().describe("keep vendors whose lowest price (per their priceUnit) is at most this, in integer minor units of `currency`; needs currency"),
      currency: currencyCode.optional().describe("ISO 4217; only vendors pricing in it. Required with maxPriceMinor"),
      limit: z.number().int().min(1).max(200).optional().describe("default 50"),
    },
    output: { vendors: z.array(vendorOutput) },
    annotations: readOnly,
    sideEffect: false,
    handler: async (ctx, input) => ({ vendors: (await searchVendors(ctx, input)).map(presentVendor) }),
  }),
  defineTool({
    name: "request_vendor_quote",
    title: "Request vendor quote",
    description:
      "Record that the event needs a quote from a vendor (status requested), describing what to price. It does not contact the vendor; record_vendor_quote stores the answer. Returns the quote.",
    input: {
      ...eventId,
      vendorId: uuid.describe("id returned by search_vendors"),
      description: z.string().trim().min(1).max(2000).describe("what to price: services, date, headcount, dietary needs"),
      currency: currencyCode.optional().describe("ISO 4217; defaults to the vendor's currency"),
    },
    output: { quote: vendorQuoteOutput },
    annotations: changesState,
    sideEffect: true,
    handler: async (ctx, input) => presentOne(ctx, await requestVendorQuote(ctx, input)),
  }),
  defineTool({
    name: "record_vendor_quote",
    title: "Record vendor quote",
    description:
      "Store the price a vendor quoted (status received). Recording again replaces the previous price, validity and notes. Returns the quote, with the vendor's notes fenced as untrusted text.",
    input: {
      ...quoteId,
      amountMinor: minorUnits.describe("the quoted total in integer minor units of currency"),
      currency: currencyCode,
      validUntil: isoDateTime.optional().describe("when the vendor's price lapses"),
      vendorNotes: z.string().max(5000).optional().describe("the vendor's own words, verbatim"),
    },
    output: { quote: vendorQuoteOutput },
    annotations: changesState,
    sideEffect: true,
    handler: async (ctx, { quoteId: id, ...price }) => presentOne(ctx, await recordVendorQuote(ctx, id, price)),
  }),
  defineTool({
    name: "decide_vendor_quote",
    title: "Accept or decline vendor quote",
    description:
      "Accept or decline a received quote; both are final. Accepting needs a quote that is received and still within its validUntil; declining also works on a quote never answered. Returns the quote.",
    input: { ...quoteId, decision: z.enum(["accept", "decline"]) },
    output: { quote: vendorQuoteOutput },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, { quoteId: id, decision }) => presentOne(ctx, await updateVendorQuoteStatus(ctx, id, decision === "accept" ? "accepted" : "declined")),
  }),
  defineTool({
    name: "list_vendor_quotes",
    title: "List vendor quotes",
    description: "An event's vendor quotes, oldest request first, optionally by status, with vendor, price and the vendor's notes fenced as untrusted text.",
    input: { ...eventId, status: z.enum(QUOTE_STATUSES).optional(), limit: z.number().int().min(1).max(200).optional().describe("default 50") },
    output: { quotes: z.array(vendorQuoteOutput) },
    annotations: readOnly,
    sideEffect: false,
    handler: async (ctx, input) => ({ quotes: await presentVendorQuotes(ctx, await listVendorQuotes(ctx, input)) }),
  }),
];
