import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApproval, getApproval } from "../domain/approvals.js";
import type { DomainContext } from "../domain/context.js";
import { createConversation } from "../domain/conversations.js";
import { createRun, transitionRun } from "../domain/runs.js";
import type { Approval } from "../drizzle/schema/index.js";
import { bodyOf, createHarness, dataOf, errorOf, type Harness } from "./testing/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const api = () => request(h.app.callback());

/** A run paused on a vendor deposit, as the agent leaves it. */
async function pausedRunApproval(ctx: DomainContext, amountMinor = 250_000): Promise<Approval> {
  const conversation = await createConversation(ctx);
  const { run } = await createRun(ctx, { conversationId: conversation.id });
  await transitionRun(ctx, run.id, "running");
  await transitionRun(ctx, run.id, "awaiting_approval");
  return createApproval(ctx, {
    runId: run.id,
    action: "stripe__pay_vendor_deposit",
    summary: `Pay a EUR ${amountMinor / 100} deposit to Tasca Catering`,
    amountMinor,
    currency: "EUR",
    payload: { vendor_id: "v1", amount_minor: amountMinor, currency: "EUR", idempotency_key: `deposit-${run.id}` },
    expiresAt: new Date(Date.now() + 3600_000),
  });
}

describe("GET /v1/approvals", () => {
  it("lists the workspace's approvals, filtered by status", async () => {
    const { auth, ctx } = await h.workspace();
    const other = await h.workspace();
    const pending = await pausedRunApproval(ctx);
    await pausedRunApproval(other.ctx);
    const res = await api().get("/v1/approvals?status=pending").set("Authorization", auth).expect(200);
    expect(dataOf(res).map((a) => a.id)).toEqual([pending.id]);
    expect(dataOf(res)[0]).toMatchObject({ status: "pending", amountMinor: 250_000, currency: "EUR", action: "stripe__pay_vendor_deposit" });
    const none = await api().get("/v1/approvals?status=approved").set("Authorization", auth).expect(200);
    expect(dataOf(none)).toEqual([]);
    const bad = await api().get("/v1/approvals?status=maybe").set("Authorization", auth).expect(400);
    expect(errorOf(bad).details?.field).toBe("status");
  });
});

describe("POST /v1/approvals/:id", () => {
  it("records the key's user as the approver and resumes the run", async () => {
    const { auth, ctx, keyId } = await h.workspace();
    const approval = await pausedRunApproval(ctx);
    const res = await api().post(`/v1/approvals/${approval.id}`).set("Authorization", auth).send({ decision: "approve", note: "within budget" }).expect(200);
    expect(res.body).toMatchObject({ id: approval.id, status: "approved", decidedBy: `user:${keyId}`, note: "within budget", approvedPayload: null });
    expect(h.scheduler.calls).toContainEqual({ workspaceId: ctx.workspaceId, runId: approval.runId });
  });

  it("keeps an approver's edit of the arguments, and refuses a second decision", async () => {
    const { auth, ctx } = await h.workspace();
    const approval = await pausedRunApproval(ctx);
    const editedArgs = { ...approval.payload, amount_minor: 200_000 };
    const res = await api().post(`/v1/approvals/${approval.id}`).set("Authorization", auth).send({ decision: "approve", editedArgs }).expect(200);
    expect(bodyOf(res).approvedPayload).toEqual(editedArgs);
    const again = await api().post(`/v1/approvals/${approval.id}`).set("Authorization", auth).send({ decision: "reject" }).expect(409);
    expect(errorOf(again)).toMatchObject({ code: "invalid_state", details: { reason: "already_decided" } });
  });

  it("records a rejection and resumes the run so it carries on without the call", async () => {
    const { auth, ctx } = await h.workspace();
    const approval = await pausedRunApproval(ctx);
    const before = h.scheduler.calls.length;
    const res = await api().post(`/v1/approvals/${approval.id}`).set("Authorization", auth).send({ decision: "reject", note: "too expensive" }).expect(200);
    expect(bodyOf(res).status).toBe("rejected");
    expect(h.scheduler.calls.slice(before)).toEqual([{ workspaceId: ctx.workspaceId, runId: approval.runId }]);
  });

  it("keeps the decision when the queue is unreachable: the sweeper resumes the run", async () => {
    const { auth, ctx } = await h.workspace();
    const approval = await pausedRunApproval(ctx);
    h.scheduler.failWith = new Error("ECONNREFUSED 127.0.0.1:6379");
    try {
      const res = await api().post(`/v1/approvals/${approval.id}`).set("Authorization", auth).send({ decision: "approve" }).expect(200);
      expect(bodyOf(res).status).toBe("approved");
    } finally {
      h.scheduler.failWith = undefined;
    }
    expect((await getApproval(ctx, approval.id)).status).toBe("approved");
  });

  it("names the field of a bad decision and changes nothing", async () => {
    const { auth, ctx } = await h.workspace();
    const approval = await pausedRunApproval(ctx);
    const res = await api().post(`/v1/approvals/${approval.id}`).set("Authorization", auth).send({ decision: "yes" }).expect(400);
    expect(errorOf(res).details?.field).toBe("decision");
    const edit = await api()
      .post(`/v1/approvals/${approval.id}`)
      .set("Authorization", auth)
      .send({ decision: "approve", editedArgs: { ...approval.payload, idempotency_key: "another" } })
      .expect(400);
    expect(errorOf(edit).details?.field).toBe("editedArgs.idempotency_key");
    expect((await getApproval(ctx, approval.id)).status).toBe("pending");
  });

  it("answers 404 for another workspace's approval and leaves it pending", async () => {
    const mine = await h.workspace();
    const theirs = await h.workspace();
    const foreign = await pausedRunApproval(theirs.ctx);
    const before = h.scheduler.calls.length;
    await api().post(`/v1/approvals/${foreign.id}`).set("Authorization", mine.auth).send({ decision: "approve" }).expect(404);
    expect((await getApproval(theirs.ctx, foreign.id)).status).toBe("pending");
    expect(h.scheduler.calls.length).toBe(before);
  });
});
