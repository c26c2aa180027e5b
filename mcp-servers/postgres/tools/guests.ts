import { z } from "zod";
import { getEvent } from "../../../domain/events.js";
import { MAX_GUESTS_PER_CALL, RSVP_ANSWERS, addGuests, listGuests, recordRsvp, rsvpCounts } from "../../../domain/guests.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../../domain/scope.js";
import { RSVP_STATUSES, type Guest } from "../../../drizzle/schema/index.js";
import { e164Phone, email, uuid } from "../../../lib/formats.js";
import { defineTool } from "../../host/tool.js";
import { fenceNullable, untrustedText } from "../../host/untrusted.js";
import { instantOrNull, instantOutput } from "../present.js";

/** Guests write their notes themselves (SMS replies), so they always leave this module fenced. */
const GUEST_NOTES_SOURCE = "guest_sms";

const needs = (example: string) =>
  z
    .array(z.string().trim().min(1, { error: "must not be empty" }).max(100))
    .max(20)
    .describe(`free-text needs, e.g. ${example}`);

const plusOnes = z
  .number({ error: "must be a number" })
  .int({ error: "must be a whole number" })
  .min(0, { error: "must not be negative" })
  .max(10, { error: "must be at most 10" })
  .describe("extra people the guest brings, 0-10");

const newGuest = z
  .object({
    name: z.string().trim().min(1, { error: "must not be empty" }).max(200).describe("full name"),
    email: email.optional(),
    phone: e164Phone.optional().describe("E.164 with country code, e.g. +351912345678; needed for SMS invitations"),
    dietary: needs("vegetarian, gluten_free").optional(),
    accessibility: needs("wheelchair, hearing_loop").optional(),
    plusOnes: plusOnes.optional(),
  })
  .strict();

export const guestOutput = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable().describe("E.164, as stored"),
  rsvpStatus: z.enum(RSVP_STATUSES),
  dietary: z.array(z.string()),
  accessibility: z.array(z.string()),
  plusOnes: z.number().int(),
  notes: untrustedText.nullable().describe("what the guest wrote, e.g. in an SMS reply"),
  invitedAt: instantOutput.nullable(),
  respondedAt: instantOutput.nullable(),
});

export function presentGuest(guest: Guest, timeZone: string): z.infer<typeof guestOutput> {
  return {
    id: guest.id,
    name: guest.name,
    email: guest.email,
    phone: guest.phone,
    rsvpStatus: guest.rsvpStatus,
    dietary: guest.dietary,
    accessibility: guest.accessibility,
    plusOnes: guest.plusOnes,
    notes: fenceNullable(GUEST_NOTES_SOURCE, guest.notes),
    invitedAt: instantOrNull(guest.invitedAt, timeZone),
    respondedAt: instantOrNull(guest.respondedAt, timeZone),
  };
}

const eventId = { eventId: uuid.describe("id returned by create_event or list_events") };

export const guestTools = [
  defineTool({
    name: "add_guests",
    title: "Add guests",
    description:
      "Add up to 500 people to an event's guest list in one call, all or none; each needs an email or an E.164 phone, unique within the event. Returns the new guests' ids (in the order given, status not_invited) and how many were added.",
    input: {
      ...eventId,
      guests: z
        .array(newGuest)
        .min(1, { error: "must list at least one guest" })
        .max(MAX_GUESTS_PER_CALL, { error: `must list at most ${MAX_GUESTS_PER_CALL} guests per call` }),
    },
    output: {
      count: z.number().int(),
      guests: z.array(z.object({ id: z.string(), name: z.string(), rsvpStatus: z.enum(RSVP_STATUSES) })),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, { eventId: id, guests }) => {
      const added = await addGuests(ctx, id, guests);
      // The caller already has the contact details it sent; echoing them back only widens exposure.
      return { count: added.length, guests: added.map((g) => ({ id: g.id, name: g.name, rsvpStatus: g.rsvpStatus })) };
    },
  }),
  defineTool({
    name: "list_guests",
    title: "List guests",
    description:
      "An event's guests by name with contact details, RSVP status, needs and notes, optionally only one RSVP status; page with limit/offset. Use it to pick who to invite or chase. Guest notes are the guests' own words, fenced as untrusted.",
    input: {
      ...eventId,
      rsvpStatus: z.enum(RSVP_STATUSES).optional(),
      limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional().describe(`page size, default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}`),
      offset: z.number().int().min(0).optional(),
    },
    output: {
      guests: z.array(guestOutput),
      nextOffset: z.number().int().nullable().describe("offset for the next page; null when this page came back short, i.e. it is the last"),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: false,
    handler: async (ctx, input) => {
      const event = await getEvent(ctx, input.eventId);
      const guests = await listGuests(ctx, input);
      const limit = input.limit ?? DEFAULT_PAGE_SIZE;
      return {
        guests: guests.map((g) => presentGuest(g, event.timeZone)),
        nextOffset: guests.length === limit ? (input.offset ?? 0) + limit : null,
      };
    },
  }),
  defineTool({
    name: "record_rsvp",
    title: "Record RSVP",
    description:
      "Record a guest's answer (accepted, declined or tentative), with any dietary needs, plus-ones and notes they gave; a new answer replaces the earlier one. Returns the updated guest.",
    input: {
      guestId: uuid.describe("id from add_guests or list_guests"),
      status: z.enum(RSVP_ANSWERS, { error: "must be accepted, declined or tentative" }),
      dietary: needs("vegan, nut_allergy").optional().describe("replaces the guest's dietary needs"),
      plusOnes: plusOnes.optional(),
      notes: z.string().max(2000).optional().describe("the guest's own words, e.g. from their SMS; shown back fenced as untrusted"),
    },
    output: { guest: guestOutput },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, { guestId, ...answer }) => {
      const guest = await recordRsvp(ctx, guestId, answer);
      const event = await getEvent(ctx, guest.eventId);
      return { guest: presentGuest(guest, event.timeZone) };
    },
  }),
  defineTool({
    name: "guest_summary",
    title: "Guest summary",
    description:
      "RSVP counts for an event, the expected headcount (accepted guests plus their plus-ones) against the headcount the event is planned for, and the dietary needs of accepted guests. Use it before confirming catering or venue size.",
    input: eventId,
    output: {
      eventId: z.string(),
      counts: z.record(z.enum(RSVP_STATUSES), z.number().int()).describe("guests per RSVP status"),
      totalGuests: z.number().int(),
      expectedHeadcount: z.number().int().describe("accepted guests plus their plus-ones"),
      plannedHeadcount: z.number().int().describe("the event's headcount"),
      headcountDifference: z.number().int().describe("expectedHeadcount - plannedHeadcount; positive means more people than planned"),
      dietary: z.array(z.object({ need: z.string(), count: z.number().int() })).describe("needs of accepted guests, lower-cased, most common first"),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: false,
    handler: async (ctx, { eventId: id }) => {
      const event = await getEvent(ctx, id);
      const summary = await rsvpCounts(ctx, event.id);
      return {
        eventId: event.id,
        counts: summary.counts,
        totalGuests: summary.totalGuests,
        expectedHeadcount: summary.headcount,
        plannedHeadcount: event.headcount,
        headcountDifference: summary.headcount - event.headcount,
        dietary: summary.dietary,
      };
    },
  }),
];

