/**
 * What both Twilio webhooks do first: read the raw form body and check `X-Twilio-Signature` over
 * the URL Twilio called. Twilio signs the public URL configured in its console (scheme, host, path
 * and query), which this process only knows from PUBLIC_BASE_URL: behind a proxy or TLS terminator
 * the request's own origin is the proxy's upstream (http://api:8000), never what Twilio signed.
 */
import twilio from "twilio";
import { AppError } from "../../lib/errors.js";
import type { ApiContext } from "../state.js";
import { readRawBody } from "./raw-body.js";
import { verifyTwilioSignature } from "./verify.js";

export interface TwilioWebhookOptions {
  authToken: string;
  /** PUBLIC_BASE_URL without a trailing slash; unset: the request's own origin. */
  publicBaseUrl: string | undefined;
  bodyLimitBytes: number;
}

/** The URL Twilio signed: the public base (which may carry a path prefix the proxy strips) + this request's path and query, or this request's own URL. */
export function signedUrl(ctx: ApiContext, publicBaseUrl: string | undefined): string {
  return publicBaseUrl ? `${publicBaseUrl}${ctx.originalUrl}` : ctx.href;
}

/** The verified request's parameters; an unsigned or forged request is refused before anything is parsed. */
export async function readSignedTwilioParams(ctx: ApiContext, options: TwilioWebhookOptions): Promise<Record<string, string>> {
  const raw = await readRawBody(ctx, options.bodyLimitBytes);
  const url = signedUrl(ctx, options.publicBaseUrl);
  // A garbled Host header makes no URL at all; the SDK would throw a TypeError (a 500) on it.
  if (!URL.canParse(url)) throw new AppError("unauthorized", "Twilio signature cannot match: the request's URL is not a valid URL (set PUBLIC_BASE_URL)");
  return verifyTwilioSignature({ authToken: options.authToken, signature: ctx.get("X-Twilio-Signature") || undefined, url, rawBody: raw });
}

/** Twilio's "nothing to say": an empty TwiML document, from the SDK's builder. */
export function answerWithEmptyTwiml(ctx: ApiContext): void {
  ctx.status = 200;
  ctx.type = "text/xml";
  ctx.body = new twilio.twiml.MessagingResponse().toString();
}
