/**
 * Money that moved in Stripe, applied to the budget line it pays for. The stripe MCP server tags
 * every payment with metadata (mcp-servers/stripe/objects.ts): `event_id`, `workspace_id` and, for
 * a vendor deposit, `vendor_reference` — the venue booking or vendor quote id the deposit secures,
 * which is also how a budget line names what it pays for (venueBookingId / vendorQuoteId).
 *
 * A line's committed amount counts money that moved: a succeeded payment adds what Stripe received,
 * a refund takes back what was refunded and a failed refund puts it back, never below zero.
 */
import { and, asc, eq, isNotNull, or, sql } from "drizzle-orm";
import type { Database } from "../drizzle/client.js";
import { budgetLines, events, webhookDeliveries, type BudgetLine } from "../drizzle/schema/index.js";
import { NotFoundError } from "../lib/errors.js";
import { uuid } from "../lib/formats.js";
import type { DomainContext } from "./context.js";
import { ownedRow } from "./scope.js";

/** What one Stripe event says about one payment, in our terms. */
export interface PaymentMovement {
  /** The PaymentIntent (pi_…) the money belongs to. */
  paymentIntentId: string;
  /** Signed minor units: + received, − refunded; 0 when nothing moved (a failed attempt). */
  deltaMinor: number;
  /** ISO 4217, upper case. */
  currency: string;
  /** From the Stripe object's metadata, when it carries ours (charges and refunds may not). */
  eventId?: string;
  workspaceId?: string;
  vendorReference?: string;
}

export type PaymentTarget =
  | { found: true; workspaceId: string; eventId: string; line: BudgetLine }
  | { found: false; workspaceId?: string; reason: string };

/**
 * The fields of a Stripe delivery's stored payload that later events of the same payment route by:
 * a refund arrives on a charge or refund object that may lack our metadata, and must reach the line
 * its payment was applied to even if the lines changed since.
 */
export interface PaymentDeliveryRecord {
  paymentIntentId: string;
  eventId: string | null;
  budgetLineId: string | null;
  currency: string;
  deltaMinor: number;
}

export function paymentDeliveryRecord(movement: PaymentMovement, target: PaymentTarget): PaymentDeliveryRecord {
  return {
    paymentIntentId: movement.paymentIntentId,
    eventId: target.found ? target.eventId : (movement.eventId ?? null),
    budgetLineId: target.found ? target.line.id : null,
    currency: movement.currency,
    deltaMinor: movement.deltaMinor,
  };
}

const isUuid = (value: string): boolean => uuid.safeParse(value).success;

/** The line an earlier, processed event of the same payment was applied to. */
async function earlierLine(db: Database, paymentIntentId: string): Promise<PaymentTarget | undefined> {
  const [earlier] = await db
    .select({ workspaceId: webhookDeliveries.workspaceId, eventId: sql<string>`${webhookDeliveries.payload}->>'eventId'`, lineId: sql<string>`${webhookDeliveries.payload}->>'budgetLineId'` })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.provider, "stripe"),
        eq(webhookDeliveries.status, "processed"),
        isNotNull(webhookDeliveries.workspaceId),
        sql`${webhookDeliveries.payload}->>'paymentIntentId' = ${paymentIntentId}`,
        sql`${webhookDeliveries.payload}->>'budgetLineId' is not null`,
      ),
    )
    .orderBy(asc(webhookDeliveries.receivedAt))
    .limit(1);
  if (!earlier?.workspaceId || !isUuid(earlier.lineId)) return undefined;
  const [line] = await db
    .select()
    .from(budgetLines)
    .where(and(eq(budgetLines.workspaceId, earlier.workspaceId), eq(budgetLines.id, earlier.lineId)))
    .limit(1);
  if (!line) return { found: false, workspaceId: earlier.workspaceId, reason: `budget line ${earlier.lineId}, which ${paymentIntentId} was applied to, no longer exists` };
  return { found: true, workspaceId: line.workspaceId, eventId: line.eventId, line };
}

/**
 * The budget line a payment belongs to: the one an earlier event of the same payment went to, or
 * else the event named in its metadata (the workspace is the event's own; metadata claiming another
 * workspace is not believed) and that event's oldest line linked to the vendor_reference.
 */
export async function findPaymentTarget(db: Database, movement: PaymentMovement): Promise<PaymentTarget> {
  const earlier = await earlierLine(db, movement.paymentIntentId);
  const target = earlier ?? (await lineFromMetadata(db, movement));
  if (target.found && target.line.currency !== movement.currency) {
    return { found: false, workspaceId: target.workspaceId, reason: `the payment is in ${movement.currency} but budget line ${target.line.id} is in ${target.line.currency}` };
  }
  return target;
}

async function lineFromMetadata(db: Database, movement: PaymentMovement): Promise<PaymentTarget> {
  const { paymentIntentId, eventId, vendorReference } = movement;
  if (!eventId) return { found: false, reason: `${paymentIntentId} carries no event_id and no earlier event of it was applied` };
  if (!isUuid(eventId)) return { found: false, reason: `event_id ${eventId} of ${paymentIntentId} is not one of our event ids` };
  const [event] = await db.select({ id: events.id, workspaceId: events.workspaceId }).from(events).where(eq(events.id, eventId)).limit(1);
  if (!event) return { found: false, reason: `event ${eventId} of ${paymentIntentId} does not exist` };
  if (movement.workspaceId !== undefined && movement.workspaceId !== event.workspaceId) {
    return { found: false, reason: `${paymentIntentId} names workspace ${movement.workspaceId}, but event ${eventId} belongs to another` };
  }
  const workspaceId = event.workspaceId;
  if (!vendorReference || !isUuid(vendorReference)) return { found: false, workspaceId, reason: `${paymentIntentId} has no vendor_reference naming a venue booking or vendor quote of event ${eventId}` };
  const [line] = await db
    .select()
    .from(budgetLines)
    .where(
      and(
        eq(budgetLines.workspaceId, workspaceId),
        eq(budgetLines.eventId, event.id),
        or(eq(budgetLines.venueBookingId, vendorReference), eq(budgetLines.vendorQuoteId, vendorReference)),
      ),
    )
    .orderBy(asc(budgetLines.createdAt), asc(budgetLines.id))
    .limit(1);
  if (!line) return { found: false, workspaceId, reason: `no budget line of event ${eventId} is linked to ${vendorReference}` };
  return { found: true, workspaceId, eventId: event.id, line };
}

/** Move a line's committed amount by `deltaMinor` in one statement (concurrent payments add up), never below zero. */
export async function applyPaymentToBudgetLine(ctx: DomainContext, lineId: string, deltaMinor: number): Promise<BudgetLine> {
  const [row] = await ctx.db
    .update(budgetLines)
    .set({ committedMinor: sql`greatest(0, ${budgetLines.committedMinor} + ${deltaMinor})` })
    .where(ownedRow(budgetLines, ctx, lineId))
    .returning();
  if (!row) throw new NotFoundError("budget line", lineId);
  return row;
}
