/**
 * `POST /webhooks/stripe`: payments and refunds land on the budget line they pay for.
 *
 * Order: raw bytes → `Stripe-Signature` through the SDK's constructEvent (stale timestamps
 * refused) → the fields read (stripe-events.ts) → the payment's budget line, found from the
 * payment's metadata (its event, and that event's workspace) → dedupe on the event id → in one
 * transaction: the line's committed amount moved and the delivery marked processed. A crash before
 * the commit leaves the delivery `received` and Stripe's retry applies it then, once. Events this
 * service does not act on are answered 200 and recorded as ignored, so Stripe stops retrying them.
 */
import type { DomainContext } from "../../domain/context.js";
import { applyPaymentToBudgetLine, findPaymentTarget, paymentDeliveryRecord, type PaymentTarget } from "../../domain/payments.js";
import { claimReceivedDelivery } from "../../domain/webhook-claims.js";
import { markWebhookDelivery, recordWebhookDelivery } from "../../domain/webhook-deliveries.js";
import type { ApiDeps } from "../deps.js";
import type { ApiContext } from "../state.js";
import type { HandledOutcome } from "./outcome.js";
import { readRawBody } from "./raw-body.js";
import { parseStripeEnvelope, readStripeEvent } from "./stripe-events.js";
import { verifyStripeSignature } from "./verify.js";

export interface StripeWebhookOptions {
  webhookSecret: string;
  bodyLimitBytes: number;
}

export async function handleStripeEvent(deps: ApiDeps, ctx: ApiContext, options: StripeWebhookOptions): Promise<HandledOutcome> {
  const raw = await readRawBody(ctx, options.bodyLimitBytes);
  const verified = verifyStripeSignature({ webhookSecret: options.webhookSecret, rawBody: raw, signature: ctx.get("Stripe-Signature") || undefined });
  const event = parseStripeEnvelope(verified);
  const reading = readStripeEvent(event);
  const log = ctx.state.log.child({ stripeEvent: event.id, type: event.type });
  const target: PaymentTarget = reading.kind === "movement" ? await findPaymentTarget(deps.db, reading.movement) : { found: false, reason: reading.reason };

  const { delivery, alreadyHandled } = await recordWebhookDelivery(deps.db, {
    provider: "stripe",
    externalId: event.id,
    eventType: event.type,
    payload: {
      type: event.type,
      ...(reading.kind === "movement" ? paymentDeliveryRecord(reading.movement, target) : {}),
      ...(reading.kind === "movement" && reading.failure ? { failure: reading.failure } : {}),
    },
    workspaceId: target.workspaceId ?? null,
  });
  ctx.status = 200;
  ctx.body = { received: true };
  // A delivery still `received` was cut off before its transaction committed: handle it again.
  if (alreadyHandled) {
    log.info({ deliveryId: delivery.id }, "stripe event redelivered; already handled");
    return "duplicate";
  }
  if (reading.kind !== "movement" || !target.found) {
    await markWebhookDelivery(deps.db, delivery.id, { status: "ignored", error: target.found ? undefined : target.reason.slice(0, 4000), ...(target.workspaceId ? { workspaceId: target.workspaceId } : {}) });
    log.info({ reason: target.found ? undefined : target.reason }, "stripe event ignored");
    return "ignored";
  }

  const { movement } = reading;
  const domain: DomainContext = { db: deps.db, workspaceId: target.workspaceId, actor: { kind: "webhook", id: `stripe:${event.id}` } };
  const applied = await deps.db.transaction(async (tx) => {
    if (!(await claimReceivedDelivery(tx, delivery.id))) return false;
    if (movement.deltaMinor !== 0) await applyPaymentToBudgetLine({ ...domain, db: tx }, target.line.id, movement.deltaMinor);
    await markWebhookDelivery(tx, delivery.id, { status: "processed", workspaceId: target.workspaceId });
    return true;
  });
  if (!applied) return "duplicate";
  log.info({ budgetLineId: target.line.id, deltaMinor: movement.deltaMinor, paymentIntent: movement.paymentIntentId }, "stripe event applied to a budget line");
  return "accepted";
}
