import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { budgetLines, vendorQuotes, venueBookings, type BudgetCategory, type BudgetLine, type Event } from "../drizzle/schema/index.js";
import { AppError, NotFoundError, ValidationError } from "../lib/errors.js";
import { currencyCode, minorUnits, uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { getEvent } from "./events.js";
import { ownedRow, pageSize } from "./scope.js";
import { createInsertSchema } from "./zod.js";

const budgetLineFields = createInsertSchema(budgetLines, {
  description: (s) => s.trim().min(1, { error: "must not be empty" }).max(500),
  plannedMinor: minorUnits,
  committedMinor: minorUnits.optional(),
  currency: currencyCode,
  venueBookingId: uuid.nullish(),
  vendorQuoteId: uuid.nullish(),
}).pick({ category: true, description: true, plannedMinor: true, committedMinor: true, currency: true, venueBookingId: true, vendorQuoteId: true });

export const newBudgetLineInput = budgetLineFields.strict();
export type NewBudgetLineInput = z.input<typeof newBudgetLineInput>;

export const updateBudgetLineInput = budgetLineFields.partial().strict();
export type UpdateBudgetLineInput = z.input<typeof updateBudgetLineInput>;

export const listBudgetLinesInput = z.object({ eventId: uuid, limit: z.number().int().positive().optional() }).strict();

/** A budget adds up only in one currency, so every line is in the event's. */
function assertEventCurrency(event: Event, currency: string | undefined): void {
  if (currency !== undefined && currency !== event.currency) {
    throw new ValidationError(`currency: ${currency} does not match the event's currency ${event.currency}`, { field: "currency", expected: event.currency });
  }
}

/** A linked booking or quote must be one of this event's, never another event's or workspace's. */
async function assertLinks(ctx: DomainContext, eventId: string, links: { venueBookingId?: string | null; vendorQuoteId?: string | null }): Promise<void> {
  if (links.venueBookingId) {
    const [booking] = await ctx.db
      .select({ id: venueBookings.id })
      .from(venueBookings)
      .where(and(ownedRow(venueBookings, ctx, links.venueBookingId), eq(venueBookings.eventId, eventId)))
      .limit(1);
    if (!booking) throw new NotFoundError("venue booking", links.venueBookingId);
  }
  if (links.vendorQuoteId) {
    const [quote] = await ctx.db
      .select({ id: vendorQuotes.id })
      .from(vendorQuotes)
      .where(and(ownedRow(vendorQuotes, ctx, links.vendorQuoteId), eq(vendorQuotes.eventId, eventId)))
      .limit(1);
    if (!quote) throw new NotFoundError("vendor quote", links.vendorQuoteId);
  }
}

export async function addBudgetLine(ctx: DomainContext, eventId: string, input: NewBudgetLineInput): Promise<BudgetLine> {
  const values = parseInput(newBudgetLineInput, input);
  const event = await getEvent(ctx, eventId);
  assertEventCurrency(event, values.currency);
  await assertLinks(ctx, event.id, values);
  const [row] = await ctx.db
    .insert(budgetLines)
    .values({ ...values, workspaceId: ctx.workspaceId, eventId: event.id })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function getBudgetLine(ctx: DomainContext, id: string): Promise<BudgetLine> {
  const [row] = await ctx.db.select().from(budgetLines).where(ownedRow(budgetLines, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("budget line", id);
  return row;
}

/** The event's lines grouped by category (in the category list's order), oldest first within one. */
export async function listBudgetLines(ctx: DomainContext, input: z.input<typeof listBudgetLinesInput>): Promise<BudgetLine[]> {
  const { eventId, limit } = parseInput(listBudgetLinesInput, input);
  await getEvent(ctx, eventId);
  return ctx.db
    .select()
    .from(budgetLines)
    .where(and(eq(budgetLines.workspaceId, ctx.workspaceId), eq(budgetLines.eventId, eventId)))
    .orderBy(asc(budgetLines.category), asc(budgetLines.createdAt), asc(budgetLines.id))
    .limit(pageSize(limit));
}

export async function updateBudgetLine(ctx: DomainContext, id: string, patch: UpdateBudgetLineInput): Promise<BudgetLine> {
  const values = parseInput(updateBudgetLineInput, patch);
  const current = await getBudgetLine(ctx, id);
  // Drizzle refuses an update with nothing to set; an empty patch is a no-op, not an error.
  if (Object.keys(values).length === 0) return current;
  const event = await getEvent(ctx, current.eventId);
  assertEventCurrency(event, values.currency);
  await assertLinks(ctx, event.id, values);
  const [row] = await ctx.db.update(budgetLines).set(values).where(ownedRow(budgetLines, ctx, current.id)).returning();
  if (!row) throw new NotFoundError("budget line", id);
  return row;
}

export async function removeBudgetLine(ctx: DomainContext, id: string): Promise<BudgetLine> {
  const [row] = await ctx.db.delete(budgetLines).where(ownedRow(budgetLines, ctx, parseInput(uuid, id))).returning();
  if (!row) throw new NotFoundError("budget line", id);
  return row;
}

export interface BudgetSummary {
  eventId: string;
  currency: string;
  /** The event's budget; null when none was set. */
  budgetMinor: number | null;
  plannedMinor: number;
  committedMinor: number;
  /** budget − committed; negative once commitments exceed the budget, null without a budget. */
  remainingMinor: number | null;
  /** Planned or committed spend exceeds the budget: a plan that cannot be paid for is already over. */
  overBudget: boolean;
  /** Categories that have at least one line, in the category list's order. */
  categories: Array<{ category: BudgetCategory; plannedMinor: number; committedMinor: number }>;
}

export async function getBudgetSummary(ctx: DomainContext, eventId: string): Promise<BudgetSummary> {
  const event = await getEvent(ctx, eventId);
  // sum(bigint) is numeric in Postgres and arrives as a string; the cast plus mapWith makes it a number.
  const planned = sql<number>`coalesce(sum(${budgetLines.plannedMinor}), 0)::bigint`.mapWith(Number);
  const committed = sql<number>`coalesce(sum(${budgetLines.committedMinor}), 0)::bigint`.mapWith(Number);
  // rollup yields one row per category plus the grand total (grouping = 1) from one snapshot; the
  // grand-total row exists even when the event has no lines.
  const rows = await ctx.db
    .select({
      category: budgetLines.category,
      isTotal: sql<number>`grouping(${budgetLines.category})::int`.mapWith(Number),
      plannedMinor: planned,
      committedMinor: committed,
      foreignCurrencyLines: sql<number>`count(*) filter (where ${budgetLines.currency} <> ${event.currency})::int`.mapWith(Number),
    })
    .from(budgetLines)
    .where(and(eq(budgetLines.workspaceId, ctx.workspaceId), eq(budgetLines.eventId, event.id)))
    .groupBy(sql`rollup(${budgetLines.category})`)
    .orderBy(asc(budgetLines.category));

  const total = rows.find((row) => row.isTotal === 1) ?? { plannedMinor: 0, committedMinor: 0, foreignCurrencyLines: 0 };
  if (total.foreignCurrencyLines > 0) {
    // Only possible if the event's currency changed after lines were added; summing would mix currencies.
    throw new AppError("invalid_state", `${total.foreignCurrencyLines} budget line(s) are not in the event's currency ${event.currency}; update them before summarising`, {
      field: "currency",
      expected: event.currency,
    });
  }
  const budgetMinor = event.budgetMinor;
  return {
    eventId: event.id,
    currency: event.currency,
    budgetMinor,
    plannedMinor: total.plannedMinor,
    committedMinor: total.committedMinor,
    remainingMinor: budgetMinor === null ? null : budgetMinor - total.committedMinor,
    overBudget: budgetMinor !== null && (total.plannedMinor > budgetMinor || total.committedMinor > budgetMinor),
    categories: rows.flatMap((row) =>
      row.isTotal === 0 && row.category !== null ? [{ category: row.category, plannedMinor: row.plannedMinor, committedMinor: row.committedMinor }] : [],
    ),
  };
}
