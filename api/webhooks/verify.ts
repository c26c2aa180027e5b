/**
 * Signature checks for the providers' webhooks. Each is a pure function over the RAW body exactly as
 * it arrived (re-serialising parsed JSON or form data changes bytes and breaks the signature), with
 * the clock injectable so tests can sign at a chosen time. Every refusal is an `unauthorized`
 * AppError; the message says what was wrong with the request, never what the right signature is.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import Stripe from "stripe";
import twilio from "twilio";
import { AppError } from "../../lib/errors.js";
import { STALE_REASON } from "./outcome.js";

/** Slack's documented replay window: requests signed more than five minutes ago are refused. */
export const SLACK_MAX_AGE_SECONDS = 5 * 60;
/** Stripe's default tolerance, passed explicitly so the window is visible here. */
export const STRIPE_TOLERANCE_SECONDS = 300;

function unauthorized(message: string, stale = false): AppError {
  return new AppError("unauthorized", message, stale ? { reason: STALE_REASON } : undefined);
}

function equalSecrets(presented: Buffer, expected: Buffer): boolean {
  // timingSafeEqual throws on different lengths; a length mismatch is a plain "no".
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

export interface SlackSignatureInput {
  signingSecret: string;
  rawBody: Buffer | string;
  /** The `X-Slack-Request-Timestamp` header (seconds since the epoch). */
  timestamp: string | undefined;
  /** The `X-Slack-Signature` header, `v0=<hex>`. */
  signature: string | undefined;
  now?: Date;
}

/**
 * Slack's v0 scheme: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{rawBody}` with the signing secret.
 * The timestamp is inside the MAC, so checking its age (both ways: a clock far in the future is as
 * suspect as an old one) stops a captured request from being replayed later.
 */
export function verifySlackSignature(input: SlackSignatureInput): void {
  const { signingSecret, rawBody, timestamp, signature } = input;
  if (!timestamp || !signature) throw unauthorized("Slack request is missing X-Slack-Request-Timestamp or X-Slack-Signature");
  if (!/^\d{1,12}$/.test(timestamp)) throw unauthorized("X-Slack-Request-Timestamp must be seconds since the epoch");
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > SLACK_MAX_AGE_SECONDS) throw unauthorized("Slack request timestamp is more than 5 minutes from now; refusing a possible replay", true);
  const match = /^v0=([0-9a-f]{64})$/.exec(signature);
  if (!match?.[1]) throw unauthorized("X-Slack-Signature must be v0=<64 hex digits>");
  const body = typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody;
  const expected = createHmac("sha256", signingSecret).update(`v0:${timestamp}:`).update(body).digest();
  if (!equalSecrets(Buffer.from(match[1], "hex"), expected)) throw unauthorized("Slack signature does not match the request body");
}

export interface TwilioSignatureInput {
  authToken: string;
  /** The `X-Twilio-Signature` header. */
  signature: string | undefined;
  /** The full public URL Twilio called (scheme, host, path and query), as configured in Twilio's console. */
  url: string;
  /** The raw form-encoded body; Twilio signs its parameters, which are parsed from it here. */
  rawBody: Buffer | string;
}

/**
 * Twilio signs the URL plus the sorted POST parameters (HMAC-SHA1, base64); the SDK's validator does
 * the canonicalisation, so this only feeds it the parameters parsed from the raw body. Twilio's
 * scheme has no timestamp: replays are stopped by deduplicating on MessageSid instead.
 */
export function verifyTwilioSignature(input: TwilioSignatureInput): Record<string, string> {
  if (!input.signature) throw unauthorized("Twilio request is missing X-Twilio-Signature");
  const text = typeof input.rawBody === "string" ? input.rawBody : input.rawBody.toString("utf8");
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) params[key] = value;
  if (!twilio.validateRequest(input.authToken, input.signature, input.url, params)) throw unauthorized("Twilio signature does not match the request URL and parameters");
  return params;
}

export interface StripeSignatureInput {
  webhookSecret: string;
  rawBody: Buffer | string;
  /** The `Stripe-Signature` header, `t=…,v1=…`. */
  signature: string | undefined;
  now?: Date;
}

/** The verified event; the SDK checks the `v1` HMAC over `{t}.{rawBody}` and refuses a `t` older than the tolerance. */
export function verifyStripeSignature(input: StripeSignatureInput): Stripe.Event {
  if (!input.signature) throw unauthorized("Stripe request is missing Stripe-Signature");
  try {
    return Stripe.webhooks.constructEvent(input.rawBody, input.signature, input.webhookSecret, STRIPE_TOLERANCE_SECONDS, undefined, (input.now ?? new Date()).getTime());
  } catch (error) {
    // The SDK's message says which part failed (no signature for the secret, timestamp outside the tolerance) and nothing secret.
    const reason = error instanceof Error ? error.message.split("\n")[0] : "invalid signature";
    const stale = error instanceof Stripe.errors.StripeSignatureVerificationError && /tolerance/i.test(error.message);
    throw new AppError("unauthorized", `Stripe signature refused: ${reason}`, stale ? { reason: STALE_REASON } : undefined, { cause: error });
  }
}
