/**
 * Slack ignores the HTTP body of an answer to a button click: what the clicker sees is what we post
 * to the interaction's `response_url` (Slack's own incoming-webhook client does the posting). It runs
 * after the answer has gone out, so Slack's 3 s deadline never waits on it, and a failure is logged:
 * the decision it reports is already stored.
 */
import { IncomingWebhook, type IncomingWebhookSendArguments } from "@slack/webhook";
import type { Config } from "../../lib/config.js";
import type { Logger } from "../../lib/logger.js";

/** Replace the approval message (its buttons go with it) or add a note only the clicker sees. */
export interface ResponseUrlMessage {
  text: string;
  replaceOriginal: boolean;
}

/**
 * Only Slack's own hosts (or SLACK_BASE_URL's, where tests run a fake Slack): a response_url is inside
 * the signed body, but a leaked signing secret must not turn this into a request to anywhere.
 */
export function isSlackResponseUrl(config: Pick<Config, "slack">, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (config.slack.baseUrl) return parsed.origin === new URL(config.slack.baseUrl).origin;
  return parsed.protocol === "https:" && (parsed.hostname === "hooks.slack.com" || parsed.hostname.endsWith(".slack.com"));
}

export function postToResponseUrl(config: Pick<Config, "slack">, log: Logger, url: string | undefined, message: ResponseUrlMessage): void {
  if (!url) return;
  if (!isSlackResponseUrl(config, url)) {
    log.warn("slack interaction response_url is not a Slack URL; not posting to it");
    return;
  }
  const body: IncomingWebhookSendArguments & { replace_original: boolean; response_type?: "ephemeral" } = {
    text: message.text,
    replace_original: message.replaceOriginal,
    ...(message.replaceOriginal ? {} : { response_type: "ephemeral" as const }),
  };
  new IncomingWebhook(url, { timeout: 5_000 }).send(body).catch((error: unknown) => log.warn({ err: error }, "could not post to the slack interaction's response_url"));
}
