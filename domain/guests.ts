import { and, asc, desc, eq, getTableColumns, inArray, ne, or, sql } from "drizzle-orm";
import { z } from "zod";
import { RSVP_STATUSES, events, guests, type Guest, type RsvpStatus } from "../drizzle/schema/index.js";
import { ConflictError, NotFoundError, ValidationError } from "../lib/errors.js";
import { e164Phone, email, uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { getEvent } from "./events.js";
import { ownedRow, pageSize } from "./scope.js";
import { createInsertSchema } from "./zod.js";

export const MAX_GUESTS_PER_CALL = 500;

/** Free-text needs ("vegetarian", "wheelchair access"); repeats within one guest would inflate the tally. */
const needsList = z
  .array(z.string().trim().min(1, { error: "must not be empty" }).max(100))
  .max(20)
  .transform((items) => [...new Set(items)]);

// Optional columns get whole schemas, not refine callbacks: drizzle-zod 0.8 types a callback's
// result as required even though at runtime it still makes the column optional.
const guestFields = createInsertSchema(guests, {
  name: (s) => s.trim().min(1, { error: "must not be empty" }).max(200),
  email: email.nullish(),
  phone: e164Phone.nullish(),
  dietary: needsList.optional(),
  accessibility: needsList.optional(),
  plusOnes: z
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must not be negative" })
    .max(10, { error: "must be at most 10" })
    .optional(),
  notes: z.string().max(2000).nullish(),
}).pick({ name: true, email: true, phone: true, dietary: true, accessibility: true, plusOnes: true, notes: true });

const CONTACT_REQUIRED = "a guest needs an email or a phone number";

export const newGuestInput = guestFields.strict().refine((guest) => Boolean(guest.email || guest.phone), { path: ["phone"], error: CONTACT_REQUIRED });
export type NewGuestInput = z.input<typeof newGuestInput>;

const addGuestsInput = z.object({
  guests: z
    .array(newGuestInput)
    .min(1, { error: "must list at least one guest" })
    .max(MAX_GUESTS_PER_CALL, { error: `must list at most ${MAX_GUESTS_PER_CALL} guests per call` }),
});

export const updateGuestInput = guestFields.partial().strict();
export type UpdateGuestInput = z.input<typeof updateGuestInput>;

export const RSVP_ANSWERS = ["accepted", "declined", "tentative"] as const satisfies readonly RsvpStatus[];

export const recordRsvpInput = guestFields
  .pick({ dietary: true, notes: true, plusOnes: true })
  .extend({ status: z.enum(RSVP_ANSWERS, { error: "must be accepted, declined or tentative" }) })
  .strict();
export type RecordRsvpInput = z.input<typeof recordRsvpInput>;

export const listGuestsInput = z
  .object({
    eventId: uuid,
    rsvpStatus: z.enum(RSVP_STATUSES).optional(),
    limit: z.number().int().positive().optional(),
    offset: z.number().int().nonnegative().optional(),
  })
  .strict();

const markInvitedInput = z.object({ ids: z.array(uuid).min(1).max(MAX_GUESTS_PER_CALL) });

type ContactField = "phone" | "email";
const CONTACT_FIELDS: readonly ContactField[] = ["phone", "email"];

/**
 * Serialises the writes that must keep phone and email unique per event, so the pre-check that
 * names the offending guest cannot be overtaken by a concurrent writer. `no key update` does not
 * block inserts of tasks or budget lines, which only take a key-share lock on the event.
 */
async function lockEventGuests(ctx: DomainContext, eventId: string): Promise<void> {
  const [row] = await ctx.db.select({ id: events.id }).from(events).where(ownedRow(events, ctx, eventId)).for("no key update");
  if (!row) throw new NotFoundError("event", eventId);
}

/** Guests of the event already holding any of these phones or emails, except `exceptId`. */
async function guestsHoldingContacts(ctx: DomainContext, eventId: string, contacts: { phones: string[]; emails: string[] }, exceptId?: string) {
  if (contacts.phones.length === 0 && contacts.emails.length === 0) return [];
  return ctx.db
    .select({ id: guests.id, phone: guests.phone, email: guests.email })
    .from(guests)
    .where(
      and(
        eq(guests.workspaceId, ctx.workspaceId),
        eq(guests.eventId, eventId),
        exceptId ? ne(guests.id, exceptId) : undefined,
        or(
          contacts.phones.length > 0 ? inArray(guests.phone, contacts.phones) : undefined,
          contacts.emails.length > 0 ? inArray(guests.email, contacts.emails) : undefined,
        ),
      ),
    );
}

/**
 * Add guests to an event, all or none. A phone or email already used in the event, or repeated in
 * the batch, is refused as a conflict naming the first offending entry (`guests.3.phone`).
 */
export async function addGuests(ctx: DomainContext, eventId: string, input: NewGuestInput[]): Promise<Guest[]> {
  const { guests: batch } = parseInput(addGuestsInput, { guests: input });
  const event = parseInput(uuid, eventId);
  return ctx.db.transaction(async (tx) => {
    const txCtx = { ...ctx, db: tx };
    await lockEventGuests(txCtx, event);
    const existing = await guestsHoldingContacts(txCtx, event, {
      phones: batch.flatMap((g) => (g.phone ? [g.phone] : [])),
      emails: batch.flatMap((g) => (g.email ? [g.email] : [])),
    });
    const taken: Record<ContactField, Map<string, string>> = {
      phone: new Map(existing.flatMap((g) => (g.phone ? [[g.phone, g.id] as const] : []))),
      email: new Map(existing.flatMap((g) => (g.email ? [[g.email, g.id] as const] : []))),
    };
    const seen: Record<ContactField, Map<string, number>> = { phone: new Map(), email: new Map() };
    batch.forEach((guest, index) => {
      for (const field of CONTACT_FIELDS) {
        const value = guest[field];
        if (!value) continue;
        const path = `guests.${index}.${field}`;
        const existingId = taken[field].get(value);
        if (existingId) throw new ConflictError(`${path}: ${value} is already used by another guest of this event`, { field: path, index, existingGuestId: existingId });
        const earlier = seen[field].get(value);
        if (earlier !== undefined) throw new ConflictError(`${path}: ${value} is repeated from guests.${earlier} in this batch`, { field: path, index, duplicateOf: earlier });
        seen[field].set(value, index);
      }
    });
    return tx
      .insert(guests)
      .values(batch.map((guest) => ({ ...guest, workspaceId: ctx.workspaceId, eventId: event })))
      .returning();
  });
}

export async function getGuest(ctx: DomainContext, id: string): Promise<Guest> {
  const [row] = await ctx.db.select().from(guests).where(ownedRow(guests, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("guest", id);
  return row;
}

/** The event's guests by name; a foreign or unknown event is NotFound rather than an empty list. */
export async function listGuests(ctx: DomainContext, input: z.input<typeof listGuestsInput>): Promise<Guest[]> {
  const { eventId, rsvpStatus, limit, offset } = parseInput(listGuestsInput, input);
  await getEvent(ctx, eventId);
  return ctx.db
    .select()
    .from(guests)
    .where(and(eq(guests.workspaceId, ctx.workspaceId), eq(guests.eventId, eventId), rsvpStatus ? eq(guests.rsvpStatus, rsvpStatus) : undefined))
    .orderBy(asc(guests.name), asc(guests.id))
    .limit(pageSize(limit))
    .offset(offset ?? 0);
}

export async function updateGuest(ctx: DomainContext, id: string, patch: UpdateGuestInput): Promise<Guest> {
  const values = parseInput(updateGuestInput, patch);
  const guestId = parseInput(uuid, id);
  return ctx.db.transaction(async (tx) => {
    const txCtx = { ...ctx, db: tx };
    const current = await getGuest(txCtx, guestId);
    // Drizzle refuses an update with nothing to set; an empty patch is a no-op, not an error.
    if (Object.keys(values).length === 0) return current;
    const next = { phone: values.phone !== undefined ? values.phone : current.phone, email: values.email !== undefined ? values.email : current.email };
    if (!next.phone && !next.email) {
      const cleared = CONTACT_FIELDS.find((field) => values[field] === null) ?? "phone";
      throw new ValidationError(`${cleared}: ${CONTACT_REQUIRED}`, { field: cleared });
    }
    const changed = CONTACT_FIELDS.filter((field) => values[field] && values[field] !== current[field]);
    if (changed.length > 0) {
      await lockEventGuests(txCtx, current.eventId);
      const holders = await guestsHoldingContacts(
        txCtx,
        current.eventId,
        { phones: changed.includes("phone") && values.phone ? [values.phone] : [], emails: changed.includes("email") && values.email ? [values.email] : [] },
        current.id,
      );
      for (const field of changed) {
        const holder = holders.find((g) => g[field] === values[field]);
        if (holder) throw new ConflictError(`${field}: ${values[field]} is already used by another guest of this event`, { field, existingGuestId: holder.id });
      }
    }
    const [row] = await tx.update(guests).set(values).where(ownedRow(guests, ctx, guestId)).returning();
    if (!row) throw new NotFoundError("guest", id);
    return row;
  });
}

export async function removeGuest(ctx: DomainContext, id: string): Promise<Guest> {
  const [row] = await ctx.db.delete(guests).where(ownedRow(guests, ctx, parseInput(uuid, id))).returning();
  if (!row) throw new NotFoundError("guest", id);
  return row;
}

/** A guest's answer (usually an inbound SMS). Answering again replaces the earlier answer. */
export async function recordRsvp(ctx: DomainContext, id: string, input: RecordRsvpInput): Promise<Guest> {
  const { status, ...details } = parseInput(recordRsvpInput, input);
  const [row] = await ctx.db
    .update(guests)
    .set({ ...details, rsvpStatus: status, respondedAt: new Date() })
    .where(ownedRow(guests, ctx, parseInput(uuid, id)))
    .returning();
  if (!row) throw new NotFoundError("guest", id);
  return row;
}

/**
 * Record that invitations went out. Only guests still `not_invited` change, so re-sending never
 * resets an answer; the guests that changed are returned. Any unknown id fails the whole call.
 */
export async function markInvited(ctx: DomainContext, ids: string[]): Promise<Guest[]> {
  const { ids: wanted } = parseInput(markInvitedInput, { ids });
  const unique = [...new Set(wanted)];
  return ctx.db.transaction(async (tx) => {
    const found = await tx
      .select({ id: guests.id })
      .from(guests)
      .where(and(eq(guests.workspaceId, ctx.workspaceId), inArray(guests.id, unique)));
    const known = new Set(found.map((g) => g.id));
    const missing = unique.find((guestId) => !known.has(guestId));
    if (missing) throw new NotFoundError("guest", missing);
    return tx
      .update(guests)
      .set({ rsvpStatus: "invited", invitedAt: new Date() })
      .where(and(eq(guests.workspaceId, ctx.workspaceId), inArray(guests.id, unique), eq(guests.rsvpStatus, "not_invited")))
      .returning();
  });
}

/**
 * How an inbound SMS finds its sender: every guest in this workspace with that number, the most
 * recently created event first, since a reply most likely concerns the latest invitation.
 */
export async function findGuestsByPhone(ctx: DomainContext, phone: string): Promise<Guest[]> {
  const number = parseInput(e164Phone, phone);
  return ctx.db
    .select(getTableColumns(guests))
    .from(guests)
    .innerJoin(events, and(eq(events.id, guests.eventId), eq(events.workspaceId, ctx.workspaceId)))
    .where(and(eq(guests.workspaceId, ctx.workspaceId), eq(guests.phone, number)))
    .orderBy(desc(events.createdAt), desc(events.id))
    .limit(pageSize(undefined));
}

export interface RsvpCounts {
  eventId: string;
  /** Guests per RSVP status; every status is present. */
  counts: Record<RsvpStatus, number>;
  totalGuests: number;
  /** People expected: accepted guests plus their plus-ones. */
  headcount: number;
  /** Dietary needs of accepted guests (lower-cased), most common first. */
  dietary: Array<{ need: string; count: number }>;
}

export async function rsvpCounts(ctx: DomainContext, eventId: string): Promise<RsvpCounts> {
  const event = await getEvent(ctx, eventId);
  const ofEvent = and(eq(guests.workspaceId, ctx.workspaceId), eq(guests.eventId, event.id));
  const perStatus = await ctx.db
    .select({
      status: guests.rsvpStatus,
      guests: sql<number>`count(*)::int`.mapWith(Number),
      people: sql<number>`sum(1 + ${guests.plusOnes})::int`.mapWith(Number),
    })
    .from(guests)
    .where(ofEvent)
    .groupBy(guests.rsvpStatus);
  const needs = ctx.db
    .select({ need: sql<string>`lower(unnest(${guests.dietary}))`.as("need") })
    .from(guests)
    .where(and(ofEvent, eq(guests.rsvpStatus, "accepted")))
    .as("needs");
  const count = sql<number>`count(*)::int`.mapWith(Number);
  const dietary = await ctx.db.select({ need: needs.need, count }).from(needs).groupBy(needs.need).orderBy(desc(count), asc(needs.need));

  const counts = Object.fromEntries(RSVP_STATUSES.map((status) => [status, 0])) as Record<RsvpStatus, number>;
  for (const row of perStatus) counts[row.status] = row.guests;
  return {
    eventId: event.id,
    counts,
    totalGuests: perStatus.reduce((total, row) => total + row.guests, 0),
    headcount: perStatus.find((row) => row.status === "accepted")?.people ?? 0,
    dietary,
  };
}
