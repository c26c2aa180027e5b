/**
 * The parts of tool results the offline planner reads, checked with zod rather than trusted: a
 * server that answers in another shape makes the planner say it could not read the answer, never
 * act on a guess. Loose objects, so fields the planner does not use may come and go.
 */
import { z } from "zod";
import type { CallRecord } from "./transcript.js";

export const moneySchema = z.looseObject({ amountMinor: z.number().int(), currency: z.string() });
export type Money = z.infer<typeof moneySchema>;

const instantSchema = z.looseObject({ utc: z.string(), local: z.string() });

export const venueSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  city: z.string(),
  countryCode: z.string(),
  address: z.string(),
  timeZone: z.string(),
  capacity: z.number().int(),
  dayRate: moneySchema,
  accessibility: z.array(z.string()),
  cateringInHouse: z.boolean(),
});
export type Venue = z.infer<typeof venueSchema>;

export const vendorSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  category: z.string(),
  priceRange: z.looseObject({ min: moneySchema }),
  priceUnit: z.string(),
  dietaryOptions: z.array(z.string()),
});
export type Vendor = z.infer<typeof vendorSchema>;

export const venuesResult = z.looseObject({ venues: z.array(venueSchema) });
export const vendorsResult = z.looseObject({ vendors: z.array(vendorSchema) });
export const eventResult = z.looseObject({
  event: z.looseObject({ id: z.string(), title: z.string(), timeZone: z.string(), startsAt: instantSchema, endsAt: instantSchema, currency: z.string() }),
});
export type CreatedEvent = z.infer<typeof eventResult>["event"];
export const availabilityResult = z.looseObject({ venueId: z.string(), available: z.boolean() });
export const bookingResult = z.looseObject({
  booking: z.looseObject({ id: z.string(), venueId: z.string(), venueName: z.string(), status: z.string(), startsAt: instantSchema, endsAt: instantSchema, price: moneySchema }),
});
export type Booking = z.infer<typeof bookingResult>["booking"];
export const tasksResult = z.looseObject({ tasks: z.array(z.looseObject({ title: z.string(), dueAt: instantSchema.nullable() })) });
export const guestsResult = z.looseObject({ guests: z.array(z.looseObject({ id: z.string(), name: z.string() })) });
export const invitationsResult = z.looseObject({
  sent: z.number().int(),
  skipped: z.number().int(),
  results: z.array(z.looseObject({ name: z.string(), status: z.string(), reason: z.string().nullable(), detail: z.string().nullable().optional() })),
});
export const documentResult = z.looseObject({ document: z.looseObject({ id: z.string(), title: z.string(), webViewLink: z.string() }) });
export const messageResult = z.looseObject({ message: z.looseObject({ channel: z.looseObject({ name: z.string() }), ts: z.string() }) });
export const calendarResult = z.looseObject({ event: z.looseObject({ id: z.string(), htmlLink: z.string().nullable() }) });
export const paymentResult = z.looseObject({ payment: z.looseObject({ id: z.string(), status: z.string(), amount: moneySchema }) });

/** A call's structured result, or undefined when it failed or came back in another shape. */
export function valueOf<T>(call: CallRecord | undefined, schema: z.ZodType<T>): T | undefined {
  if (call?.outcome?.ok !== true) return undefined;
  const parsed = schema.safeParse(call.outcome.value);
  return parsed.success ? parsed.data : undefined;
}

/** Why a call did not give a usable result, in words for the summary. */
export function failureOf(call: CallRecord, schema: z.ZodType): string | undefined {
  if (call.outcome === undefined) return "no result came back";
  if (!call.outcome.ok) return declinedWords(call.outcome.declined) ?? call.outcome.error;
  return schema.safeParse(call.outcome.value).success ? undefined : "its result was not in the expected shape";
}

export function declinedWords(declined: "rejected" | "expired" | undefined): string | undefined {
  if (declined === "rejected") return "a person rejected it, so it was not made";
  if (declined === "expired") return "nobody approved it in time, so it was not made";
  return undefined;
}
