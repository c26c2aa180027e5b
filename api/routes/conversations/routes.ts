import type { z } from "zod";
import { createConversation, getConversationThread, listConversations } from "../../../domain/conversations.js";
import { submitPlanningRequest } from "../../../domain/planning-requests.js";
import { isTerminalRunStatus } from "../../../domain/runs.js";
import type { ApiDeps } from "../../deps.js";
import { handToWorkers } from "../../enqueue.js";
import { defineRoute, type RouteDefinition } from "../../route.js";
import { idParams } from "../../schemas.js";
import { domainContext } from "../../state.js";
import {
  acceptedMessageSchema,
  conversationListSchema,
  createConversationBody,
  createdConversationSchema,
  listConversationsQuery,
  sendMessageBody,
  sendMessageHeaders,
  threadSchema,
} from "./schema.js";

/** The model a new run records: the offline model has no model id of its own. */
function runModel(config: ApiDeps["config"]): { provider: string; model: string } {
  const { provider, model } = config.llm;
  return { provider, model: provider === "offline" ? "offline" : model };
}

export function conversationRoutes(deps: ApiDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: "post",
      path: "/v1/conversations",
      operationId: "createConversation",
      summary: "Start a conversation",
      tag: "conversations",
      auth: true,
      request: { body: createConversationBody },
      responses: { 201: { description: "Created", schema: createdConversationSchema } },
      handle: async (ctx, { body }) => {
        const conversation = await createConversation(domainContext(ctx, deps.db), { ...body, channel: "api" });
        ctx.status = 201;
        ctx.set("Location", `/v1/conversations/${conversation.id}`);
        ctx.body = conversation satisfies z.input<typeof createdConversationSchema>;
      },
    }),
    defineRoute({
      method: "get",
      path: "/v1/conversations",
      operationId: "listConversations",
      summary: "List conversations, most recently active first",
      tag: "conversations",
      auth: true,
      request: { query: listConversationsQuery },
      responses: { 200: { description: "Conversations", schema: conversationListSchema } },
      handle: async (ctx, { query }) => {
        const data = await listConversations(domainContext(ctx, deps.db), { limit: query.limit });
        ctx.body = { data } satisfies z.input<typeof conversationListSchema>;
      },
    }),
    defineRoute({
      method: "get",
      path: "/v1/conversations/:id",
      operationId: "getConversation",
      summary: "A conversation with its messages and runs, oldest first",
      tag: "conversations",
      auth: true,
      request: { params: idParams },
      responses: { 200: { description: "The thread", schema: threadSchema } },
      handle: async (ctx, { params }) => {
        ctx.body = (await getConversationThread(domainContext(ctx, deps.db), params.id)) satisfies z.input<typeof threadSchema>;
      },
    }),
    defineRoute({
      method: "post",
      path: "/v1/conversations/:id/messages",
      operationId: "sendMessage",
      summary: "Send a message; a run answers it",
      description:
        "Stores the message and a queued run in one transaction, then hands the run to the workers. With an Idempotency-Key, a repeated request returns the same run and stores nothing new. Follow the run at /v1/runs/{runId}/stream.",
      tag: "conversations",
      auth: true,
      request: { params: idParams, headers: sendMessageHeaders, body: sendMessageBody },
      responses: { 202: { description: "Accepted: the run is queued", schema: acceptedMessageSchema } },
      handle: async (ctx, { params, headers, body }) => {
        const domain = domainContext(ctx, deps.db);
        const idempotencyKey = headers["idempotency-key"] ?? undefined;
        const submitted = await submitPlanningRequest(domain, {
          conversationId: params.id,
          content: body.content,
          ...runModel(deps.config),
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        });
        const { run } = submitted;
        // Enqueued after the commit, so a worker never sees a run that is not stored yet. A replay
        // enqueues again (the job id is the run id): that heals a first request whose enqueue failed.
        if (!isTerminalRunStatus(run.status)) await handToWorkers(deps, ctx, { workspaceId: domain.workspaceId, runId: run.id });
        ctx.status = 202;
        ctx.set("Location", `/v1/runs/${run.id}`);
        ctx.body = {
          runId: run.id,
          conversationId: run.conversationId,
          messageId: submitted.message?.id ?? null,
          status: run.status,
          created: submitted.created,
        } satisfies z.input<typeof acceptedMessageSchema>;
      },
    }),
  ];
}
