import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listApprovals } from "../../../domain/approvals.js";
import { getBudgetSummary } from "../../../domain/budget.js";
import type { DomainContext } from "../../../domain/context.js";
import { listMessages } from "../../../domain/conversations.js";
import { getEventDetails, listEvents } from "../../../domain/events.js";
import { submitPlanningRequest } from "../../../domain/planning-requests.js";
import { isTerminalRunStatus, listRunSteps } from "../../../domain/runs.js";
import { listOutbox } from "../../../domain/sandbox.js";
import { listVendorQuotes } from "../../../domain/vendor-quotes.js";
import { ensureWorkspace } from "../../../domain/workspaces.js";
import type { DatabaseDriver } from "../../../drizzle/client.js";
import type { Approval, Run, SandboxObject, Workspace } from "../../../drizzle/schema/index.js";
import { loadConfig, type Config } from "../../../lib/config.js";
import { createLogger } from "../../../lib/logger.js";
import { buildMcpServer } from "../../../mcp-servers/registry.js";
import { createTwilioBackendFromConfig, createTwilioServer } from "../../../mcp-servers/twilio/server.js";
import { createTestDatabase, DRIVERS, type TestDatabase } from "../../../test/db.js";
import { decideRunApproval } from "../../approvals.js";
import { runAgent } from "../../loop.js";
import { McpClientManager } from "../../mcp/manager.js";
import { parseStep } from "../../steps.js";
import { deriveIdempotencyKey } from "../../tools.js";
import { assistantMessage, type ModelClient, type ModelRequest, type ModelTool, type ModelTurn } from "../types.js";
import { OfflineModel, OFFLINE_MODEL_NAME } from "./offline-model.js";

const logger = createLogger({ level: "silent" });
/** The planner's "today": requests below name 2027 dates, so the plan never depends on the real date. */
const NOW = new Date("2026-11-24T10:00:00Z");
/** Noon in Lisbon, London and Berlin, outside SMS quiet hours, so invitations are sent whenever the suite runs. */
const SMS_CLOCK = () => new Date("2026-11-24T12:00:00Z");
/**
 * Catalogue venues are rooms shared by every workspace, so each case plans its Lisbon offsite in a
 * month of its own: no case finds the rooms taken by another, whatever order they run in.
 */
const offsiteIn = (month: string) => `Plan a 2-day offsite for 40 people in Lisbon in ${month} 2027, budget EUR 30000`;
const OFFSITE = offsiteIn("March");
const CONFERENCE = "Plan a 1-day conference for 300 people in Berlin on 14 September 2027, budget EUR 120000. Invite Lena Vogel +49 151 23456789 and Tom Becker +49 160 98765432.";
const DEPOSIT = "stripe__pay_vendor_deposit";
const INVITATIONS = "twilio__send_invitations";

let dataDir: string;
let config: Config;
/** One database per driver for the whole file: opening PGlite is most of a case's cost. */
const databases = new Map<DatabaseDriver, TestDatabase>();
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ept-offline-model-"));
  config = loadConfig({ EVENT_PLANNER_DATA_DIR: dataDir });
  await Promise.all(DRIVERS.map(async (driver) => databases.set(driver, await createTestDatabase(driver))));
});
afterAll(async () => {
  await Promise.all([...databases.values()].map((database) => database.drop()));
  rmSync(dataDir, { recursive: true, force: true });
});

function database(driver: DatabaseDriver): TestDatabase {
  const found = databases.get(driver);
  if (!found) throw new Error(`test database for ${driver} not ready`);
  return found;
}

/** What a person decides for each approval the run asks for. */
type Decide = (approval: Approval) => { decision: "approve" } | { decision: "reject"; note: string };
const approveAll: Decide = () => ({ decision: "approve" });

/** The real OfflineModel, with every request the loop made of it and every turn it answered, in order. */
class RecordingModel implements ModelClient {
  readonly model = OFFLINE_MODEL_NAME;
  constructor(
    private readonly inner: OfflineModel,
    readonly calls: { request: ModelRequest; turn: ModelTurn }[],
  ) {}

  async turn(request: ModelRequest): Promise<ModelTurn> {
    const turn = await this.inner.turn(request);
    this.calls.push({ request, turn });
    return turn;
  }
}

