import { z } from "zod";
import { createEvent, getEventDetails, listEvents, updateEvent } from "../../../domain/events.js";
import { EVENT_KINDS, EVENT_STATUSES, type Event } from "../../../drizzle/schema/index.js";
import { countryCode, currencyCode, minorUnits, timeZone, uuid } from "../../../lib/formats.js";
import { defineTool } from "../../host/tool.js";
import { instant, instantOrNull, instantOutput, isoDateTime, money, moneyOrNull, moneyOutput } from "../present.js";

const requirements = z
  .object({
    dietary: z.array(z.string().min(1).max(50)).max(20).optional().describe("e.g. vegetarian, vegan, gluten_free, halal"),
    accessibility: z.array(z.string().min(1).max(50)).max(20).optional().describe("e.g. step_free_access, hearing_loop"),
    notes: z.string().max(2000).optional(),
  })
  .strict();

export const eventOutput = z.object({
  id: z.string(),
  title: z.string(),
  kind: z.enum(EVENT_KINDS),
  status: z.enum(EVENT_STATUSES),
  city: z.string().nullable(),
  countryCode: z.string().nullable(),
  timeZone: z.string(),
  startsAt: instantOutput.nullable(),
  endsAt: instantOutput.nullable(),
  headcount: z.number().int(),
  budget: moneyOutput.nullable(),
  currency: z.string(),
  requirements,
});

export function presentEvent(event: Event): z.infer<typeof eventOutput> {
  return {
    id: event.id,
    title: event.title,
    kind: event.kind,
    status: event.status,
    city: event.city,
    countryCode: event.countryCode,
    timeZone: event.timeZone,
    startsAt: instantOrNull(event.startsAt, event.timeZone),
    endsAt: instantOrNull(event.endsAt, event.timeZone),
    headcount: event.headcount,
    budget: moneyOrNull(event.budgetMinor, event.currency),
    currency: event.currency,
    requirements: event.requirements,
  };
}

const eventFields = {
  title: z.string().min(1).max(200).describe("short name, e.g. 'Engineering offsite Lisbon'"),
  kind: z.enum(EVENT_KINDS).describe("what sort of event"),
  city: z.string().min(1).max(100).optional(),
  countryCode: countryCode.optional().describe("ISO 3166 alpha-2, e.g. PT"),
  timeZone: timeZone.describe("IANA zone of the venue's city, e.g. Europe/Lisbon; all times are shown in it"),
  startsAt: isoDateTime.optional(),
  endsAt: isoDateTime.optional(),
  headcount: z.number().int().min(1).max(100_000).describe("expected attendees"),
  budgetMinor: minorUnits.optional().describe("total budget in integer minor units of `currency` (EUR 30,000 = 3000000)"),
  currency: currencyCode.describe("ISO 4217, the currency of the budget and every budget line"),
  requirements: requirements.optional(),
};

const eventId = { eventId: uuid.describe("id returned by create_event or list_events") };

export const eventTools = [
  defineTool({
    name: "create_event",
    title: "Create event",
    description:
      "Create an event record (status draft) from what the requester asked for. Use the city's IANA time zone and the budget in integer minor units. Returns the event with its id; every other event tool takes that id.",
    input: eventFields,
    output: { event: eventOutput },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, input) => ({ event: presentEvent(await createEvent(ctx, input)) }),
  }),
  defineTool({
    name: "update_event",
    title: "Update event",
    description: "Change an event's fields (dates, headcount, budget, status …). Only the fields given change. Moving dates does not move bookings: check availability again.",
    input: { ...eventId, ...z.object(eventFields).partial().shape, status: z.enum(EVENT_STATUSES).optional() },
    output: { event: eventOutput },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, { eventId: id, ...patch }) => ({ event: presentEvent(await updateEvent(ctx, id, patch)) }),
  }),
  defineTool({
    name: "get_event",
    title: "Get event with its plan",
    description: "One event with everything planned so far: venue bookings, vendor quotes, guest counts by RSVP, tasks and budget lines.",
    input: eventId,
    output: {
      event: eventOutput,
      venueBookings: z.array(z.object({ id: z.string(), venueId: z.string(), venueName: z.string(), status: z.string(), startsAt: instantOutput, endsAt: instantOutput, price: moneyOutput })),
      vendorQuotes: z.array(z.object({ id: z.string(), vendorId: z.string(), vendorName: z.string(), category: z.string(), status: z.string(), amount: moneyOutput.nullable() })),
      guests: z.object({ total: z.number().int(), byRsvp: z.record(z.string(), z.number().int()) }),
      tasks: z.array(z.object({ id: z.string(), title: z.string(), status: z.string(), dueAt: instantOutput.nullable() })),
      budgetLines: z.array(z.object({ id: z.string(), category: z.string(), description: z.string(), planned: moneyOutput, committed: moneyOutput })),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: false,
    handler: async (ctx, { eventId: id }) => {
      const details = await getEventDetails(ctx, id);
      const tz = details.timeZone;
      const byRsvp: Record<string, number> = {};
      for (const guest of details.guests) byRsvp[guest.rsvpStatus] = (byRsvp[guest.rsvpStatus] ?? 0) + 1;
      return {
        event: presentEvent(details),
        venueBookings: details.venueBookings.map((b) => ({ id: b.id, venueId: b.venueId, venueName: b.venue.name, status: b.status, startsAt: instant(b.startsAt, tz), endsAt: instant(b.endsAt, tz), price: money(b.priceMinor, b.currency) })),
        vendorQuotes: details.vendorQuotes.map((q) => ({ id: q.id, vendorId: q.vendorId, vendorName: q.vendor.name, category: q.vendor.category, status: q.status, amount: moneyOrNull(q.amountMinor, q.currency) })),
        guests: { total: details.guests.length, byRsvp },
        tasks: details.tasks.map((t) => ({ id: t.id, title: t.title, status: t.status, dueAt: instantOrNull(t.dueAt, tz) })),
        budgetLines: details.budgetLines.map((l) => ({ id: l.id, category: l.category, description: l.description, planned: money(l.plannedMinor, l.currency), committed: money(l.committedMinor, l.currency) })),
      };
    },
  }),
  defineTool({
    name: "list_events",
    title: "List events",
    description: "The workspace's events, newest first, optionally filtered by status. Use it to find an event the requester refers to.",
    input: { status: z.enum(EVENT_STATUSES).optional(), limit: z.number().int().min(1).max(200).optional() },
    output: { events: z.array(eventOutput) },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: false,
    handler: async (ctx, input) => ({ events: (await listEvents(ctx, input)).map(presentEvent) }),
  }),
];
