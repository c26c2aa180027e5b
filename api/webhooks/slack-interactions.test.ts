import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideRunApproval } from "../../agent/approvals.js";
import { signApprovalToken } from "../../domain/approval-tokens.js";
import { createApproval, getApproval } from "../../domain/approvals.js";
import type { DomainContext } from "../../domain/context.js";
import { submitPlanningRequest } from "../../domain/planning-requests.js";
import { listWebhookDeliveries, recordWebhookDelivery } from "../../domain/webhook-deliveries.js";
import type { Approval } from "../../drizzle/schema/index.js";
import { loadConfig } from "../../lib/config.js";
import { createApi, type Api } from "../app.js";
import { isSlackResponseUrl } from "./slack-response-url.js";
import { bodyOf, createHarness, errorOf, type Harness } from "../testing/harness.js";
import { slackSignatureHeaders } from "./testing/signers.js";

const SIGNING_SECRET = "slack-signing-secret-for-the-tests";
const APPROVAL_SECRET = "approval-signing-secret-for-tests-0123456789";

let h: Harness;
/** The API as configured for Slack; `h.app` is the same API without SLACK_SIGNING_SECRET. */
let slackApp: Api;
/** Slack's response_url endpoint: what the clicker is shown arrives here. */
let responseUrl: { url: string; posts: Record<string, unknown>[]; server: Server };

beforeAll(async () => {
  h = await createHarness();
  const posts: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      posts.push({ path: req.url, ...(JSON.parse(body) as Record<string, unknown>) });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  responseUrl = { url: `${base}/actions/T0TEAM/1234/abcd`, posts, server };
  slackApp = createApi({ ...h.deps, config: loadConfig({ NODE_ENV: "test", SLACK_SIGNING_SECRET: SIGNING_SECRET, APPROVAL_SIGNING_SECRET: APPROVAL_SECRET, SLACK_BASE_URL: base }) });
});
afterAll(async () => {
  await h.close();
  await new Promise((resolve) => responseUrl.server.close(resolve));
});

/** What was posted to the response_url of the interaction with this trigger id. */
async function shownFor(triggerId: string): Promise<Record<string, unknown>> {
  await expect.poll(() => responseUrl.posts.some((post) => post.path === `/actions/${triggerId}`), { timeout: 5_000, interval: 20 }).toBe(true);
  return responseUrl.posts.find((post) => post.path === `/actions/${triggerId}`)!;
}

const PATH = "/webhooks/slack/interactions";

/** A pending approval on a run created the way the API creates one. */
async function pendingApproval(ctx: DomainContext, expiresAt = new Date(Date.now() + 3600_000)): Promise<Approval> {
  const { run } = await submitPlanningRequest(ctx, { content: "Book a caterer for 40 people" });
  return createApproval(ctx, {
    runId: run.id,
    action: "stripe__pay_vendor_deposit",
    summary: "Pay a EUR 2500 deposit to Tasca Catering",
    amountMinor: 250_000,
    currency: "EUR",
    payload: { vendor_id: "v1", amount_minor: 250_000, currency: "EUR", idempotency_key: `deposit-${run.id}` },
    expiresAt,
  });
}

function tokenFor(approval: Pick<Approval, "id" | "workspaceId">, options: { secret?: string; now?: Date } = {}): string {
  return signApprovalToken({ approvalId: approval.id, workspaceId: approval.workspaceId }, options.secret ?? APPROVAL_SECRET, options.now ? { now: options.now } : {});
}

let interactions = 0;