interface Planned {
  run: Run;
  /** The run's final answer, as stored on the run. */
  answer: string;
  conversationId: string;
  /** Every approval the run asked for, oldest first, as decided. */
  approvals: Approval[];
  /** Every model call of the run, across its pauses for approval. */
  calls: { request: ModelRequest; turn: ModelTurn }[];
}

interface Planner {
  ctx: DomainContext;
  /**
   * Submit a request as a person would, then work on its run with the real loop (as the worker
   * does): MCP clients opened for the run, the offline model, each pause for approval decided by
   * a person, resumed by a fresh `runAgent` call (a new model instance, as in another process),
   * until the run ends.
   */
  plan: (content: string, options?: { conversationId?: string; decide?: Decide }) => Promise<Planned>;
}

async function planner(testDb: TestDatabase): Promise<Planner> {
  const workspace: Workspace = await ensureWorkspace(testDb.db, `offline-${randomBytes(4).toString("hex")}`);
  const ctx: DomainContext = { db: testDb.db, workspaceId: workspace.id, actor: { kind: "system" } };
  const approver: DomainContext = { ...ctx, actor: { kind: "user", id: "key-ana" } };

  async function plan(content: string, { conversationId, decide = approveAll }: { conversationId?: string; decide?: Decide } = {}): Promise<Planned> {
    const submitted = await submitPlanningRequest(ctx, { content, ...(conversationId ? { conversationId } : {}), provider: "offline", model: OFFLINE_MODEL_NAME });
    const runId = submitted.run.id;
    const mcp = await McpClientManager.connect({
      config,
      logger,
      workspace,
      handle: testDb.handle,
      runId,
      definitions: (name, deps) => (name === "twilio" ? createTwilioServer(createTwilioBackendFromConfig(deps, SMS_CLOCK)) : buildMcpServer(name, deps)),
    });
    const calls: Planned["calls"] = [];
    try {
      for (let round = 0; round < 5; round++) {
        const model = new RecordingModel(new OfflineModel({ now: () => NOW }), calls);
        const run = await runAgent({ db: testDb.db, config, logger, model, provider: "offline", mcp }, { workspace, runId });
        if (run.status === "awaiting_approval") {
          const pending = await listApprovals(ctx, { runId, status: "pending" });
          expect(pending.length).toBeGreaterThan(0);
          for (const approval of pending) await decideRunApproval(approver, approval.id, decide(approval));
          continue;
        }
        expect(isTerminalRunStatus(run.status)).toBe(true);
        const approvals = (await listApprovals(ctx, { runId })).reverse();
        const answer = typeof run.result?.text === "string" ? run.result.text : "";
        return { run, answer, conversationId: submitted.conversation.id, approvals, calls };
      }
      throw new Error("the run did not finish within 5 rounds of approvals");
    } finally {
      await mcp.close();
    }
  }

  return { ctx, plan };
}

function toolCalls(turns: readonly ModelTurn[]): string[] {
  return turns.flatMap((turn) => turn.content.flatMap((block) => (block.type === "tool_use" ? [block.name] : [])));
}

function turnsOf(planned: Planned): ModelTurn[] {
  return planned.calls.map((call) => call.turn);
}

/** Slack posts, split into the approval requests the loop posted (one per approval) and the rest. */
function slackPosts(posts: readonly SandboxObject[], approvals: readonly Approval[]): { requests: SandboxObject[]; others: SandboxObject[] } {
  const isRequest = (post: SandboxObject) => approvals.some((approval) => JSON.stringify(post.data).includes(approval.id));
  return { requests: posts.filter(isRequest), others: posts.filter((post) => !isRequest(post)) };
}

