/** The Stripe webhook, mounted only when STRIPE_WEBHOOK_SECRET (the endpoint's whsec_… secret) is set. */
import type { ApiDeps } from "../deps.js";
import { defineRoute, type RouteDefinition } from "../route.js";
import { countedWebhook } from "./outcome.js";
import { handleStripeEvent } from "./stripe-webhook.js";
import { STRIPE_TOLERANCE_SECONDS } from "./verify.js";

/** Stripe's events carry whole objects; 1 MiB is far above any we read. */
const DEFAULT_STRIPE_BODY_LIMIT_BYTES = 1024 * 1024;

export function stripeRoutes(deps: ApiDeps): RouteDefinition[] {
  const webhookSecret = deps.config.stripe.webhookSecret;
  if (!webhookSecret) {
    deps.logger.info("POST /webhooks/stripe is not served: STRIPE_WEBHOOK_SECRET is not set");
    return [];
  }
  const options = { webhookSecret, bodyLimitBytes: deps.options?.bodyLimitBytes ?? DEFAULT_STRIPE_BODY_LIMIT_BYTES };
  return [
    defineRoute({
      method: "post",
      path: "/webhooks/stripe",
      operationId: "stripeEvents",
      summary: "Stripe events: payments and refunds update the budget lines they pay for",
      description:
        `Signed by Stripe (\`Stripe-Signature\`: \`t=…,v1=…\`, checked with the SDK's constructEvent against STRIPE_WEBHOOK_SECRET; a timestamp more than ${STRIPE_TOLERANCE_SECONDS / 60} minutes old is refused). ` +
        "Deduplicated on the event id. The payment's metadata (set by the stripe MCP server) names its event, whose workspace it belongs to, and in `vendor_reference` the venue booking or vendor quote the budget line is linked to. " +
        "payment_intent.succeeded adds the amount received to that line's committed amount, charge.refunded takes the refunded amount back off, refund.failed puts it back; payment_intent.payment_failed changes no amount and is recorded with Stripe's reason. " +
        "Other event types, and payments that match no budget line, are acknowledged and recorded as ignored.",
      tag: "webhooks",
      auth: false,
      request: {},
      responses: {
        200: { description: "Applied, ignored or a redelivery: `{ received: true }`" },
        400: { description: "Signed, but a field this route reads is missing or malformed (`details.field` names it, e.g. `data.object.amount_received`)" },
        401: { description: "Missing, forged or stale Stripe signature" },
        413: { description: "Body larger than the API accepts" },
      },
      handle: countedWebhook(deps.metrics, "stripe", (ctx) => handleStripeEvent(deps, ctx, options)),
    }),
  ];
}
