import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import type { DomainContext } from "../../../domain/context.js";
import { listOutbox, listSandboxObjects } from "../../../domain/sandbox.js";
import { loadConfig } from "../../../lib/config.js";
import { createLogger } from "../../../lib/logger.js";
import { newWorkspaceContext } from "../../../test/context.js";
import { describeEachDriver } from "../../../test/db.js";
import { connectInMemory } from "../../host/in-memory.js";
import { callError, callOk, testToolContext } from "../../host/testing.js";
import type { UntrustedText } from "../../host/untrusted.js";
import type { InvitationResult, OutboundMessage, TwilioBackend } from "../backend.js";
import { createTwilioBackendFromConfig, createTwilioServer } from "../server.js";
import { manualClock } from "../testing/clock.js";
import { startFakeTwilio, type FakeTwilio } from "../testing/fake-twilio.js";
import { createTwilioApiBackend } from "./twilio.js";

const ACCOUNT = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "auth-token-for-the-fake";
const FROM = "+14155550100";
const ANA = "+351912345678";
const MESSAGES = `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`;
const BASIC = `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString("base64")}`;
const START = "2027-03-10T10:00:00Z";

describeEachDriver("twilio MCP: Twilio backend through the SDK", (t) => {
  const clock = manualClock(START);
  let fake: FakeTwilio;
  let key = 0;
  const nextKey = (label: string) => `${label}-key-${++key}`;

  beforeAll(async () => {
    fake = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TOKEN, fromNumber: FROM, clock: clock.clock });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    clock.set(START);
    fake.requests.length = 0;
    fake.messages.length = 0;
  });

  const backendFor = (overrides: { baseUrl?: string; authToken?: string } = {}) =>
    createTwilioApiBackend(
      { accountSid: ACCOUNT, authToken: overrides.authToken ?? TOKEN, fromNumber: FROM, baseUrl: overrides.baseUrl ?? fake.url, timeoutMs: 5_000 },
      { quietHours: { start: "21:00", end: "08:00" }, maxPerRecipientPerHour: 3, clock: clock.clock },
    );

  async function connect(backend: TwilioBackend = backendFor(), existing?: DomainContext): Promise<{ ctx: DomainContext; client: Client; close: () => Promise<void> }> {
    const ctx = existing ?? (await newWorkspaceContext(t().db, "twilio"));
    return { ctx, ...(await connectInMemory(createTwilioServer(backend), testToolContext(t().handle, ctx))) };
  }

  const send = (client: Client, args: Record<string, unknown>) => callOk<{ message: OutboundMessage }>(client, "send_sms", { idempotency_key: nextKey("sms"), ...args });

  it("sends from the pinned number with a form-encoded create, after reading opt-outs and the hourly count from Twilio", async () => {
    const { ctx, client, close } = await connect();
    const { message } = await send(client, { to: ANA, body: "Your offsite starts at 9:00 tomorrow." });
    expect(fake.requests.map((r) => [r.method, r.path, r.query])).toEqual([
      ["GET", MESSAGES, { From: ANA, To: FROM, PageSize: "20" }],
      ["GET", MESSAGES, { To: ANA, From: FROM, PageSize: "13" }],
      ["POST", MESSAGES, {}],
    ]);
    const create = fake.creates()[0];
    expect(create?.form).toEqual({ To: ANA, From: FROM, Body: "Your offsite starts at 9:00 tomorrow." });
    expect(create?.headers).toMatchObject({ authorization: BASIC, "content-type": "application/x-www-form-urlencoded", "user-agent": expect.stringMatching(/^twilio-node\/6\./) as string });
    // Twilio's Messages API has no idempotency key, which is why send_sms is not retry-safe.
    expect(Object.keys(create?.headers ?? {}).filter((h) => /idempotency/i.test(h))).toEqual([]);

    const sid = fake.messages[0]?.sid ?? "";
    expect(message).toEqual({
      sid,
      to: ANA,
      from: FROM,
      body: "Your offsite starts at 9:00 tomorrow.",
      status: "queued",
      createdAt: "2027-03-10T10:00:00.000Z",
      sentAt: null,
      updatedAt: "2027-03-10T10:00:00.000Z",
      segments: 1,
      errorCode: null,
      errorMessage: null,
      timeZones: ["Europe/Lisbon", "Atlantic/Azores"],
    });
    // Recorded for the workspace as a sent_log, never as a sandbox outbox SMS.
    expect((await listSandboxObjects(ctx, { service: "twilio", kinds: ["sent_log"] })).map((o) => [o.externalId, o.parentExternalId])).toEqual([[sid, ANA]]);
    expect(await listOutbox(ctx, "sms")).toEqual([]);
    expect((await callOk<{ messages: OutboundMessage[] }>(client, "list_sent_messages", {})).messages.map((m) => m.sid)).toEqual([sid]);
    await close();
  });

  it("fetches a message's status by sid, only for the workspace that sent it", async () => {
    const { client, close } = await connect();
    const { message } = await send(client, { to: ANA, body: "Hello" });
    fake.setStatus(message.sid, "delivered");
    fake.requests.length = 0;
    const fetched = await callOk<{ message: OutboundMessage }>(client, "get_message_status", { sid: message.sid });
    expect(fake.requests.map((r) => [r.method, r.path])).toEqual([["GET", `/2010-04-01/Accounts/${ACCOUNT}/Messages/${message.sid}.json`]]);
    expect(fetched.message).toMatchObject({ sid: message.sid, status: "delivered", sentAt: "2027-03-10T10:00:00.000Z" });
    // The last observed status is what list_sent_messages shows.
    expect((await callOk<{ messages: OutboundMessage[] }>(client, "list_sent_messages", { to: ANA })).messages[0]?.status).toBe("delivered");

    fake.setStatus(message.sid, "undelivered", { code: 30003, message: "Unreachable destination handset" });
    expect((await callOk<{ message: OutboundMessage }>(client, "get_message_status", { sid: message.sid })).message).toMatchObject({ status: "undelivered", errorCode: 30003, errorMessage: "Unreachable destination handset" });

    const other = await connect();
    fake.requests.length = 0;
    expect(await callError(other.client, "get_message_status", { sid: message.sid })).toMatch(/^not_found: message SM[0-9a-f]{32} was not found/);
    expect(fake.requests).toEqual([]);
    await other.close();
    await close();
  });

  it("maps Twilio's errors to refusals a planner understands, and a refused key may be tried again", async () => {
    const { ctx, client, close } = await connect();
    const cases: [{ status: number; code?: number }, RegExp][] = [
      [{ status: 400, code: 21211 }, /^validation_failed: to: Twilio rejected \+351912345678 as not a valid phone number \(Twilio 21211\)/],
      [{ status: 400, code: 21614 }, /^validation_failed: to: \+351912345678 cannot receive SMS/],
      [{ status: 400, code: 21610 }, /^forbidden: \+351912345678 has unsubscribed .*21610/],
      [{ status: 429, code: 20429 }, /^rate_limited: Twilio is limiting our request rate/],
      [{ status: 503 }, /^upstream_failed: Twilio failed \(HTTP 503\)/],
    ];
    for (const [error, expected] of cases) {
      fake.fail(error, { method: "POST" });
      expect(await callError(client, "send_sms", { to: ANA, body: "Hi", idempotency_key: `refused-${error.status}-${error.code ?? 0}` }), JSON.stringify(error)).toMatch(expected);
    }
    expect(await listSandboxObjects(ctx, { service: "twilio", kinds: ["sent_log"] })).toEqual([]);
    // Twilio refused, so nothing was sent: the same key acts when called again.
    const retried = await send(client, { to: ANA, body: "Hi", idempotency_key: "refused-429-20429" });
    expect(retried.message.status).toBe("queued");
    expect(fake.messages).toHaveLength(1);
    await close();
  });

  it("reports bad credentials and an unreachable Twilio as upstream failures", async () => {
    const wrongToken = await connect(backendFor({ authToken: "not-the-token" }));
    expect(await callError(wrongToken.client, "send_sms", { to: ANA, body: "Hi", idempotency_key: nextKey("creds") })).toMatch(/^upstream_failed: Twilio rejected the credentials \(Twilio 20003\)/);
    await wrongToken.close();

    const closed = await startFakeTwilio({ accountSid: ACCOUNT, authToken: TOKEN, fromNumber: FROM });
    const url = closed.url;
    await closed.close();
    const unreachable = await connect(backendFor({ baseUrl: url }));
    expect(await callError(unreachable.client, "send_sms", { to: ANA, body: "Hi", idempotency_key: nextKey("down") })).toMatch(/^upstream_failed: Twilio could not be reached/);
    await unreachable.close();
  });

  it("enforces quiet hours, opt-outs and the hourly limit from Twilio's own records before creating anything", async () => {
    const { client, close } = await connect();
    clock.set("2027-03-10T23:30:00Z");
    expect(await callError(client, "send_sms", { to: ANA, body: "Late", timeZone: "Europe/Lisbon", idempotency_key: nextKey("quiet") })).toMatch(/^forbidden: quiet hours/);
    expect(fake.requests).toEqual([]);

    clock.set(START);
    // Three sent in the last hour (by anyone using our number) fill the limit; one from two hours ago does not count.
    fake.addOutbound(ANA, new Date("2027-03-10T08:00:00Z"));
    for (const at of ["09:10", "09:20", "09:30"]) fake.addOutbound(ANA, new Date(`2027-03-10T${at}:00Z`));
    expect(await callError(client, "send_sms", { to: ANA, body: "Fourth", idempotency_key: nextKey("rate") })).toMatch(/^rate_limited: .*at or after 2027-03-10T10:10:00\.000Z/);
    clock.set("2027-03-10T10:10:00Z");
    await send(client, { to: ANA, body: "Fourth" });

    const ben = "+351912345679";
    fake.addInbound(ben, "STOP", new Date("2027-03-10T10:05:00Z"));
    expect(await callError(client, "send_sms", { to: ben, body: "Hi Ben", idempotency_key: nextKey("optout") })).toMatch(/^forbidden: \+351912345679 has unsubscribed/);
    fake.addInbound(ben, "Start", new Date("2027-03-10T10:06:00Z"));
    await send(client, { to: ben, body: "Hi Ben" });
    expect(fake.creates().map((r) => r.form.To)).toEqual([ANA, ben]);
    await close();
  });

  it("sends invitations one create per recipient, skipping refusals and stopping after an account-level failure", async () => {
    const { client, close } = await connect();
    const recipients = [
      { name: "Ana", phone: ANA },
      { name: "Bea", phone: "+351912345670" },
      { name: "Cal", phone: "+447700900123" },
    ];
    fake.fail({ status: 400, code: 21211 }, { method: "POST", to: "+351912345670" });
    const first = await callOk<{ sent: number; results: InvitationResult[] }>(client, "send_invitations", { recipients, template: "Hi {name}, you're invited!", idempotency_key: nextKey("invite") });
    expect(first.results.map((r) => [r.name, r.status, r.reason])).toEqual([
      ["Ana", "sent", null],
      ["Bea", "skipped", "invalid_number"],
      ["Cal", "sent", null],
    ]);
    expect(fake.creates().map((r) => r.form.Body)).toEqual(["Hi Ana, you're invited!", "Hi Bea, you're invited!", "Hi Cal, you're invited!"]);

    fake.requests.length = 0;
    const more = [
      { name: "Dan", phone: "+351912345601" },
      { name: "Eli", phone: "+351912345602" },
      { name: "Fay", phone: "+351912345603" },
    ];
    fake.fail({ status: 429, code: 20429 }, { method: "POST", to: "+351912345602" });
    const halted = await callOk<{ sent: number; results: InvitationResult[] }>(client, "send_invitations", { recipients: more, template: "Hi {name}!", idempotency_key: nextKey("invite") });
    expect(halted.results.map((r) => [r.name, r.status, r.reason])).toEqual([
      ["Dan", "sent", null],
      ["Eli", "skipped", "vendor_error"],
      ["Fay", "skipped", "not_attempted"],
    ]);
    expect(fake.creates().map((r) => r.form.To)).toEqual(["+351912345601", "+351912345602"]);

    // Nobody reached yet: the call fails as a whole, so the same key can be retried for everyone.
    fake.fail({ status: 429, code: 20429 }, { method: "POST" });
    expect(await callError(client, "send_invitations", { recipients: [{ name: "Gus", phone: "+351912345604" }], template: "Hi {name}!", idempotency_key: "invite-all-throttled" })).toMatch(/^rate_limited:/);
    await close();
  });

  it("lists replies to our number from people this workspace wrote to, fenced as untrusted", async () => {
    const { client, close } = await connect();
    await send(client, { to: ANA, body: "Are you coming?" });
    fake.addInbound(ANA, "Yes! Vegetarian please", new Date("2027-03-10T10:03:00Z"));
    fake.addInbound("+447700900999", "a stranger, or another workspace's guest", new Date("2027-03-10T10:04:00Z"));
    fake.requests.length = 0;
    const { messages } = await callOk<{ messages: { from: string; keyword: string | null; receivedAt: string; body: UntrustedText }[] }>(client, "list_inbound_messages", {});
    expect(fake.requests.map((r) => [r.method, r.path, r.query])).toEqual([["GET", MESSAGES, { To: FROM, PageSize: "200" }]]);
    expect(messages.map((m) => [m.from, m.keyword, m.receivedAt])).toEqual([[ANA, null, "2027-03-10T10:03:00.000Z"]]);
    expect(messages[0]?.body).toMatchObject({ untrusted: true, text: expect.stringContaining("Yes! Vegetarian please") as string });

    fake.requests.length = 0;
    await callOk(client, "list_inbound_messages", { from: ANA, since: "2027-03-10T10:00:00Z", limit: 5 });
    expect(fake.requests[0]?.query).toEqual({ To: FROM, From: ANA, "DateSent>": "2027-03-10T10:00:00Z", PageSize: "5" });
    fake.requests.length = 0;
    expect((await callOk<{ messages: unknown[] }>(client, "list_inbound_messages", { from: "+447700900999" })).messages).toEqual([]);
    expect(fake.requests).toEqual([]);
    await close();
  });

  it("is chosen by the configuration when the credentials are set, and reaches TWILIO_BASE_URL", async () => {
    const config = loadConfig({ TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_FROM_NUMBER: FROM, TWILIO_BASE_URL: fake.url, TWILIO_QUIET_HOURS: "22:00-07:00" });
    const backend = createTwilioBackendFromConfig({ config, logger: createLogger({ level: "silent" }) }, clock.clock);
    expect(backend).toMatchObject({ mode: "twilio", fromNumber: FROM, rules: { quietHours: { start: "22:00", end: "07:00" }, maxPerRecipientPerHour: 3 } });
    const sandbox = createTwilioBackendFromConfig({ config: loadConfig({}), logger: createLogger({ level: "silent" }) });
    expect(sandbox.mode).toBe("sandbox");
    const { client, close } = await connect(backend);
    await send(client, { to: ANA, body: "Configured" });
    expect(fake.creates()[0]?.form).toMatchObject({ From: FROM, Body: "Configured" });
    await close();
  });
});