// The whole product on each database it runs on: Postgres for the server, PGlite for a laptop with no key.
describe.each(DRIVERS)("OfflineModel through the agent loop, end to end [%s]", (driver) => {
  it("plans the 2-day Lisbon offsite: event, held venue, budget, timeline, calendar, document, Slack, and the deposit once a person approves it", async () => {
    const { ctx, plan } = await planner(database(driver));
    const planned = await plan(OFFSITE);
    const { run, answer, approvals } = planned;
    expect(run.status).toBe("succeeded");

    const events = await listEvents(ctx);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event).toMatchObject({ kind: "offsite", city: "Lisbon", countryCode: "PT", timeZone: "Europe/Lisbon", headcount: 40, budgetMinor: 3_000_000, currency: "EUR" });
    // The first Tuesday of March 2027, a working day in Lisbon (UTC+0 until the end of March).
    expect(event.startsAt?.toISOString()).toBe("2027-03-02T09:00:00.000Z");
    expect(event.endsAt?.toISOString()).toBe("2027-03-03T18:00:00.000Z");

    const details = await getEventDetails(ctx, event.id);
    expect(details.venueBookings).toHaveLength(1);
    const booking = details.venueBookings[0]!;
    expect(booking.status).toBe("hold");
    expect(booking.venue.city).toBe("Lisbon");
    expect(booking.venue.capacity).toBeGreaterThanOrEqual(40);

    const budget = await getBudgetSummary(ctx, event.id);
    expect(budget.overBudget).toBe(false);
    expect(budget.plannedMinor).toBeLessThanOrEqual(3_000_000);
    expect(details.budgetLines.map((line) => line.category)).toEqual(expect.arrayContaining(["venue", "catering"]));
    expect(details.budgetLines.find((line) => line.category === "venue")).toMatchObject({ plannedMinor: booking.priceMinor, venueBookingId: booking.id });

    expect(details.tasks.length).toBeGreaterThanOrEqual(5);
    for (const task of details.tasks) expect(task.dueAt!.getTime()).toBeLessThan(event.startsAt!.getTime());
    expect((await listVendorQuotes(ctx, { eventId: event.id })).map((quote) => quote.status)).toEqual(["requested"]);

    // The deposit is the one thing a person was asked about, and it was paid only after they approved.
    const deposit = Math.round(booking.priceMinor * 0.3);
    expect(approvals).toEqual([expect.objectContaining({ action: DEPOSIT, status: "approved", amountMinor: deposit, currency: "EUR", recipients: [booking.venue.name] })]);
    const calendar = await listOutbox(ctx, "calendar");
    expect(calendar).toHaveLength(1);
    expect(calendar[0]!.data).toMatchObject({ attendees: [] });
    expect((await listOutbox(ctx, "doc")).filter((object) => object.kind === "document")).toHaveLength(1);
    const slack = slackPosts(await listOutbox(ctx, "slack"), approvals);
    expect(slack.others).toHaveLength(1);
    expect(slack.requests).toHaveLength(1);
    const payments = (await listOutbox(ctx, "payment")).filter((object) => object.kind === "payment");
    expect(payments).toHaveLength(1);
    expect(payments[0]!.data).toMatchObject({ amount: deposit, currency: "eur" });
    expect(await listOutbox(ctx, "sms")).toEqual([]);

    expect(answer).toContain("offline rule-based planner");
    expect(answer).toContain(booking.venue.name);
    expect(answer).toMatch(/Deposit of €[\d,.]+ \(30%\) to .*: paid/);
    // The person reads the same answer in the conversation.
    expect((await listMessages(ctx, planned.conversationId)).at(-1)).toMatchObject({ role: "assistant", content: answer });

    const turns = turnsOf(planned);
    expect(turns.at(-1)).toMatchObject({ stopReason: "end_turn", model: OFFLINE_MODEL_NAME, usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 } });
    // The deposit waits for approval, so it is asked for last, on its own.
    expect(toolCalls([turns.at(-2)!])).toEqual([DEPOSIT]);

    // The model never sees or writes idempotency keys; the loop derives one per (run, tool use).
    for (const turn of turns) for (const block of turn.content) if (block.type === "tool_use") expect(block.input).not.toHaveProperty("idempotency_key");
    const paid = (await listRunSteps(ctx, run.id)).map(parseStep).flatMap((step) => (step.kind === "tool_call" && step.payload.tool === DEPOSIT ? [step.payload] : []));
    expect(paid).toHaveLength(1);
    expect(paid[0]!.args.idempotency_key).toBe(deriveIdempotencyKey(run.id, paid[0]!.toolUseId));

    // Stateless: a fresh model given the messages of any turn (including those the loop re-read
    // from the database after the approval) answers exactly as the run did.
    const ids = new Set<string>();
    for (const { request, turn } of planned.calls) {
      const replayed = await new OfflineModel({ now: () => NOW }).turn({ system: "", tools: request.tools, messages: request.messages, maxTokens: 4096 });
      expect(assistantMessage(replayed)).toEqual(assistantMessage(turn));
      for (const block of replayed.content) if (block.type === "tool_use") ids.add(block.id);
    }
    expect(ids.size).toBe(toolCalls(turns).length);
    for (const id of ids) expect(id).toMatch(/^toolu_offline_\d+_\d+$/);
  });

  it("plans a 300-person Berlin conference through all six servers, invitations and deposit after approval", async () => {
    const { ctx, plan } = await planner(database(driver));
    const { run, answer, approvals } = await plan(CONFERENCE);
    expect(run.status).toBe("succeeded");

    // postgres: the event, its held venue, the budget and the timeline.
    const events = await listEvents(ctx);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event).toMatchObject({ kind: "conference", city: "Berlin", countryCode: "DE", timeZone: "Europe/Berlin", headcount: 300, budgetMinor: 12_000_000, currency: "EUR" });
    // 09:00 to 18:00 Berlin summer time.
    expect(event.startsAt?.toISOString()).toBe("2027-09-14T07:00:00.000Z");
    expect(event.endsAt?.toISOString()).toBe("2027-09-14T16:00:00.000Z");
    const details = await getEventDetails(ctx, event.id);
    expect(details.venueBookings).toHaveLength(1);
    const booking = details.venueBookings[0]!;
    expect(booking.status).toBe("hold");
    expect(booking.venue).toMatchObject({ city: "Berlin", kind: "conference_center" });
    expect(booking.venue.capacity).toBeGreaterThanOrEqual(300);
    const budget = await getBudgetSummary(ctx, event.id);
    expect(budget.overBudget).toBe(false);
    expect(budget.plannedMinor).toBeLessThanOrEqual(12_000_000);
    expect(details.budgetLines.map((line) => line.category)).toEqual(expect.arrayContaining(["venue", "catering", "av"]));
    expect(details.tasks.map((task) => task.title)).toContain("Publish the programme and speaker schedule");
    for (const task of details.tasks) expect(task.dueAt!.getTime()).toBeLessThan(event.startsAt!.getTime());
    expect(details.guests.map((guest) => [guest.name, guest.phone])).toEqual([
      ["Lena Vogel", "+4915123456789"],
      ["Tom Becker", "+4916098765432"],
    ]);

    // A person approved the invitations, then the deposit, each in its own pause.
    const deposit = Math.round(booking.priceMinor * 0.3);
    expect(approvals.map((approval) => [approval.action, approval.status])).toEqual([
      [INVITATIONS, "approved"],
      [DEPOSIT, "approved"],
    ]);
    expect(approvals[0]!.recipients).toEqual(["Lena Vogel (+4915123456789)", "Tom Becker (+4916098765432)"]);
    expect(approvals[1]).toMatchObject({ amountMinor: deposit, currency: "EUR", recipients: [booking.venue.name] });

    // calendar, gdrive, slack, twilio and stripe, as their outboxes show.
    const calendar = await listOutbox(ctx, "calendar");
    expect(calendar).toHaveLength(1);
    expect(calendar[0]!.data).toMatchObject({ attendees: [] });
    expect((await listOutbox(ctx, "doc")).filter((object) => object.kind === "document")).toHaveLength(1);
    const slack = slackPosts(await listOutbox(ctx, "slack"), approvals);
    expect(slack.others).toHaveLength(1);
    expect(slack.requests).toHaveLength(2);
    const sms = await listOutbox(ctx, "sms");
    expect(sms.map((message) => message.data.to).sort()).toEqual(["+4915123456789", "+4916098765432"]);
    expect(sms.map((message) => String(message.data.body))).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^Hi Lena Vogel! You're invited to .* at ${booking.venue.name}, Berlin`))]));
    const payments = (await listOutbox(ctx, "payment")).filter((object) => object.kind === "payment");
    expect(payments).toHaveLength(1);
    expect(payments[0]!.data).toMatchObject({ amount: deposit, currency: "eur" });

    expect(answer).toContain(booking.venue.name);
    expect(answer).toMatch(/SMS invitations: 2 sent/);
    expect(answer).toMatch(/Deposit of €[\d,.]+ \(30%\) to .*: paid/);
  });
});

