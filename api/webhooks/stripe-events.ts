/**
 * A verified Stripe event read as money that moved for one payment, or as something this service
 * does not act on. Pure: no I/O. Only the fields used are checked (zod), so a signed event missing
 * one is refused naming it (`data.object.amount_received`), while any other event type passes.
 *
 * - payment_intent.succeeded: + amount_received.
 * - payment_intent.payment_failed: nothing moved; recorded with Stripe's reason.
 * - charge.refunded: − what this refund added to the charge's amount_refunded (Stripe sends the
 *   earlier value in previous_attributes; without it the whole amount_refunded counts).
 * - refund.failed: + the refund's amount, which came back. refund_payment (the stripe MCP server)
 *   creates refunds, so refund.created/updated also arrive: their amounts are already counted by
 *   charge.refunded, and they are acknowledged without a second effect.
 */
import { z } from "zod";
import type { PaymentMovement } from "../../domain/payments.js";
import { parseInput } from "../../lib/validation.js";
import { METADATA } from "../../mcp-servers/stripe/backend.js";
import { fromStripeCurrency } from "../../mcp-servers/stripe/money.js";

const envelope = z.object({
  id: z.string({ error: "is required: the Stripe event id" }).regex(/^evt_[A-Za-z0-9_]+$/, { error: "must be a Stripe event id (evt_…)" }),
  type: z.string({ error: "is required: the Stripe event type" }).min(1, { error: "is required: the Stripe event type" }),
  data: z.object({ object: z.record(z.string(), z.unknown()), previous_attributes: z.record(z.string(), z.unknown()).optional() }, { error: "is required: the event's data.object" }),
});
export type StripeEventEnvelope = z.infer<typeof envelope>;

const minor = z.number({ error: "must be an integer amount in minor units" }).int({ error: "must be an integer amount in minor units" }).min(0, { error: "must not be negative" });
const currency = z.string({ error: "is required: the ISO 4217 currency" }).regex(/^[a-zA-Z]{3}$/, { error: "must be a three-letter currency code" });
const metadata = z.record(z.string(), z.string()).nullish();
const ref = (prefix: string) => z.union([z.string().startsWith(prefix), z.object({ id: z.string().startsWith(prefix) })]).nullish();

const paymentIntent = z.object({
  id: z.string({ error: "is required" }).startsWith("pi_", { error: "must be a PaymentIntent id (pi_…)" }),
  amount_received: minor,
  currency,
  metadata,
  last_payment_error: z.object({ message: z.string().optional(), code: z.string().optional() }).nullish(),
});

const charge = z.object({
  id: z.string({ error: "is required" }).startsWith("ch_", { error: "must be a Charge id (ch_…)" }),
  payment_intent: ref("pi_"),
  amount_refunded: minor,
  currency,
  metadata,
});

const refund = z.object({
  id: z.string({ error: "is required" }).startsWith("re_", { error: "must be a Refund id (re_…)" }),
  payment_intent: ref("pi_"),
  amount: minor,
  currency,
  metadata,
});

const previousRefunded = z.object({ data: z.object({ previous_attributes: z.object({ amount_refunded: minor.optional() }).optional() }) });

export type StripeEventReading =
  | { kind: "movement"; movement: PaymentMovement; failure?: string }
  | { kind: "ignored"; reason: string };

/** Parse the fields of `data.object` this service reads, with errors naming them from the event's root. */
function objectOf<S extends z.ZodType>(schema: S, event: StripeEventEnvelope): z.output<S> {
  // zod cannot carry a generic schema's output through z.object's mapped type; the shape is the schema's.
  const parsed = parseInput(z.object({ data: z.object({ object: schema }) }), event) as { data: { object: z.output<S> } };
  return parsed.data.object;
}

const idOf = (value: string | { id: string } | null | undefined): string | undefined => (value === null || value === undefined ? undefined : typeof value === "string" ? value : value.id);

function tags(meta: Record<string, string> | null | undefined): Pick<PaymentMovement, "eventId" | "workspaceId" | "vendorReference"> {
  const pick = (key: string) => meta?.[key] || undefined;
  return { eventId: pick(METADATA.event), workspaceId: pick(METADATA.workspace), vendorReference: pick(METADATA.vendorReference) };
}

export function parseStripeEnvelope(event: unknown): StripeEventEnvelope {
  return parseInput(envelope, event);
}

const COUNTED_BY_CHARGE_REFUNDED = new Set(["refund.created", "refund.updated", "charge.refund.updated"]);

export function readStripeEvent(event: StripeEventEnvelope): StripeEventReading {
  switch (event.type) {
    case "payment_intent.succeeded":
    case "payment_intent.payment_failed": {
      const intent = objectOf(paymentIntent, event);
      const succeeded = event.type === "payment_intent.succeeded";
      const movement: PaymentMovement = { paymentIntentId: intent.id, deltaMinor: succeeded ? intent.amount_received : 0, currency: fromStripeCurrency(intent.currency), ...tags(intent.metadata) };
      if (succeeded) return { kind: "movement", movement };
      const error = intent.last_payment_error;
      return { kind: "movement", movement, failure: (error?.message ?? error?.code ?? "the payment failed").slice(0, 500) };
    }
    case "charge.refunded": {
      const refunded = objectOf(charge, event);
      const paymentIntentId = idOf(refunded.payment_intent);
      if (!paymentIntentId) return { kind: "ignored", reason: `charge ${refunded.id} does not belong to a PaymentIntent` };
      const before = parseInput(previousRefunded, event).data.previous_attributes?.amount_refunded ?? 0;
      const refundedNow = Math.max(refunded.amount_refunded - before, 0);
      return { kind: "movement", movement: { paymentIntentId, deltaMinor: -refundedNow, currency: fromStripeCurrency(refunded.currency), ...tags(refunded.metadata) } };
    }
    case "refund.failed": {
      const failed = objectOf(refund, event);
      const paymentIntentId = idOf(failed.payment_intent);
      if (!paymentIntentId) return { kind: "ignored", reason: `refund ${failed.id} does not belong to a PaymentIntent` };
      return { kind: "movement", movement: { paymentIntentId, deltaMinor: failed.amount, currency: fromStripeCurrency(failed.currency), ...tags(failed.metadata) } };
    }
    default:
      if (COUNTED_BY_CHARGE_REFUNDED.has(event.type)) return { kind: "ignored", reason: `${event.type}: the refunded amount is applied from charge.refunded (and given back on refund.failed)` };
      return { kind: "ignored", reason: `${event.type} is not an event this service acts on` };
  }
}
