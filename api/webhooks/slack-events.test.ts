import { randomBytes } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainContext } from "../../domain/context.js";
import { findConversationByExternalRef, listMessages } from "../../domain/conversations.js";
import { listRuns } from "../../domain/runs.js";
import { listWebhookDeliveries } from "../../domain/webhook-deliveries.js";
import { ensureWorkspace } from "../../domain/workspaces.js";
import { loadConfig } from "../../lib/config.js";
import { createApi, type Api } from "../app.js";
import { bodyOf, createHarness, errorOf, type Harness } from "../testing/harness.js";
import { slackSignatureHeaders } from "./testing/signers.js";

const SIGNING_SECRET = "slack-signing-secret-for-the-tests";
const PATH = "/webhooks/slack/events";

let h: Harness;
let app: Api;
let ctx: DomainContext;

beforeAll(async () => {
  h = await createHarness();
  // Slack requests land in EVENT_PLANNER_WORKSPACE; a fresh one per file keeps the counts exact.
  const workspace = `slack-${randomBytes(4).toString("hex")}`;
  app = createApi({ ...h.deps, config: loadConfig({ NODE_ENV: "test", SLACK_SIGNING_SECRET: SIGNING_SECRET, EVENT_PLANNER_WORKSPACE: workspace }) });
  ctx = { db: h.deps.db, workspaceId: (await ensureWorkspace(h.deps.db, workspace)).id, actor: { kind: "system" } };
});
afterAll(async () => {
  await h.close();
});

let sequence = 0;
/** A fresh message ts and event id, as Slack would assign them. */
function next(): { ts: string; eventId: string } {
  sequence += 1;
  return { ts: `17324496${String(sequence).padStart(2, "0")}.000100`, eventId: `Ev0${randomBytes(5).toString("hex").toUpperCase()}` };
}

function envelope(event: Record<string, unknown>, eventId: string): string {
  return JSON.stringify({ type: "event_callback", team_id: "T0TEAM0001", api_app_id: "A0APP00001", event_id: eventId, event_time: 1732449600, event });
}

function mention(text: string, options: { channel?: string; ts: string; threadTs?: string }) {
  return { type: "app_mention", user: "U0ANA00001", text, channel: options.channel ?? "C0PLANNING", ts: options.ts, ...(options.threadTs ? { thread_ts: options.threadTs } : {}) };
}

function signed(body: string, options: { timestamp?: number; secret?: string } = {}): Record<string, string> {
  return { ...slackSignatureHeaders(body, options.secret ?? SIGNING_SECRET, options.timestamp), "Content-Type": "application/json" };
}

function post(body: string, headers: Record<string, string>) {
  return request(app.callback()).post(PATH).set(headers).send(body);
}

const runsOf = async (conversationId: string) => listRuns(ctx, { conversationId });

