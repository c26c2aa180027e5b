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
import { handleSlackInteraction } from "./slack-interactions.js";

const DEFAULT_WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

export function webhookRoutes(deps: ApiDeps): RouteDefinition[] {
  const bodyLimitBytes = deps.options?.bodyLimitBytes ?? DEFAULT_WEBHOOK_BODY_LIMIT_BYTES;
  const routes: RouteDefinition[] = [];
  const slackSecret = deps.config.slack.signingSecret;
  if (slackSecret) {
    routes.push(
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
    deps.logger.info("POST /webhooks/slack/interactions is not served: SLACK_SIGNING_SECRET is not set");
  }
  return routes;
}
