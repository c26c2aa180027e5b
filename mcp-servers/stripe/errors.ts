import { AppError, type ErrorCode } from "../../lib/errors.js";

/**
 * Stripe's error body (`{ error: { type, code, message, param, decline_code } }`) as our error
 * codes, with a message that names the tool's field and tells a planner what to do next. The
 * sandbox raises the same bodies through this function, so a model sees the same error from
 * either backend.
 */
export interface StripeErrorBody {
  type: string;
  code?: string;
  message?: string;
  param?: string;
  decline_code?: string;
}

export interface StripeErrorContext {
  /** The HTTP status Stripe answered with. */
  status?: number;
  /** From the Retry-After header of a 429. */
  retryAfterSeconds?: number;
}

/** Stripe's parameter names as the tool fields a planner filled in. */
function fieldFor(param: string | undefined): string | undefined {
  if (!param) return undefined;
  if (/unit_amount/.test(param) && param.startsWith("line_items")) return "unitAmountMinor";
  if (/^(amount|amount_received)$/.test(param)) return "amountMinor";
  if (/destination/.test(param)) return "vendorStripeAccount";
  if (/^(payment_intent|charge|intent)$/.test(param)) return "paymentId";
  if (param === "customer") return "customerId";
  if (param.startsWith("restrictions")) return "quantityLimit";
  if (param === "days_until_due") return "daysUntilDue";
  if (/^(unit_amount_decimal|quantity)$/.test(param)) return "lineItems";
  if (/currency$/.test(param)) return "currency";
  return param;
}

function appError(code: ErrorCode, message: string, body: StripeErrorBody, field: string | undefined, extra: Record<string, unknown> = {}): AppError {
  return new AppError(code, field ? `${field}: ${message}` : message, {
    ...(field ? { field } : {}),
    stripeType: body.type,
    ...(body.code ? { stripeCode: body.code } : {}),
    ...(body.decline_code ? { declineCode: body.decline_code } : {}),
    ...extra,
  });
}

export function stripeError(body: StripeErrorBody, context: StripeErrorContext = {}): AppError {
  const field = fieldFor(body.param);
  // Stripe's messages end in a full stop; ours go on after them.
  const said = (body.message ?? body.code ?? body.type).replace(/\.\s*$/, "");
  const tag = body.code ? ` (Stripe: ${body.code})` : "";
  const status = context.status;

  if (body.type === "card_error") {
    const reason = body.decline_code ?? body.code ?? "card_declined";
    return appError(
      "upstream_failed",
      `Stripe declined the payment: ${said} (${reason}). Nothing was charged; a person must check the company's payment method before trying again with a new idempotency_key.`,
      body,
      undefined,
    );
  }
  if (body.type === "rate_limit_error" || status === 429 || body.code === "rate_limit") {
    const after = context.retryAfterSeconds;
    return appError("rate_limited", `Stripe is rate limiting this account${after !== undefined ? `; retry after ${after} seconds` : "; retry in a few seconds"} with the same idempotency_key`, body, undefined, {
      retryAfterSeconds: after,
    });
  }
  if (body.type === "authentication_error" || status === 401) {
    return appError("unauthorized", "Stripe rejected the API key; an operator must fix STRIPE_SECRET_KEY before anything can be charged", body, undefined);
  }
  if (body.type === "permission_error" || status === 403) {
    return appError("forbidden", `Stripe does not let this API key do that: ${said}`, body, field);
  }
  if (body.type === "idempotency_error" || body.code === "idempotency_key_in_use") {
    return appError("conflict", `${said}${tag}. The idempotency_key was used for a different request, or that request is still running: use a new key for a new action.`, body, "idempotency_key");
  }
  if (body.code === "resource_missing" || status === 404) {
    return appError("not_found", `${said}${tag}`, body, field);
  }
  if (body.code === "charge_already_refunded") {
    return appError("conflict", `${said}${tag}; nothing is left to refund`, body, field ?? "paymentId");
  }
  if (body.type === "invalid_request_error") {
    return appError("validation_failed", `${said}${tag}`, body, field);
  }
  return appError("upstream_failed", `Stripe failed: ${said}${tag}. Retry later with the same idempotency_key; Stripe will not act twice.`, body, undefined);
}

/**
 * Stripe emails a send_invoice invoice to the customer's address and refuses one without it. Both
 * backends check first, so no half-built invoice is left in Stripe.
 */
export function missingEmail(customerId: string): AppError {
  return stripeError({
    type: "invalid_request_error",
    param: "customer",
    message: `Missing email. In order to send an invoice, the customer ${customerId} must have a valid email; create a customer with an email and invoice that one.`,
  });
}
