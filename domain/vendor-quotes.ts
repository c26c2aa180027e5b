import { and, asc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import { QUOTE_STATUSES, events, vendorQuotes, vendors, type QuoteStatus, type VendorQuote } from "../drizzle/schema/index.js";
import { AppError, NotFoundError } from "../lib/errors.js";
import { currencyCode, minorUnits, uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { ownedRow, pageSize } from "./scope.js";
import { visibleCatalogueRow } from "./catalogue.js";
import { createInsertSchema } from "./zod.js";

/**
 * Where a quote may go next. `received` may be recorded again (the vendor revised its price);
 * accepted, declined and expired are final.
 */
export const VENDOR_QUOTE_TRANSITIONS: Readonly<Record<QuoteStatus, readonly QuoteStatus[]>> = {
  requested: ["received", "declined", "expired"],
  received: ["received", "accepted", "declined", "expired"],
  accepted: [],
  declined: [],
  expired: [],
};

export const QUOTE_DECISIONS = ["accepted", "declined", "expired"] as const;
export type QuoteDecision = (typeof QUOTE_DECISIONS)[number];

const quoteFields = createInsertSchema(vendorQuotes, {
  eventId: uuid,
  vendorId: uuid,
  description: z.string().trim().min(1, { error: "must not be empty" }).max(2000),
  amountMinor: minorUnits,
  currency: currencyCode,
  // A schema rather than a refining callback: drizzle-zod types a refined nullable column as required.
  vendorNotes: z.string().max(5000).nullish(),
}).omit({ id: true, workspaceId: true, status: true, createdAt: true, updatedAt: true });

export const requestVendorQuoteInput = quoteFields.pick({ eventId: true, vendorId: true, description: true, currency: true }).partial({ currency: true }).strict();
export type RequestVendorQuoteInput = z.input<typeof requestVendorQuoteInput>;

export const recordVendorQuoteInput = quoteFields.pick({ amountMinor: true, currency: true, validUntil: true, vendorNotes: true }).strict();
export type RecordVendorQuoteInput = z.input<typeof recordVendorQuoteInput>;

export const listVendorQuotesInput = z
  .object({ eventId: uuid, status: z.enum(QUOTE_STATUSES).optional(), limit: z.number().int().positive().optional() })
  .strict();

const decision = z.object({ id: uuid, status: z.enum(QUOTE_DECISIONS) });

function allowedFrom(to: QuoteStatus): QuoteStatus[] {
  return QUOTE_STATUSES.filter((from) => VENDOR_QUOTE_TRANSITIONS[from].includes(to));
}

function invalidTransition(current: VendorQuote, to: QuoteStatus): AppError {
  return new AppError("invalid_state", `status: a ${current.status} quote cannot become ${to}`, {
    field: "status",
    from: current.status,
    to,
    allowed: VENDOR_QUOTE_TRANSITIONS[current.status],
  });
}

async function assertOwnEvent(ctx: DomainContext, eventId: string): Promise<void> {
  const [event] = await ctx.db.select({ id: events.id }).from(events).where(ownedRow(events, ctx, eventId)).limit(1);
  if (!event) throw new NotFoundError("event", eventId);
}

/** Ask a visible vendor to quote for one of the workspace's events; the currency defaults to the vendor's. */
export async function requestVendorQuote(ctx: DomainContext, input: RequestVendorQuoteInput): Promise<VendorQuote> {
  const values = parseInput(requestVendorQuoteInput, input);
  await assertOwnEvent(ctx, values.eventId);
  const [vendor] = await ctx.db.select({ currency: vendors.currency }).from(vendors).where(visibleCatalogueRow(vendors, ctx, values.vendorId)).limit(1);
  if (!vendor) throw new NotFoundError("vendor", values.vendorId);
  const [row] = await ctx.db
    .insert(vendorQuotes)
    .values({ ...values, currency: values.currency ?? vendor.currency, status: "requested", workspaceId: ctx.workspaceId })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

/** Record the vendor's price. A revised quote replaces the previous one whole, validity and notes included. */
export async function recordVendorQuote(ctx: DomainContext, id: string, input: RecordVendorQuoteInput): Promise<VendorQuote> {
  const quoteId = parseInput(z.object({ id: uuid }), { id }).id;
  const values = parseInput(recordVendorQuoteInput, input);
  const [row] = await ctx.db
    .update(vendorQuotes)
    .set({ status: "received", amountMinor: values.amountMinor, currency: values.currency, validUntil: values.validUntil ?? null, vendorNotes: values.vendorNotes ?? null })
    .where(and(ownedRow(vendorQuotes, ctx, quoteId), inArray(vendorQuotes.status, allowedFrom("received"))))
    .returning();
  if (row) return row;
  throw invalidTransition(await getVendorQuote(ctx, quoteId), "received");
}

/**
 * Accept, decline or expire a quote. Only a received quote can be accepted, and not after its
 * validUntil: the vendor no longer stands by that price.
 */
export async function updateVendorQuoteStatus(ctx: DomainContext, id: string, status: QuoteDecision): Promise<VendorQuote> {
  const change = parseInput(decision, { id, status });
  const stillValid = change.status === "accepted" ? or(isNull(vendorQuotes.validUntil), gt(vendorQuotes.validUntil, sql`now()`)) : undefined;
  // Guarding on the current status in the UPDATE itself makes check-and-set atomic.
  const [row] = await ctx.db
    .update(vendorQuotes)
    .set({ status: change.status })
    .where(and(ownedRow(vendorQuotes, ctx, change.id), inArray(vendorQuotes.status, allowedFrom(change.status)), stillValid))
    .returning();
  if (row) return row;
  const current = await getVendorQuote(ctx, change.id);
  if (change.status === "accepted" && current.status === "received" && current.validUntil) {
    throw new AppError("invalid_state", `validUntil: the quote expired at ${current.validUntil.toISOString()}; record a new quote before accepting`, {
      field: "validUntil",
      validUntil: current.validUntil.toISOString(),
    });
  }
  throw invalidTransition(current, change.status);
}

export async function getVendorQuote(ctx: DomainContext, id: string): Promise<VendorQuote> {
  const [row] = await ctx.db.select().from(vendorQuotes).where(ownedRow(vendorQuotes, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("vendor quote", id);
  return row;
}

/** The event's quotes, oldest request first; NotFoundError when the event is not the workspace's. */
export async function listVendorQuotes(ctx: DomainContext, input: z.input<typeof listVendorQuotesInput>): Promise<VendorQuote[]> {
  const { eventId, status, limit } = parseInput(listVendorQuotesInput, input);
  await assertOwnEvent(ctx, eventId);
  return ctx.db
    .select()
    .from(vendorQuotes)
    .where(and(eq(vendorQuotes.workspaceId, ctx.workspaceId), eq(vendorQuotes.eventId, eventId), status ? eq(vendorQuotes.status, status) : undefined))
    .orderBy(asc(vendorQuotes.createdAt), asc(vendorQuotes.id))
    .limit(pageSize(limit));
}