describe("OfflineModel through the agent loop, on PGlite", () => {
  it("says no venue fits 5000 people, and creates and holds nothing", async () => {
    const { ctx, plan } = await planner(database("pglite"));
    const planned = await plan("Plan a conference for 5000 people in Lisbon on 12 May 2027, budget EUR 900000");
    expect(planned.run.status).toBe("succeeded");
    expect(planned.answer).toMatch(/No venue in Lisbon holds 5000 people: the largest there is .+ for 450\./);
    expect(planned.answer).toContain("did not create an event or hold a venue");
    expect(toolCalls(turnsOf(planned)).every((name) => name === "postgres__search_venues" || name === "postgres__search_vendors")).toBe(true);
    expect(planned.approvals).toEqual([]);
    expect(await listEvents(ctx)).toEqual([]);
  });

  it("refuses to overspend: a budget below the cheapest venue plus catering creates nothing", async () => {
    const { ctx, plan } = await planner(database("pglite"));
    const planned = await plan("Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 3000");
    expect(planned.run.status).toBe("succeeded");
    expect(planned.answer).toMatch(/budget of €3,000\.00 does not cover/);
    expect(await listEvents(ctx)).toEqual([]);
  });

  it("carries on when a person rejects the deposit, and says it was not paid", async () => {
    const { ctx, plan } = await planner(database("pglite"));
    const planned = await plan(offsiteIn("June"), { decide: (approval) => (approval.action === DEPOSIT ? { decision: "reject", note: "wait for the signed contract" } : { decision: "approve" }) });
    expect(planned.run.status).toBe("succeeded");
    expect(planned.approvals).toEqual([expect.objectContaining({ action: DEPOSIT, status: "rejected", note: "wait for the signed contract" })]);
    expect(planned.answer).toMatch(/NOT paid\. A person rejected the payment; .* Their note: "wait for the signed contract"/);
    expect((await listOutbox(ctx, "payment")).filter((object) => object.kind === "payment")).toEqual([]);
    const [event] = await listEvents(ctx);
    const details = await getEventDetails(ctx, event!.id);
    expect(details.venueBookings.map((booking) => booking.status)).toEqual(["hold"]);
    expect(await listOutbox(ctx, "calendar")).toHaveLength(1);
  });

  it("plans a wedding with dietary and access needs, adds the guests and texts them invitations once approved", async () => {
    const { ctx, plan } = await planner(database("pglite"));
    const planned = await plan(
      "Plan a wedding for 120 guests in Barcelona on 12 June 2027, budget €60,000, vegetarian and gluten-free menu, wheelchair access. Invite Ana Silva +351912345678 and Ben Okafor +44 7700 900123.",
    );
    expect(planned.run.status).toBe("succeeded");
    const [event] = await listEvents(ctx);
    expect(event).toMatchObject({ kind: "wedding", city: "Barcelona", headcount: 120, requirements: { dietary: ["vegetarian", "gluten_free"] } });
    const details = await getEventDetails(ctx, event!.id);
    expect(details.venueBookings[0]!.venue).toMatchObject({ wheelchairAccessible: true });
    expect(details.venueBookings[0]!.venue.capacity).toBeGreaterThanOrEqual(120);
    expect(details.guests.map((guest) => [guest.name, guest.phone])).toEqual([
      ["Ana Silva", "+351912345678"],
      ["Ben Okafor", "+447700900123"],
    ]);
    expect(planned.approvals.map((approval) => approval.action)).toEqual([INVITATIONS, DEPOSIT]);
    const sms = await listOutbox(ctx, "sms");
    expect(sms).toHaveLength(2);
    expect(sms.map((message) => String(message.data.body))).toEqual(expect.arrayContaining([expect.stringMatching(/^Hi Ana Silva! You're invited to Barcelona wedding, 12 June 2027/)]));
    const quotes = await listVendorQuotes(ctx, { eventId: event!.id });
    expect(quotes).toHaveLength(1);
    expect(quotes[0]!.description).toMatch(/vegetarian and gluten-free/);
    expect(planned.answer).toMatch(/SMS invitations: 2 sent/);
  });

  it("holds the next free venue when the best one is already booked for those dates", async () => {
    const { ctx, plan } = await planner(database("pglite"));
    await plan(offsiteIn("October"));
    const { answer } = await plan(offsiteIn("October"));
    // Newest first: the second plan, then the first.
    const events = await listEvents(ctx);
    expect(events).toHaveLength(2);
    const held = await Promise.all(events.map(async (event) => (await getEventDetails(ctx, event.id)).venueBookings.map((booking) => booking.venue.name)));
    expect(held.map((names) => names.length)).toEqual([1, 1]);
    const [second, first] = held.map((names) => names[0] ?? "");
    expect(second).not.toBe(first);
    expect(answer).toContain(`${second}, `);
    expect(answer).not.toContain(first);
  });

  it("replans a follow-up in the same conversation as a new run, from the earlier facts, and plans nothing for a message that changes nothing", async () => {
    const { ctx, plan } = await planner(database("pglite"));
    const first = await plan(OFFSITE);
    const [draft] = await listEvents(ctx);
    const followUp = await plan("Move it to April", { conversationId: first.conversationId });
    expect(followUp.run.id).not.toBe(first.run.id);
    expect(followUp.run.status).toBe("succeeded");
    const events = await listEvents(ctx);
    expect(events).toHaveLength(2);
    const moved = events.find((event) => event.startsAt?.toISOString().startsWith("2027-04"));
    // Same length, headcount and budget as asked before; the first Tuesday of April.
    expect(moved).toMatchObject({ headcount: 40, budgetMinor: 3_000_000, kind: "offsite" });
    expect(moved!.startsAt?.toISOString()).toBe("2027-04-06T08:00:00.000Z");
    // The earlier run is read back from its answer alone, and the person is told its draft and hold remain.
    expect(followUp.answer).toMatch(/earlier draft .* unchanged/);
    expect(followUp.answer).toContain(draft!.id);

    // A third message that changes nothing plans nothing.
    const thanks = await plan("thanks!", { conversationId: first.conversationId });
    expect(thanks.run.status).toBe("succeeded");
    expect(thanks.answer).toMatch(/nothing in that message to change the plan/);
    expect(toolCalls(turnsOf(thanks))).toEqual([]);
    expect(await listEvents(ctx)).toHaveLength(2);
  });
});

describe("OfflineModel without tools to call", () => {
  const names = ["postgres__search_venues", "postgres__search_vendors", "postgres__create_event", "postgres__hold_venue"];
  const tools: ModelTool[] = names.map((name) => ({ name, description: name, input_schema: { type: "object" } }));
  const model = new OfflineModel({ now: () => NOW });

  it("asks for the city when the request has none, and plans once it is given", async () => {
    const messages: ModelRequest["messages"] = [{ role: "user", content: "Plan a 2-day offsite for 40 people in March 2027, budget EUR 30000" }];
    const asked = await model.turn({ system: "", tools, messages, maxTokens: 1024 });
    expect(asked.stopReason).toBe("end_turn");
    expect(asked.content).toEqual([{ type: "text", text: expect.stringMatching(/I need to know which city/) as unknown }]);

    messages.push(assistantMessage(asked), { role: "user", content: "Lisbon" });
    const next = await model.turn({ system: "", tools, messages, maxTokens: 1024 });
    expect(next.stopReason).toBe("tool_use");
    expect(next.content.find((block) => block.type === "tool_use")).toMatchObject({ id: "toolu_offline_1_0", name: "postgres__search_venues", input: { city: "Lisbon", minCapacity: 40 } });
  });

  it("only calls tools it was given", async () => {
    const turn = await model.turn({ system: "", tools: tools.filter((tool) => tool.name !== "postgres__search_vendors"), messages: [{ role: "user", content: OFFSITE }], maxTokens: 1024 });
    expect(toolCalls([turn])).toEqual(["postgres__search_venues"]);
    const none = await model.turn({ system: "", tools: [], messages: [{ role: "user", content: OFFSITE }], maxTokens: 1024 });
    expect(none.stopReason).toBe("end_turn");
    expect(none.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/cannot plan without postgres__search_venues/) as unknown });
  });

  it("says when a message changes nothing, instead of planning again", async () => {
    const messages: ModelRequest["messages"] = [
      { role: "user", content: OFFSITE },
      { role: "assistant", content: "Here is the plan." },
      { role: "user", content: "thanks!" },
    ];
    const turn = await model.turn({ system: "", tools, messages, maxTokens: 1024 });
    expect(turn.stopReason).toBe("end_turn");
    expect(turn.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/nothing in that message to change the plan/) as unknown });
  });

  it("stops when the call is cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(model.turn({ system: "", tools, messages: [{ role: "user", content: OFFSITE }], maxTokens: 1024, signal: controller.signal })).rejects.toMatchObject({ code: "upstream_failed" });
  });
});
