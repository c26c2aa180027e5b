import type { z } from "zod";
import { listOutbox } from "../../../domain/sandbox.js";
import type { ApiDeps } from "../../deps.js";
import { defineRoute, type RouteDefinition } from "../../route.js";
import { domainContext } from "../../state.js";
import { outboxListSchema, outboxQuery } from "./schema.js";

export function outboxRoutes(deps: ApiDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: "get",
      path: "/v1/outbox",
      operationId: "listOutbox",
      summary: "What the sandbox integrations did: SMS, Slack posts, payments, calendar entries, documents",
      tag: "sandbox",
      auth: true,
      request: { query: outboxQuery },
      responses: { 200: { description: "Sandbox objects, newest first", schema: outboxListSchema } },
      handle: async (ctx, { query }) => {
        const data = await listOutbox(domainContext(ctx, deps.db), query.kind, query.limit);
        ctx.body = { data } satisfies z.input<typeof outboxListSchema>;
      },
    }),
  ];
}
