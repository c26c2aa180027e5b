import { z } from "zod";
import { decideApprovalInput, listApprovalsInput } from "../../../domain/approvals.js";
import { createSelectSchema } from "../../../domain/zod.js";
import { approvals } from "../../../drizzle/schema/index.js";
import { limitQuery, listOf } from "../../schemas.js";

export const listApprovalsQuery = z.object({ status: listApprovalsInput.shape.status, runId: listApprovalsInput.shape.runId, limit: limitQuery });

/** `POST /v1/approvals/:id`. Who decided is the API key's user, never a body field. */
export const decideApprovalBody = z
  .object({
    decision: decideApprovalInput.shape.decision,
    note: decideApprovalInput.shape.note,
    editedArgs: z.record(z.string(), z.unknown()).optional().describe("Approve only: the call's arguments as corrected by the approver (e.g. a lower amount); the idempotency_key must stay the same"),
  })
  .strict();

export const approvalSchema = createSelectSchema(approvals);
export const approvalListSchema = listOf(approvalSchema);
