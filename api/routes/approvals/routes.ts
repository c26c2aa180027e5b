import type { z } from "zod";
import { decideRunApproval } from "../../../agent/approvals.js";
import { listApprovals } from "../../../domain/approvals.js";
import type { ApiDeps } from "../../deps.js";
import { handToWorkers } from "../../enqueue.js";
import { defineRoute, type RouteDefinition } from "../../route.js";
import { idParams } from "../../schemas.js";
import { domainContext } from "../../state.js";
import { approvalListSchema, approvalSchema, decideApprovalBody, listApprovalsQuery } from "./schema.js";

export function approvalRoutes(deps: ApiDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: "get",
      path: "/v1/approvals",
      operationId: "listApprovals",
      summary: "List approvals, newest first",
      description: "`?status=pending` lists what can still be decided (lapsed approvals are marked expired first).",
      tag: "approvals",
      auth: true,
      request: { query: listApprovalsQuery },
      responses: { 200: { description: "Approvals", schema: approvalListSchema } },
      handle: async (ctx, { query }) => {
        const data = await listApprovals(domainContext(ctx, deps.db), query);
        ctx.body = { data } satisfies z.input<typeof approvalListSchema>;
      },
    }),
    defineRoute({
      method: "post",
      path: "/v1/approvals/:id",
      operationId: "decideApproval",
      summary: "Approve or reject a pending approval",
      description: "Records the decision (the approver is the API key's user) and resumes the run, which makes exactly the approved call or carries on without it.",
      tag: "approvals",
      auth: true,
      request: { params: idParams, body: decideApprovalBody },
      responses: { 200: { description: "The decided approval", schema: approvalSchema }, 409: { description: "Already decided, expired, or no longer bound to the run's call" } },
      handle: async (ctx, { params, body }) => {
        const domain = domainContext(ctx, deps.db);
        const decided = await decideRunApproval(domain, params.id, body);
        await handToWorkers(deps, ctx, { workspaceId: domain.workspaceId, runId: decided.runId });
        ctx.body = decided.approval satisfies z.input<typeof approvalSchema>;
      },
    }),
  ];
}
