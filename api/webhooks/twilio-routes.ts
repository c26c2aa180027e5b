/**
 * The Twilio webhooks, mounted only when TWILIO_AUTH_TOKEN is set (without it no signature can be
 * checked). Both verify `X-Twilio-Signature` over PUBLIC_BASE_URL + path and query; the inbound SMS
 * route records messages through the same twilio backend the MCP server and workers use.
 */
import { createTwilioBackendFromConfig } from "../../mcp-servers/twilio/server.js";
import type { ApiDeps } from "../deps.js";
import { defineRoute, type RouteDefinition } from "../route.js";
import { countedWebhook } from "./outcome.js";
import type { TwilioWebhookOptions } from "./twilio-request.js";
import { handleInboundSms } from "./twilio-sms.js";
import { handleSmsStatus } from "./twilio-status.js";

/** Twilio posts a few form fields: a message body is at most 1600 characters. */
const DEFAULT_TWILIO_BODY_LIMIT_BYTES = 64 * 1024;

const SIGNATURE =
  "Signed by Twilio (`X-Twilio-Signature`: HMAC-SHA1 with the auth token over the URL Twilio called and the sorted form parameters). " +
  "The URL is PUBLIC_BASE_URL + this path and query; without PUBLIC_BASE_URL, the request's own origin, which is wrong behind a proxy or TLS terminator, so set it there. " +
  "Twilio's scheme has no timestamp: a replayed delivery is recognised by its MessageSid and has no second effect.";

export function twilioRoutes(deps: ApiDeps): RouteDefinition[] {
  const authToken = deps.config.twilio.authToken;
  if (!authToken) {
    deps.logger.info("POST /webhooks/twilio/sms and /webhooks/twilio/status are not served: TWILIO_AUTH_TOKEN is not set");
    return [];
  }
  const options: TwilioWebhookOptions = {
    authToken,
    publicBaseUrl: deps.config.publicBaseUrl,
    bodyLimitBytes: deps.options?.bodyLimitBytes ?? DEFAULT_TWILIO_BODY_LIMIT_BYTES,
  };
  const backend = createTwilioBackendFromConfig({ config: deps.config, logger: deps.logger });
  const refusals = {
    400: { description: "Signed, but a parameter this route needs is missing or malformed (`details.field` names it, e.g. `MessageSid`)" },
    401: { description: "Missing or forged Twilio signature, or one made for another URL" },
    413: { description: "Body larger than the API accepts" },
  };
  return [
    defineRoute({
      method: "post",
      path: "/webhooks/twilio/sms",
      operationId: "twilioInboundSms",
      summary: "Twilio inbound SMS: guests' RSVPs, STOP/START and replies",
      description:
        `${SIGNATURE} Form-encoded \`MessageSid\`, \`From\`, \`To\`, \`Body\`. The sender is matched to the guest most recently invited or texted at that number, in whichever workspace. ` +
        "YES/NO/MAYBE and common variants (any case, with a plus-one count such as `yes +2`) record the guest's RSVP; STOP/START (Twilio's keywords) opt the number out of or back into our texts; " +
        "other text is kept on the guest's notes as untrusted text and, with SMS_REPLIES_TO_AGENT=true, starts an agent run in the event's conversation that reads it fenced. Nothing is texted back.",
      tag: "webhooks",
      auth: false,
      request: {},
      responses: {
        200: { description: "Handled, ignored (no guest has the number) or a redelivery: empty TwiML, `<Response/>`", contentType: "text/xml" },
        ...refusals,
      },
      handle: countedWebhook(deps.metrics, "twilio", (ctx) => handleInboundSms(deps, backend, ctx, options)),
    }),
    defineRoute({
      method: "post",
      path: "/webhooks/twilio/status",
      operationId: "twilioMessageStatus",
      summary: "Twilio status callback: delivery status of an SMS we sent",
      description:
        `${SIGNATURE} Form-encoded \`MessageSid\`, \`MessageStatus\` (queued, sent, delivered, undelivered, failed …) and \`ErrorCode\` when delivery failed; ` +
        "one delivery per (MessageSid, MessageStatus). The status is stored on the sending workspace's record of the message (what get_message_status and list_sent_messages show); a status behind the recorded one is ignored.",
      tag: "webhooks",
      auth: false,
      request: {},
      responses: {
        204: { description: "Handled, ignored (not a message we sent) or a redelivery" },
        ...refusals,
      },
      handle: countedWebhook(deps.metrics, "twilio", (ctx) => handleSmsStatus(deps, ctx, options)),
    }),
  ];
}
