/**
 * The provider webhooks: no API key (`auth: false`) and no body schema, so no JSON parser runs
 * before the handler reads the raw bytes and checks the provider's signature on them.
 *
 * A webhook whose secret is not configured is not mounted at all: it answers 404 like any unknown
 * path and is left out of the OpenAPI document, which lists only what this process serves. A 503
 * would tell an outside caller which integrations exist but are unset; the operator learns it
 * from the startup log line below instead.
 */
import type { ApiDeps } from "../deps.js";
import { defineRoute, type RouteDefinition } from "../route.js";
import { countedWebhook } from "./outcome.js";
import { handleSlackEvent } from "./slack-events.js";
import { handleSlackInteraction } from "./slack-interactions.js";
import { stripeRoutes } from "./stripe-routes.js";
import { twilioRoutes } from "./twilio-routes.js";

const DEFAULT_WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

export function webhookRoutes(deps: ApiDeps): RouteDefinition[] {
  const bodyLimitBytes = deps.options?.bodyLimitBytes ?? DEFAULT_WEBHOOK_BODY_LIMIT_BYTES;
  const routes: RouteDefinition[] = [];
  const slackSecret = deps.config.slack.signingSecret;
  if (slackSecret) {
    routes.push(
      defineRoute({
        method: "post",
        path: "/webhooks/slack/events",
        operationId: "slackEvents",
        summary: "Slack Events API: app mentions and direct messages become planning requests",
        description:
          "Signed by Slack (`X-Slack-Signature`, `X-Slack-Request-Timestamp`, at most 5 minutes old); JSON. `url_verification` is answered with its challenge. " +
          "An `app_mention`, or a `message` in a DM with the app, becomes a message in the conversation of its Slack thread (in the EVENT_PLANNER_WORKSPACE workspace) and a run a worker plans; the answer is posted in the thread. " +
          "Redeliveries (`X-Slack-Retry-Num`) of an `event_id` are acknowledged and create nothing. Other events (bots, edits, channel messages without a mention) are acknowledged and ignored.",
        tag: "webhooks",
        auth: false,
        request: {},
        responses: {
          200: { description: "Acknowledged; for `url_verification`, `{ challenge }`" },
          400: { description: "Signed, but not Slack event JSON; `details.field` names the problem" },
          401: { description: "Missing, forged or stale Slack signature" },
          413: { description: "Body larger than the API accepts" },
        },
        handle: countedWebhook(deps.metrics, "slack", (ctx) => handleSlackEvent(deps, ctx, { signingSecret: slackSecret, bodyLimitBytes })),
      }),
      defineRoute({
        method: "post",
        path: "/webhooks/slack/interactions",
        operationId: "slackInteractions",
        summary: "Slack interactivity: the Approve and Reject buttons of approval messages",
        description:
          "Signed by Slack (`X-Slack-Signature`, `X-Slack-Request-Timestamp`, at most 5 minutes old); form-encoded `payload`. The button's signed approval token names the approval. A refused decision answers 200 with an ephemeral text.",
        tag: "webhooks",
        auth: false,
        request: {},
        responses: {
          200: { description: "Acknowledged; for an approval button, `{ response_type: \"ephemeral\", text }` tells the clicker what happened" },
          400: { description: "Signed, but not a Slack interaction payload" },
          401: { description: "Missing, forged or stale Slack signature" },
          413: { description: "Body larger than the API accepts" },
        },
        handle: countedWebhook(deps.metrics, "slack", (ctx) => handleSlackInteraction(deps, ctx, { signingSecret: slackSecret, bodyLimitBytes })),
      }),
    );
  } else {
    deps.logger.info("POST /webhooks/slack/events and /webhooks/slack/interactions are not served: SLACK_SIGNING_SECRET is not set");
  }
  routes.push(...twilioRoutes(deps));
  routes.push(...stripeRoutes(deps));
  return routes;
}
