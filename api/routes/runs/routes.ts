import type { z } from "zod";
import { getRunWithSteps, requestRunCancel } from "../../../domain/runs.js";
import type { ApiDeps } from "../../deps.js";
import { defineRoute, type RouteDefinition } from "../../route.js";
import { idParams } from "../../schemas.js";
import { domainContext } from "../../state.js";
import { presentRun, runSchema, streamHeaders } from "./schema.js";
import { streamRun } from "./stream.js";

export function runRoutes(deps: ApiDeps): RouteDefinition[] {
  const heartbeatMs = deps.options?.sseHeartbeatMs ?? 15_000;
  return [
    defineRoute({
      method: "get",
      path: "/v1/runs/:id",
      operationId: "getRun",
      summary: "A run with its steps, usage and outcome",
      tag: "runs",
      auth: true,
      request: { params: idParams },
      responses: { 200: { description: "The run", schema: runSchema } },
      handle: async (ctx, { params }) => {
        ctx.body = presentRun(await getRunWithSteps(domainContext(ctx, deps.db), params.id)) satisfies z.input<typeof runSchema>;
      },
    }),
    defineRoute({
      method: "get",
      path: "/v1/runs/:id/stream",
      operationId: "streamRun",
      summary: "Follow a run as Server-Sent Events",
      description: [
        "First the persisted steps after Last-Event-ID (`event: step`, `id: <seq>`, data `{ runId, seq, kind, payload, usage, createdAt }`),",
        "then live progress events (`event: <type>`, data a progress event; those that mirror a step carry `id: <seq>`),",
        "with `: heartbeat` comments every 15 s. `event: finished` with a terminal status (succeeded, failed, cancelled) is the last frame;",
        "a finished event with status awaiting_approval only reports a pause.",
      ].join(" "),
      tag: "runs",
      auth: true,
      request: { params: idParams, headers: streamHeaders },
      responses: { 200: { description: "An event stream", contentType: "text/event-stream" } },
      handle: async (ctx, { params, headers }) => {
        await streamRun(ctx, { domain: domainContext(ctx, deps.db), runId: params.id, afterSeq: headers["last-event-id"], progress: deps.progress, heartbeatMs });
      },
    }),
    defineRoute({
      method: "post",
      path: "/v1/runs/:id/cancel",
      operationId: "cancelRun",
      summary: "Cancel a run",
      description: "A queued run or one waiting for approval is cancelled at once; a running one stops after its current step (cancelRequestedAt is set). Cancelling a cancelled run is a no-op; a finished one answers 409.",
      tag: "runs",
      auth: true,
      request: { params: idParams },
      responses: { 200: { description: "The run after the request", schema: runSchema }, 409: { description: "The run already finished" } },
      handle: async (ctx, { params }) => {
        const domain = domainContext(ctx, deps.db);
        const run = await requestRunCancel(domain, params.id);
        ctx.body = presentRun(await getRunWithSteps(domain, run.id)) satisfies z.input<typeof runSchema>;
      },
    }),
  ];
}
