import type { z } from "zod";
import { getEventDetails, listEvents } from "../../../domain/events.js";
import type { ApiDeps } from "../../deps.js";
import { defineRoute, type RouteDefinition } from "../../route.js";
import { idParams } from "../../schemas.js";
import { domainContext } from "../../state.js";
import { eventDetailsSchema, eventListSchema, listEventsQuery } from "./schema.js";

export function eventRoutes(deps: ApiDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: "get",
      path: "/v1/events",
      operationId: "listEvents",
      summary: "List events, newest first",
      tag: "events",
      auth: true,
      request: { query: listEventsQuery },
      responses: { 200: { description: "Events", schema: eventListSchema } },
      handle: async (ctx, { query }) => {
        const data = await listEvents(domainContext(ctx, deps.db), query);
        ctx.body = { data } satisfies z.input<typeof eventListSchema>;
      },
    }),
    defineRoute({
      method: "get",
      path: "/v1/events/:id",
      operationId: "getEvent",
      summary: "An event with its venue bookings, vendor quotes, guests, tasks and budget lines",
      tag: "events",
      auth: true,
      request: { params: idParams },
      responses: { 200: { description: "The event", schema: eventDetailsSchema } },
      handle: async (ctx, { params }) => {
        ctx.body = (await getEventDetails(domainContext(ctx, deps.db), params.id)) satisfies z.input<typeof eventDetailsSchema>;
      },
    }),
  ];
}
