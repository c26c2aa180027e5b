/**
 * How each provider signs a webhook, for tests that play the provider (or an attacker). Slack's v0
 * scheme is computed from its documentation; Twilio's and Stripe's come from their own SDKs, so a
 * test signs exactly as the provider would.
 */
import { createHmac } from "node:crypto";
import Stripe from "stripe";
import twilio from "twilio";

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** `X-Slack-Request-Timestamp` and `X-Slack-Signature` (v0: HMAC-SHA256 of `v0:{ts}:{body}`). */
export function slackSignatureHeaders(body: string, secret: string, timestamp = nowSeconds()): Record<string, string> {
  const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
  return { "X-Slack-Request-Timestamp": String(timestamp), "X-Slack-Signature": signature };
}

/** `X-Twilio-Signature` over the URL Twilio called and the form parameters. */
export function twilioSignatureHeaders(params: Record<string, string>, authToken: string, url: string): Record<string, string> {
  return { "X-Twilio-Signature": twilio.getExpectedTwilioSignature(authToken, url, params) };
}

/** `Stripe-Signature` (`t=…,v1=…`) for a payload, at `timestamp` (seconds) or now. */
export function stripeSignatureHeaders(payload: string, secret: string, timestamp?: number): Record<string, string> {
  return { "Stripe-Signature": Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp !== undefined ? { timestamp } : {}) }) };
}