describe("POST /webhooks/slack/events", () => {
  it("answers Slack's URL verification with its challenge", async () => {
    const body = JSON.stringify({ type: "url_verification", token: "legacy", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
    const res = await post(body, signed(body)).expect(200);
    expect(bodyOf(res)).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
  });

  it("turns an app mention into a message and a run in the thread's conversation, and hands the run to the workers", async () => {
    const { ts, eventId } = next();
    const body = envelope(mention("<@U0PLANNER1> plan a 2-day offsite for 40 people in Lisbon in March, budget EUR 30000", { ts }), eventId);
    await post(body, signed(body)).expect(200);
    const conversation = await findConversationByExternalRef(ctx, `C0PLANNING:${ts}`);
    expect(conversation).toMatchObject({ channel: "slack" });
    const [message] = await listMessages(ctx, conversation!.id);
    expect(message).toMatchObject({ role: "user", content: "plan a 2-day offsite for 40 people in Lisbon in March, budget EUR 30000" });
    const [run] = await runsOf(conversation!.id);
    expect(run).toMatchObject({ status: "queued", triggerMessageId: message!.id });
    expect(h.scheduler.calls).toContainEqual({ workspaceId: ctx.workspaceId, runId: run!.id });
    const delivery = (await listWebhookDeliveries(ctx, { provider: "slack" })).find((d) => d.externalId === `event:${eventId}`);
    expect(delivery).toMatchObject({ status: "processed", eventType: "event_callback:app_mention" });
  });

  it("never creates a second run for Slack's retries of the same event", async () => {
    const { ts, eventId } = next();
    const body = envelope(mention("<@U0PLANNER1> book a dinner for 12 in Porto", { ts }), eventId);
    await post(body, signed(body)).expect(200);
    await post(body, { ...signed(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout" }).expect(200);
    await post(body, { ...signed(body), "X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout" }).expect(200);
    const conversation = await findConversationByExternalRef(ctx, `C0PLANNING:${ts}`);
    const runs = await runsOf(conversation!.id);
    expect(runs).toHaveLength(1);
    expect(await listMessages(ctx, conversation!.id)).toHaveLength(1);
    expect(h.scheduler.calls.filter((call) => call.runId === runs[0]!.id)).toHaveLength(1);
  });

  it("continues the same conversation for a follow-up in the thread, and takes direct messages", async () => {
    const first = next();
    const body = envelope(mention("<@U0PLANNER1> plan a birthday party for 30", { ts: first.ts }), first.eventId);
    await post(body, signed(body)).expect(200);
    const followUp = next();
    const reply = envelope(mention("<@U0PLANNER1> make it 35 people", { ts: followUp.ts, threadTs: first.ts }), followUp.eventId);
    await post(reply, signed(reply)).expect(200);
    const conversation = await findConversationByExternalRef(ctx, `C0PLANNING:${first.ts}`);
    expect((await listMessages(ctx, conversation!.id)).map((m) => m.content)).toEqual(["plan a birthday party for 30", "make it 35 people"]);
    expect(await runsOf(conversation!.id)).toHaveLength(2);

    const dm = next();
    const direct = envelope({ type: "message", channel_type: "im", channel: "D0ANA00001", user: "U0ANA00001", text: "plan a wedding for 80 guests", ts: dm.ts }, dm.eventId);
    await post(direct, signed(direct)).expect(200);
    const dmConversation = await findConversationByExternalRef(ctx, `D0ANA00001:${dm.ts}`);
    expect(await runsOf(dmConversation!.id)).toHaveLength(1);
  });

  it.each([
    ["a bot's message (our own answers included)", { type: "message", channel_type: "im", channel: "D0ANA00001", bot_id: "B0PLANNER1", text: "Here is the plan", ts: "" }],
    ["an edit", { type: "message", subtype: "message_changed", channel_type: "im", channel: "D0ANA00001", text: "", ts: "" }],
    ["a channel message without a mention", { type: "message", channel_type: "channel", channel: "C0PLANNING", user: "U0ANA00001", text: "lunch?", ts: "" }],
    ["a mention with nothing asked", { type: "app_mention", channel: "C0PLANNING", user: "U0ANA00001", text: "<@U0PLANNER1>", ts: "" }],
    ["another event type", { type: "reaction_added", user: "U0ANA00001", reaction: "eyes" }],
  ])("acknowledges and ignores %s", async (_name, event) => {
    const { ts, eventId } = next();
    const body = envelope({ ...event, ...("ts" in event ? { ts } : {}) }, eventId);
    const before = h.scheduler.calls.length;
    await post(body, signed(body)).expect(200);
    expect(h.scheduler.calls.length).toBe(before);
    const channel = "channel" in event ? event.channel : "C0PLANNING";
    expect(await findConversationByExternalRef(ctx, `${channel}:${ts}`)).toBeUndefined();
  });

  it.each([
    ["forged", (body: string) => ({ ...signed(body), "X-Slack-Signature": `v0=${"ab".repeat(32)}` })],
    ["signed with another secret", (body: string) => signed(body, { secret: "someone-elses-signing-secret" })],
    ["stale (signed 6 minutes ago)", (body: string) => signed(body, { timestamp: Math.floor(Date.now() / 1000) - 360 })],
  ])("refuses a %s request with 401 and creates nothing", async (_name, headersFor) => {
    const { ts, eventId } = next();
    const body = envelope(mention("<@U0PLANNER1> pay the caterer now", { ts }), eventId);
    const res = await post(body, headersFor(body)).expect(401);
    expect(errorOf(res).code).toBe("unauthorized");
    expect(await findConversationByExternalRef(ctx, `C0PLANNING:${ts}`)).toBeUndefined();
    expect((await listWebhookDeliveries(ctx, { provider: "slack" })).some((d) => d.externalId === `event:${eventId}`)).toBe(false);
  });

  it("refuses a signed body that is not Slack event JSON, naming the field", async () => {
    const notJson = "type=event_callback";
    expect(errorOf(await post(notJson, signed(notJson)).expect(400))).toMatchObject({ code: "validation_failed", details: { field: "body" } });
    const badTs = envelope(mention("<@U0PLANNER1> hi there", { ts: "yesterday" }), next().eventId);
    expect(errorOf(await post(badTs, signed(badTs)).expect(400)).message).toMatch(/ts/);
  });
});
