import { and, desc, eq, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../drizzle/client.js";
import { WEBHOOK_PROVIDERS, webhookDeliveries, type WebhookDelivery } from "../drizzle/schema/index.js";
import { ConflictError, NotFoundError } from "../lib/errors.js";
import { uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { pageSize } from "./scope.js";
import { createInsertSchema } from "./zod.js";

/**
 * A webhook arrives before anyone knows which workspace it is for (that is in the payload), so
 * recording and marking take a bare `db`; only listing, which a workspace's user does, is scoped.
 */

export const recordWebhookDeliveryInput = createInsertSchema(webhookDeliveries, {
  externalId: (s) => s.trim().min(1, { error: "must not be empty" }).max(255),
  eventType: (s) => s.trim().min(1, { error: "must not be empty" }).max(200),
  payload: z.record(z.string(), z.unknown()),
  workspaceId: uuid.nullish(),
})
  .pick({ provider: true, externalId: true, eventType: true, payload: true, workspaceId: true })
  .strict();
export type RecordWebhookDeliveryInput = z.input<typeof recordWebhookDeliveryInput>;

export const markWebhookDeliveryInput = z
  .object({
    status: z.enum(["processed", "failed", "ignored"], { error: "must be processed, failed or ignored" }),
    error: z.string().trim().min(1).max(4000).optional(),
    workspaceId: uuid.optional(),
  })
  .strict();
export type MarkWebhookDeliveryInput = z.input<typeof markWebhookDeliveryInput>;

export const listWebhookDeliveriesInput = z.object({ provider: z.enum(WEBHOOK_PROVIDERS).optional(), limit: z.number().int().positive().optional() }).strict();

export interface RecordedDelivery {
  delivery: WebhookDelivery;
  /** The provider sent this delivery before. */
  duplicate: boolean;
  /**
   * A redelivery of one already handled (processed, ignored or failed): acknowledge it and act no
   * more. A redelivery still `received` was cut off before its work committed (a crash), so it is
   * handled again; the work itself refuses to happen twice.
   */
  alreadyHandled: boolean;
}

/**
 * Record a delivery once. A redelivery (same provider and provider id) inserts nothing and returns
 * the first row with `duplicate: true`. The insert skips on the unique key, so two concurrent
 * redeliveries cannot both be treated as new.
 */
export async function recordWebhookDelivery(db: Database, input: RecordWebhookDeliveryInput): Promise<RecordedDelivery> {
  const values = parseInput(recordWebhookDeliveryInput, input);
  const [inserted] = await db
    .insert(webhookDeliveries)
    .values(values)
    .onConflictDoNothing({ target: [webhookDeliveries.provider, webhookDeliveries.externalId] })
    .returning();
  if (inserted) return { delivery: inserted, duplicate: false, alreadyHandled: false };
  const [existing] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.provider, values.provider), eq(webhookDeliveries.externalId, values.externalId)))
    .limit(1);
  if (!existing) throw new ConflictError(`${values.provider} delivery ${values.externalId} was recorded and removed meanwhile; retry`, { field: "externalId" });
  return { delivery: existing, duplicate: true, alreadyHandled: existing.status !== "received" };
}

/**
 * Record how a delivery was handled. A workspace learnt while routing is stored, but a delivery
 * already attributed to one workspace is never moved to another.
 */
export async function markWebhookDelivery(db: Database, id: string, input: MarkWebhookDeliveryInput): Promise<WebhookDelivery> {
  const deliveryId = parseInput(uuid, id);
  const { status, error, workspaceId } = parseInput(markWebhookDeliveryInput, input);
  const [row] = await db
    .update(webhookDeliveries)
    .set({
      status,
      error: error ?? null,
      processedAt: sql`now()`,
      ...(workspaceId ? { workspaceId } : {}),
    })
    .where(
      and(
        eq(webhookDeliveries.id, deliveryId),
        workspaceId ? or(isNull(webhookDeliveries.workspaceId), eq(webhookDeliveries.workspaceId, workspaceId)) : undefined,
      ),
    )
    .returning();
  if (row) return row;
  const [current] = await db.select({ workspaceId: webhookDeliveries.workspaceId }).from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId)).limit(1);
  if (!current) throw new NotFoundError("webhook delivery", deliveryId);
  throw new ConflictError(`webhook delivery ${deliveryId} already belongs to another workspace`, { field: "workspaceId" });
}

/** The workspace's deliveries, newest first; deliveries not yet routed to a workspace are not shown. */
export async function listWebhookDeliveries(ctx: DomainContext, input: z.input<typeof listWebhookDeliveriesInput> = {}): Promise<WebhookDelivery[]> {
  const { provider, limit } = parseInput(listWebhookDeliveriesInput, input);
  return ctx.db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.workspaceId, ctx.workspaceId), provider ? eq(webhookDeliveries.provider, provider) : undefined))
    .orderBy(desc(webhookDeliveries.receivedAt), desc(webhookDeliveries.id))
    .limit(pageSize(limit));
}
