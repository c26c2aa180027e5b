import { AppError } from "../../lib/errors.js";

/**
 * Slack's error strings (`{ ok: false, error: "channel_not_found" }`) as our error codes, with a
 * message that tells a planner what to do next. The sandbox raises the same strings through this
 * function, so a model sees the same error from either backend.
 */
export interface SlackErrorContext {
  /** The Web API method, e.g. chat.postMessage. */
  method: string;
  /** `#event-planning` or the id the caller gave. */
  channel?: string;
  ts?: string;
  retryAfterSeconds?: number;
  /** For missing_scope: the scope Slack says is needed. */
  needed?: string;
}

const AUTH_ERRORS = new Set(["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission", "org_login_required", "ekm_access_denied"]);

export function slackError(error: string, context: SlackErrorContext): AppError {
  const where = context.channel ?? "the channel";
  const details = { slackError: error, method: context.method };
  if (AUTH_ERRORS.has(error)) {
    return new AppError("unauthorized", `Slack rejected the bot token (${error}); an operator must fix SLACK_BOT_TOKEN before anything can be posted`, details);
  }
  switch (error) {
    case "channel_not_found":
      return new AppError("not_found", `Slack channel ${where} was not found (channel_not_found); list_channels shows the channels this bot can see`, { ...details, field: "channel" });
    case "not_in_channel":
      return new AppError("forbidden", `The bot is not a member of ${where} (not_in_channel); a person must invite it there with /invite`, { ...details, field: "channel" });
    case "is_archived":
      return new AppError("invalid_state", `${where} is archived (is_archived); choose another channel`, { ...details, field: "channel" });
    case "thread_not_found":
      return new AppError("not_found", `No thread${context.ts ? ` ${context.ts}` : ""} in ${where} (thread_not_found); use the ts of a message returned by post_message or read_channel`, {
        ...details,
        field: "threadTs",
      });
    case "message_not_found":
      return new AppError("not_found", `No message${context.ts ? ` ${context.ts}` : ""} in ${where} (message_not_found)`, { ...details, field: "ts" });
    case "ratelimited":
    case "rate_limited": {
      const after = context.retryAfterSeconds;
      return new AppError("rate_limited", `Slack is rate limiting this bot (ratelimited)${after !== undefined ? `; retry after ${after} seconds` : "; retry later"}`, {
        ...details,
        retryAfterSeconds: after,
      });
    }
    case "missing_scope":
      return new AppError("forbidden", `The Slack app lacks the permission ${context.needed ?? "this call needs"} (missing_scope); an operator must add it and reinstall the app`, details);
    case "restricted_action":
    case "restricted_action_read_only_channel":
    case "restricted_action_thread_only_channel":
    case "restricted_action_non_threadable_channel":
    case "cant_reply_to_message":
      return new AppError("forbidden", `Slack does not let this bot post there (${error})`, { ...details, field: "channel" });
    case "no_text":
      return new AppError("validation_failed", "text: must not be empty (no_text)", { ...details, field: "text" });
    case "msg_too_long":
      return new AppError("validation_failed", "text: is too long for Slack (msg_too_long)", { ...details, field: "text" });
    case "invalid_blocks":
    case "invalid_blocks_format":
      return new AppError("validation_failed", `blocks: Slack refused the message layout (${error})`, { ...details, field: "blocks" });
    case "invalid_name":
      return new AppError("validation_failed", "emoji: Slack knows no emoji by that name (invalid_name); use a standard name such as white_check_mark or eyes", { ...details, field: "emoji" });
    case "too_many_reactions":
      return new AppError("limit_exceeded", "That message has as many reactions as Slack allows (too_many_reactions)", details);
    case "too_many_emoji":
      return new AppError("limit_exceeded", "That message has as many different emoji as Slack allows (too_many_emoji)", details);
    case "invalid_ts_latest":
    case "invalid_ts_oldest":
    case "invalid_thread_ts":
      return new AppError("validation_failed", `threadTs: not a Slack message ts (${error})`, { ...details, field: "threadTs" });
    default:
      return new AppError("upstream_failed", `Slack refused ${context.method} (${error})`, details);
  }
}
