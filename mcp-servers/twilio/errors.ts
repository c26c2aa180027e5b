import { AppError, type ErrorCode, outcomeUnknown } from "../../lib/errors.js";

/**
 * Why a recipient got no message. The same words appear in send_invitations' per-recipient results
 * and in the details of send_sms errors, whichever rule or Twilio error caused it.
 */
export const SKIP_REASONS = [
  "invalid_number",
  "not_sms_capable",
  "time_zone_unknown",
  "quiet_hours",
  "opted_out",
  "rate_limited",
  "duplicate",
  "body_too_long",
  "vendor_error",
  "not_attempted",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface RefusalDetails {
  reason: SkipReason;
  field?: string;
  /** ISO instant from which the same message would be allowed (quiet hours, hourly limit). */
  retryAfter?: string;
  /** Twilio's error code when Twilio (or the sandbox, in Twilio's terms) refused. */
  twilioCode?: number;
  /**
   * Nothing will work for anyone right now (credentials, account rate limit, outage, unreachable):
   * a bulk send stops instead of trying every remaining recipient.
   */
  accountLevel?: boolean;
}

export function refusal(code: ErrorCode, message: string, details: RefusalDetails, cause?: unknown): AppError {
  return new AppError(code, message, { ...details }, { cause });
}

export function refusalDetails(error: AppError): RefusalDetails | undefined {
  const reason = error.details?.reason;
  return typeof reason === "string" && (SKIP_REASONS as readonly string[]).includes(reason) ? (error.details as unknown as RefusalDetails) : undefined;
}

/** What Twilio said, as its error object carries it (RestException: HTTP status, Twilio code, message). */
export interface TwilioFailure {
  status: number;
  code?: number;
  message?: string;
}

/**
 * Twilio's error codes in a planner's words. The sandbox raises the same codes for Twilio's magic
 * test numbers, so both backends fail alike.
 */
export function fromTwilioFailure(failure: TwilioFailure, to?: string): AppError {
  const twilioCode = failure.code;
  const said = failure.message ? ` Twilio said: ${failure.message}` : "";
  const number = to ?? "the recipient";
  switch (twilioCode) {
    case 21211:
      return refusal("validation_failed", `to: Twilio rejected ${number} as not a valid phone number (Twilio 21211); check the number with the guest.`, { reason: "invalid_number", field: "to", twilioCode });
    case 21612:
    case 21614:
      return refusal("validation_failed", `to: ${number} cannot receive SMS (a landline or an unroutable number, Twilio ${twilioCode}); reach this person another way.`, {
        reason: "not_sms_capable",
        field: "to",
        twilioCode,
      });
    case 21610:
      return refusal("forbidden", `${number} has unsubscribed from our messages (replied STOP, Twilio 21610); nothing can be sent until they reply START.`, { reason: "opted_out", field: "to", twilioCode });
    case 21408:
      return refusal("forbidden", `the Twilio account may not send SMS to ${number}'s country (Twilio 21408); enable the region in the Twilio console's geo permissions.`, {
        reason: "vendor_error",
        twilioCode,
      });
    case 21602:
    case 21617:
      return refusal("validation_failed", `body: Twilio refused the message body (Twilio ${twilioCode}): it must be 1 to 1600 characters.`, { reason: "body_too_long", field: "body", twilioCode });
    case 21212:
    case 21606:
    case 21659:
      return refusal("upstream_failed", `the configured sender TWILIO_FROM_NUMBER is not an SMS-capable number of this Twilio account (Twilio ${twilioCode}); an operator must fix the configuration.`, {
        reason: "vendor_error",
        twilioCode,
        accountLevel: true,
      });
    case 20003:
      return refusal("upstream_failed", `Twilio rejected the credentials (Twilio 20003); an operator must check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.`, { reason: "vendor_error", twilioCode, accountLevel: true });
    case 20404:
      return refusal("not_found", `Twilio has no such message (Twilio 20404).`, { reason: "vendor_error", field: "sid", twilioCode });
    case 20429:
      return refusal("rate_limited", `Twilio is limiting our request rate (429); nothing was sent, try again in a minute.${said}`, { reason: "vendor_error", twilioCode, accountLevel: true });
    default:
      break;
  }
  if (failure.status === 429) return refusal("rate_limited", `Twilio is limiting our request rate (429); nothing was sent, try again in a minute.${said}`, { reason: "vendor_error", twilioCode, accountLevel: true });
  if (failure.status === 401 || failure.status === 403) {
    return refusal("upstream_failed", `Twilio refused our credentials (HTTP ${failure.status}); an operator must check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.`, { reason: "vendor_error", twilioCode, accountLevel: true });
  }
  if (failure.status === 404) return refusal("not_found", `Twilio has no such resource (HTTP 404).${said}`, { reason: "vendor_error", twilioCode });
  if (failure.status >= 500) return refusal("upstream_failed", `Twilio failed (HTTP ${failure.status}); nothing was sent, try again later.${said}`, { reason: "vendor_error", twilioCode, accountLevel: true });
  return refusal("upstream_failed", `Twilio refused the request (HTTP ${failure.status}${twilioCode ? `, Twilio ${twilioCode}` : ""}).${said}`, { reason: "vendor_error", twilioCode });
}

/** A request that never got Twilio's answer: it may or may not have acted, so the message says so. */
export function unreachable(cause: unknown): AppError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return outcomeUnknown(
    refusal("upstream_failed", `Twilio could not be reached (${why}); if this was a send, it may or may not have gone out, so check with the recipient before sending it again.`, { reason: "vendor_error", accountLevel: true }, cause),
  );
}