/** The form body Slack posts for a click on one of our buttons (trimmed to the fields that matter). */
function clickBody(input: { token: string; decision: "approve" | "reject"; actionId?: string; userId?: string; triggerId?: string }): string {
  interactions += 1;
  const triggerId = input.triggerId ?? `trigger-${interactions}-${Date.now()}`;
  const payload = {
    type: "block_actions",
    trigger_id: triggerId,
    response_url: `${responseUrl.url.replace(/\/actions\/.*/, "")}/actions/${triggerId}`,
    user: { id: input.userId ?? "U0APPROVER", username: "ana" },
    actions: [{ action_id: input.actionId ?? `approval_${input.decision}`, block_id: "approval:x", value: JSON.stringify({ decision: input.decision, token: input.token }), action_ts: "1732449600.000100" }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Slack's v0 signature, computed here from Slack's documented scheme. */
function slackHeaders(body: string, options: { timestamp?: number; secret?: string } = {}): Record<string, string> {
  return slackSignatureHeaders(body, options.secret ?? SIGNING_SECRET, options.timestamp);
}

function post(body: string, headers: Record<string, string>, app: Api = slackApp) {
  return request(app.callback()).post(PATH).set(headers).type("form").send(body);
}

const enqueuedFor = (runId: string) => h.scheduler.calls.filter((call) => call.runId === runId).length;
const replyText = (res: { body: unknown }) => bodyOf<{ text: string; response_type: string }>(res);

/** `webhook_deliveries_total{provider="slack",outcome}` as /metrics would show it. */
async function outcomeCount(outcome: string): Promise<number> {
  const metric = await h.deps.metrics.getSingleMetric("webhook_deliveries_total")?.get();
  return metric?.values.find((v) => v.labels.provider === "slack" && v.labels.outcome === outcome)?.value ?? 0;
}

describe("POST /webhooks/slack/interactions", () => {
  it("approves from the Approve button as the Slack user, resumes the run and records the delivery", async () => {
    const { ctx } = await h.workspace();
    const approval = await pendingApproval(ctx);
    const token = tokenFor(approval);
    const body = clickBody({ token, decision: "approve", userId: "U0ANA", triggerId: `trigger-shown-${approval.id}` });
    const accepted = await outcomeCount("accepted");
    const res = await post(body, slackHeaders(body)).expect(200);
    expect(await outcomeCount("accepted")).toBe(accepted + 1);
    expect(replyText(res)).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("Approved by <@U0ANA>") as string });
    expect(await getApproval(ctx, approval.id)).toMatchObject({ status: "approved", decidedBy: "webhook:slack:U0ANA" });
    // Slack shows what arrives at response_url: the request is replaced, so its buttons are gone.
    expect(await shownFor(`trigger-shown-${approval.id}`)).toMatchObject({ replace_original: true, text: expect.stringContaining("Approved by <@U0ANA>: Pay a EUR 2500 deposit") as string });
    expect(h.scheduler.calls).toContainEqual({ workspaceId: ctx.workspaceId, runId: approval.runId });
    const deliveries = await listWebhookDeliveries(ctx, { provider: "slack" });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ status: "processed", eventType: "block_actions:approval_approve" });
    // The button's token is a credential: it is not kept in the stored payload.
    expect(JSON.stringify(deliveries[0]?.payload)).not.toContain(token.split(".")[1]);
  });

  it("rejects from the Reject button and resumes the run so it carries on without the call", async () => {
    const { ctx } = await h.workspace();
    const approval = await pendingApproval(ctx);
    const body = clickBody({ token: tokenFor(approval), decision: "reject" });
    const res = await post(body, slackHeaders(body)).expect(200);
    expect(replyText(res).text).toContain("Rejected by <@U0APPROVER>");
    expect((await getApproval(ctx, approval.id)).status).toBe("rejected");
    expect(enqueuedFor(approval.runId)).toBe(1);
  });

  it("decides and enqueues once when the same delivery arrives twice", async () => {
    const { ctx } = await h.workspace();
    const approval = await pendingApproval(ctx);
    const body = clickBody({ token: tokenFor(approval), decision: "approve" });
    const headers = slackHeaders(body);
    await post(body, headers).expect(200);
    const duplicates = await outcomeCount("duplicate");
    const again = await post(body, headers).expect(200);
    expect(await outcomeCount("duplicate")).toBe(duplicates + 1);
    expect(replyText(again).text).toContain("already received");
    expect((await getApproval(ctx, approval.id)).status).toBe("approved");
    expect(enqueuedFor(approval.runId)).toBe(1);
    expect(await listWebhookDeliveries(ctx, { provider: "slack" })).toHaveLength(1);
  });

  it("handles a delivery again when the first attempt stopped before its decision landed", async () => {
    const { ctx } = await h.workspace();
    const approval = await pendingApproval(ctx);
    const body = clickBody({ token: tokenFor(approval), decision: "approve", triggerId: `trigger-crashed-${approval.id}` });
    // What a process killed between recording the delivery and deciding leaves behind.
    await recordWebhookDelivery(h.deps.db, { provider: "slack", externalId: `interaction:trigger-crashed-${approval.id}`, eventType: "block_actions:approval_approve", payload: {}, workspaceId: ctx.workspaceId });
    const res = await post(body, slackHeaders(body)).expect(200);
    expect(replyText(res).text).toContain("Approved by");
    expect((await getApproval(ctx, approval.id)).status).toBe("approved");
    expect(enqueuedFor(approval.runId)).toBe(1);
    expect(await listWebhookDeliveries(ctx, { provider: "slack" })).toEqual([expect.objectContaining({ status: "processed" })]);
  });

  it("counts only the clicks of SLACK_APPROVERS when that list is set", async () => {
    const config = loadConfig({ NODE_ENV: "test", SLACK_SIGNING_SECRET: SIGNING_SECRET, APPROVAL_SIGNING_SECRET: APPROVAL_SECRET, SLACK_APPROVERS: "U0LEAD", SLACK_BASE_URL: new URL(responseUrl.url).origin });
    const guarded = createApi({ ...h.deps, config });
    const { ctx } = await h.workspace();
    const approval = await pendingApproval(ctx);
    const stranger = clickBody({ token: tokenFor(approval), decision: "approve", userId: "U0INTERN", triggerId: `trigger-intern-${approval.id}` });
    const refused = await post(stranger, slackHeaders(stranger), guarded).expect(200);
    expect(replyText(refused).text).toContain("not one of this planner's approvers");
    // Told only to the clicker; the request and its buttons stay for the approvers.
    expect(await shownFor(`trigger-intern-${approval.id}`)).toMatchObject({ replace_original: false, response_type: "ephemeral", text: expect.stringContaining("not one of this planner's approvers") as string });
    expect((await getApproval(ctx, approval.id)).status).toBe("pending");
    expect(enqueuedFor(approval.runId)).toBe(0);
    const lead = clickBody({ token: tokenFor(approval), decision: "approve", userId: "U0LEAD" });
    await post(lead, slackHeaders(lead), guarded).expect(200);
    expect(await getApproval(ctx, approval.id)).toMatchObject({ status: "approved", decidedBy: "webhook:slack:U0LEAD" });
  });

  describe("refuses a request Slack did not sign, before reading it", () => {
    it.each([
      ["forged", "rejected_signature", (body: string) => ({ ...slackHeaders(body), "X-Slack-Signature": `v0=${"ab".repeat(32)}` })],
      ["signed with another secret", "rejected_signature", (body: string) => slackHeaders(body, { secret: "someone-elses-signing-secret" })],
      ["stale (signed 6 minutes ago)", "rejected_stale", (body: string) => slackHeaders(body, { timestamp: Math.floor(Date.now() / 1000) - 360 })],
      ["unsigned", "rejected_signature", () => ({})],
    ])("%s: 401, nothing decided, recorded or enqueued, counted as %s", async (_name, outcome, headersFor) => {
      const { ctx } = await h.workspace();
      const approval = await pendingApproval(ctx);
      const body = clickBody({ token: tokenFor(approval), decision: "approve" });
      const before = await outcomeCount(outcome);
      const res = await post(body, headersFor(body)).expect(401);
      expect(await outcomeCount(outcome)).toBe(before + 1);
      expect(errorOf(res).code).toBe("unauthorized");
      expect((await getApproval(ctx, approval.id)).status).toBe("pending");
      expect(enqueuedFor(approval.runId)).toBe(0);
      expect(await listWebhookDeliveries(ctx)).toEqual([]);
    });

    it("tampered: a body changed after signing (another clicker) is refused", async () => {
      const { ctx } = await h.workspace();
      const approval = await pendingApproval(ctx);
      const token = tokenFor(approval);
      const signed = clickBody({ token, decision: "approve", userId: "U0ANA", triggerId: "trigger-tampered" });
      const tampered = clickBody({ token, decision: "approve", userId: "U0MALLORY", triggerId: "trigger-tampered" });
      await post(tampered, slackHeaders(signed)).expect(401);
      expect((await getApproval(ctx, approval.id)).status).toBe("pending");
      expect(enqueuedFor(approval.runId)).toBe(0);
    });
  });

  it("refuses a token naming another workspace's approval: 200 with a text, that approval stays pending", async () => {
    const mine = await h.workspace();
    const theirs = await h.workspace();
    const foreign = await pendingApproval(theirs.ctx);
    // A genuinely signed token, but for my workspace with their approval's id.
    const body = clickBody({ token: tokenFor({ id: foreign.id, workspaceId: mine.ctx.workspaceId }), decision: "approve" });
    const res = await post(body, slackHeaders(body)).expect(200);
    expect(replyText(res).text).toBe("This approval could not be found.");
    expect((await getApproval(theirs.ctx, foreign.id)).status).toBe("pending");
    expect(enqueuedFor(foreign.runId)).toBe(0);
    expect(await listWebhookDeliveries(theirs.ctx)).toEqual([]);
    expect((await listWebhookDeliveries(mine.ctx))[0]).toMatchObject({ status: "ignored", error: expect.stringContaining("not_found") as string });
  });

  it.each([
    ["signed with another secret", (a: Approval) => tokenFor(a, { secret: "not-the-approval-signing-secret-at-all" }), "approve", undefined],
    ["expired", (a: Approval) => tokenFor(a, { now: new Date(Date.now() - 8 * 24 * 3600_000) }), "approve", undefined],
    ["under the other button", (a: Approval) => tokenFor(a), "reject", "approval_approve"],
  ] as const)("refuses a button whose token is %s: 200 with a text, nothing decided or enqueued", async (_name, token, decision, actionId) => {
    const { ctx } = await h.workspace();
    const approval = await pendingApproval(ctx);
    const body = clickBody({ token: token(approval), decision, ...(actionId ? { actionId } : {}) });
    const res = await post(body, slackHeaders(body)).expect(200);
    expect(replyText(res).text).toContain("no longer valid");
    expect((await getApproval(ctx, approval.id)).status).toBe("pending");
    expect(enqueuedFor(approval.runId)).toBe(0);
  });

  it("answers 200 with a text when the approval was already decided or has expired, and enqueues nothing", async () => {
    const { ctx } = await h.workspace();
    const decided = await pendingApproval(ctx);
    await decideRunApproval({ ...ctx, actor: { kind: "user", id: "key-1" } }, decided.id, { decision: "approve" });
    const body = clickBody({ token: tokenFor(decided), decision: "reject" });
    const res = await post(body, slackHeaders(body)).expect(200);
    expect(replyText(res).text).toMatch(/^Your decision was not recorded: .*already approved/);
    expect((await getApproval(ctx, decided.id)).status).toBe("approved");

    const lapsed = await pendingApproval(ctx, new Date(Date.now() - 1000));
    const late = clickBody({ token: tokenFor(lapsed), decision: "approve" });
    const lateRes = await post(late, slackHeaders(late)).expect(200);
    expect(replyText(lateRes).text).toContain("Your decision was not recorded");
    expect((await getApproval(ctx, lapsed.id)).status).not.toBe("approved");
    expect(enqueuedFor(decided.runId) + enqueuedFor(lapsed.runId)).toBe(0);
  });

  it("acknowledges other interactions without acting", async () => {
    const { ctx } = await h.workspace();
    const approval = await pendingApproval(ctx);
    const body = clickBody({ token: tokenFor(approval), decision: "approve", actionId: "open_event_details" });
    const res = await post(body, slackHeaders(body)).expect(200);
    expect(res.text).toBe("");
    expect((await getApproval(ctx, approval.id)).status).toBe("pending");
  });

  it("refuses a signed body that is not an interaction payload with 400", async () => {
    const body = "payload=not-json";
    // Unsigned, the same body is refused for its signature: nothing is parsed before the check.
    await post(body, {}).expect(401);
    const res = await post(body, slackHeaders(body)).expect(400);
    expect(errorOf(res)).toMatchObject({ code: "validation_failed", details: { field: "payload" } });
  });

  it("refuses a body over the limit with 413 before checking anything", async () => {
    const small = createApi({ ...h.deps, config: loadConfig({ NODE_ENV: "test", SLACK_SIGNING_SECRET: SIGNING_SECRET, APPROVAL_SIGNING_SECRET: APPROVAL_SECRET }), options: { bodyLimitBytes: 512 } });
    const body = `payload=${"x".repeat(1024)}`;
    const res = await post(body, slackHeaders(body), small).expect(413);
    expect(errorOf(res).code).toBe("payload_too_large");
  });

  it("is not served (404, and not in the OpenAPI document) when SLACK_SIGNING_SECRET is not set", async () => {
    const body = "payload=%7B%7D";
    const res = await post(body, slackHeaders(body), h.app).expect(404);
    expect(errorOf(res).code).toBe("not_found");
    const doc = (await request(h.app.callback()).get("/openapi.json").expect(200)).body as { paths: Record<string, unknown> };
    expect(doc.paths[PATH]).toBeUndefined();
    const served = (await request(slackApp.callback()).get("/openapi.json").expect(200)).body as { paths: Record<string, unknown> };
    expect(served.paths[PATH]).toBeDefined();
  });
});

describe("response_url", () => {
  it("is posted to only on Slack's hosts, or SLACK_BASE_URL's when a fake Slack is configured", () => {
    const real = loadConfig({});
    expect(isSlackResponseUrl(real, "https://hooks.slack.com/actions/T0/1/abc")).toBe(true);
    expect(isSlackResponseUrl(real, "http://hooks.slack.com/actions/T0/1/abc")).toBe(false);
    expect(isSlackResponseUrl(real, "https://hooks.slack.com.evil.example/actions")).toBe(false);
    expect(isSlackResponseUrl(real, "http://169.254.169.254/latest/meta-data")).toBe(false);
    expect(isSlackResponseUrl(real, "not a url")).toBe(false);
    const fake = loadConfig({ SLACK_BASE_URL: "http://127.0.0.1:9999/api/" });
    expect(isSlackResponseUrl(fake, "http://127.0.0.1:9999/actions/T0/1/abc")).toBe(true);
    expect(isSlackResponseUrl(fake, "https://hooks.slack.com/actions/T0/1/abc")).toBe(false);
  });
});
