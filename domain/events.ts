import { and, desc, eq } from "drizzle-orm";
import { z } from "zod";
import { EVENT_STATUSES, events, type Event } from "../drizzle/schema/index.js";
import { NotFoundError } from "../lib/errors.js";
import { countryCode, currencyCode, minorUnits, timeZone, uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { ownedRow, pageSize } from "./scope.js";
import { createInsertSchema } from "./zod.js";

export const eventRequirements = z
  .object({
    dietary: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
    accessibility: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
    notes: z.string().max(2000).optional(),
  })
  .strict();

const eventFields = createInsertSchema(events, {
  title: (s) => s.trim().min(1, { error: "must not be empty" }).max(200),
  // A whole schema, not a refine callback: drizzle-zod types a callback's result as required.
  city: z.string().trim().min(1).max(100).nullish(),
  countryCode: countryCode.nullish(),
  timeZone,
  headcount: (s) => s.int().min(1, { error: "must be at least 1" }).max(100_000),
  budgetMinor: minorUnits.nullish(),
  currency: currencyCode,
  requirements: eventRequirements.optional(),
}).omit({ id: true, workspaceId: true, createdAt: true, updatedAt: true });

const endsAfterStarts = (value: { startsAt?: Date | null; endsAt?: Date | null }) => !value.startsAt || !value.endsAt || value.endsAt > value.startsAt;

export const createEventInput = eventFields.strict().refine(endsAfterStarts, { path: ["endsAt"], error: "must be after startsAt" });
export type CreateEventInput = z.input<typeof createEventInput>;

export const updateEventInput = eventFields.partial().strict().refine(endsAfterStarts, { path: ["endsAt"], error: "must be after startsAt" });
export type UpdateEventInput = z.input<typeof updateEventInput>;

export const listEventsInput = z
  .object({ status: z.enum(EVENT_STATUSES).optional(), limit: z.number().int().positive().optional() })
  .strict();

export async function createEvent(ctx: DomainContext, input: CreateEventInput): Promise<Event> {
  const values = parseInput(createEventInput, input);
  const [row] = await ctx.db.insert(events).values({ ...values, workspaceId: ctx.workspaceId }).returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function getEvent(ctx: DomainContext, id: string): Promise<Event> {
  const [row] = await ctx.db.select().from(events).where(ownedRow(events, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("event", id);
  return row;
}

export async function listEvents(ctx: DomainContext, input: z.input<typeof listEventsInput> = {}): Promise<Event[]> {
  const { status, limit } = parseInput(listEventsInput, input);
  return ctx.db
    .select()
    .from(events)
    .where(and(eq(events.workspaceId, ctx.workspaceId), status ? eq(events.status, status) : undefined))
    .orderBy(desc(events.createdAt), desc(events.id))
    .limit(pageSize(limit));
}

export async function updateEvent(ctx: DomainContext, id: string, patch: UpdateEventInput): Promise<Event> {
  const values = parseInput(updateEventInput, patch);
  const current = await getEvent(ctx, id);
  if (Object.keys(values).length === 0) return current;
  // The combined row must still end after it starts, even when only one side changes.
  parseInput(
    z.object({}).refine(() => endsAfterStarts({ startsAt: values.startsAt ?? current.startsAt, endsAt: values.endsAt ?? current.endsAt }), { path: ["endsAt"], error: "must be after startsAt" }),
    {},
  );
  const [row] = await ctx.db.update(events).set(values).where(ownedRow(events, ctx, id)).returning();
  if (!row) throw new NotFoundError("event", id);
  return row;
}

/** The event with everything a planner looks at: venue bookings (with venue), quotes (with vendor), guests, tasks, budget lines. */
export async function getEventDetails(ctx: DomainContext, id: string) {
  const row = await ctx.db.query.events.findFirst({
    where: ownedRow(events, ctx, parseInput(uuid, id)),
    with: {
      venueBookings: { with: { venue: true }, orderBy: (b, { asc }) => [asc(b.startsAt), asc(b.id)] },
      vendorQuotes: { with: { vendor: true }, orderBy: (q, { asc }) => [asc(q.createdAt), asc(q.id)] },
      guests: { orderBy: (g, { asc }) => [asc(g.name), asc(g.id)] },
      tasks: { orderBy: (t, { asc, sql }) => [sql`${t.dueAt} asc nulls last`, asc(t.position), asc(t.id)] },
      budgetLines: { orderBy: (l, { asc }) => [asc(l.category), asc(l.createdAt), asc(l.id)] },
    },
  });
  if (!row) throw new NotFoundError("event", id);
  return row;
}
export type EventDetails = Awaited<ReturnType<typeof getEventDetails>>;
