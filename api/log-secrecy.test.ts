/**
 * Secrets never reach the logs. The API runs with every integration configured and a logger at
 * debug level writing to memory (the production logger, with the config's secrets to scrub), and
 * gets requests that carry every kind of secret: API keys (valid and forged), webhook signatures
 * made with the signing secrets, guests' phone numbers in message text and SMS webhooks. None of
 * those values may appear in any line; the lines themselves must be there (the test is not vacuous).
 */
import { Writable } from "node:stream";
import request from "supertest";
import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEvent } from "../domain/events.js";
import { addGuests, markInvited } from "../domain/guests.js";
import { loadConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { startFakeTwilio, type FakeTwilio } from "../mcp-servers/twilio/testing/fake-twilio.js";
import { LISBON_OFFSITE } from "../test/fixtures.js";
import { createApi, type Api } from "./app.js";
import { createHarness, type Harness } from "./testing/harness.js";
import { slackSignatureHeaders } from "./webhooks/testing/signers.js";

const SECRETS = {
  SLACK_SIGNING_SECRET: "slack-signing-secret-never-logged",
  APPROVAL_SIGNING_SECRET: "approval-signing-secret-never-logged-0123456789",
  STRIPE_WEBHOOK_SECRET: "whsec_stripesecretneverlogged",
  STRIPE_SECRET_KEY: "sk_test_stripekeyneverlogged",
  TWILIO_AUTH_TOKEN: "twilio-auth-token-never-logged",
  ANTHROPIC_API_KEY: "sk-ant-anthropic-key-never-logged",
};
const ACCOUNT = `AC${"0123456789abcdef".repeat(2)}`;
const OUR_NUMBER = "+14155550100";
const GUEST_PHONE = "+351912345678";

let h: Harness;
let fake: FakeTwilio;
let app: Api;
const lines: string[] = [];

beforeAll(async () => {
  h = await createHarness();
  fake = await startFakeTwilio({ accountSid: ACCOUNT, authToken: SECRETS.TWILIO_AUTH_TOKEN, fromNumber: OUR_NUMBER });
  const config = loadConfig({ NODE_ENV: "test", ...SECRETS, TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_FROM_NUMBER: OUR_NUMBER, TWILIO_BASE_URL: fake.url, PUBLIC_BASE_URL: "https://planner.example.com" });
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  app = createApi({ ...h.deps, config, logger: createLogger({ level: "debug", secrets: config.secrets, destination }) });
});
afterAll(async () => {
  await fake.close();
  await h.close();
});

function slackSigned(body: string, secret = SECRETS.SLACK_SIGNING_SECRET): Record<string, string> {
  return { ...slackSignatureHeaders(body, secret), "Content-Type": "application/json" };
}

describe("log output", () => {
  it("never contains an API key, a signing secret, a vendor credential or a phone number", async () => {
    const { ctx, auth, token } = await h.workspace();
    const http = () => request(app.callback());

    // API keys: a good one, a forged one with the right shape, one in the query string.
    await http().get("/v1/conversations").set("Authorization", auth).expect(200);
    const forged = `${token.slice(0, -4)}AAAA`;
    await http().get("/v1/conversations").set("Authorization", `Bearer ${forged}`).expect(401);
    await http().get(`/v1/conversations?api_key=${token}`).expect(401);
    // A message that mentions a phone number, and a validation error echoing it back.
    const conversation = await http().post("/v1/conversations").set("Authorization", auth).expect(201);
    const id = (conversation.body as { id: string }).id;
    await http().post(`/v1/conversations/${id}/messages`).set("Authorization", auth).send({ content: `Invite Ana at ${GUEST_PHONE}` }).expect(202);
    await http().post(`/v1/conversations/${id}/messages`).set("Authorization", auth).send({ content: 42, phone: GUEST_PHONE }).expect(400);

    // Slack: a good event and one signed with a guessed secret.
    const event = JSON.stringify({ type: "event_callback", event_id: "Ev0LOGTEST1", event: { type: "app_mention", user: "U0ANA00001", channel: "C0PLANNING", text: `<@U0BOT> text ${GUEST_PHONE}`, ts: "1732449600.000100" } });
    await http().post("/webhooks/slack/events").set(slackSigned(event)).send(event).expect(200);
    await http().post("/webhooks/slack/events").set(slackSigned(event, "guessed-secret")).send(event).expect(401);

    // Twilio: a guest's reply, signed, and the same with a forged signature.
    const dinner = await createEvent(ctx, LISBON_OFFSITE);
    const [guest] = await addGuests(ctx, dinner.id, [{ name: "Ana Costa", phone: GUEST_PHONE }]);
    await markInvited(ctx, [guest!.id]);
    const params = { MessageSid: `SM${"ab".repeat(16)}`, AccountSid: ACCOUNT, From: GUEST_PHONE, To: OUR_NUMBER, Body: `maybe, call me on ${GUEST_PHONE}` };
    const signature = twilio.getExpectedTwilioSignature(SECRETS.TWILIO_AUTH_TOKEN, "https://planner.example.com/webhooks/twilio/sms", params);
    await http().post("/webhooks/twilio/sms").type("form").set("X-Twilio-Signature", signature).send(new URLSearchParams(params).toString()).expect(200);
    await http().post("/webhooks/twilio/sms").type("form").set("X-Twilio-Signature", "forged").send(new URLSearchParams(params).toString()).expect(401);

    // Stripe: a forged signature header.
    await http().post("/webhooks/stripe").set("Stripe-Signature", `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}`).send("{}").expect(401);

    const log = lines.join("");
    // Not vacuous: every request above was logged, refusals included.
    expect(lines.length).toBeGreaterThanOrEqual(11);
    expect(log).toContain("/webhooks/twilio/sms");
    expect(log).toContain("unauthorized");
    for (const [name, value] of Object.entries(SECRETS)) expect(log.includes(value), name).toBe(false);
    expect(log.includes(token), "the API key").toBe(false);
    expect(log.includes(token.slice(21)), "the API key's secret part").toBe(false);
    expect(log.includes(forged.slice(21)), "a forged API key").toBe(false);
    expect(log.includes(GUEST_PHONE.slice(1)), "the guest's phone number").toBe(false);
    expect(log.includes(signature), "the Twilio signature").toBe(false);
  });
});
