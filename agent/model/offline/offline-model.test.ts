import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBudgetSummary } from "../../../domain/budget.js";
import type { DomainContext } from "../../../domain/context.js";
import { getEventDetails, listEvents } from "../../../domain/events.js";
import { listOutbox } from "../../../domain/sandbox.js";
import { listVendorQuotes } from "../../../domain/vendor-quotes.js";
import { ensureWorkspace } from "../../../domain/workspaces.js";
import { loadConfig } from "../../../lib/config.js";
import { createLogger } from "../../../lib/logger.js";
import { buildMcpServer } from "../../../mcp-servers/registry.js";
import { createTwilioBackendFromConfig, createTwilioServer } from "../../../mcp-servers/twilio/server.js";
import { describeEachDriver, type TestDatabase } from "../../../test/db.js";
import { McpClientManager } from "../../mcp/manager.js";
import { assistantMessage, type ConversationMessage, type ModelTool, type ModelTurn, type ToolResultBlock } from "../types.js";
import { OfflineModel, OFFLINE_MODEL_NAME } from "./offline-model.js";

const logger = createLogger({ level: "silent" });
/** The planner's "today": requests below name 2027 dates, so the plan never depends on the real date. */
const NOW = new Date("2026-11-24T10:00:00Z");
/** Noon in Lisbon and London, outside SMS quiet hours, so invitations are sent whenever the suite runs. */
const SMS_CLOCK = () => new Date("2026-11-24T12:00:00Z");
const OFFSITE = "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000";

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ept-offline-model-"));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** What the loop shows the model: every tool, without idempotency_key (the loop adds it). */
function modelTools(manager: McpClientManager): { tools: ModelTool[]; takesKey: Set<string> } {
  const takesKey = new Set<string>();
  const tools = manager.tools().map((tool) => {
    const { properties = {}, required = [], ...schema } = tool.inputSchema;
    if ("idempotency_key" in properties) takesKey.add(tool.name);
    const visible = Object.fromEntries(Object.entries(properties).filter(([key]) => key !== "idempotency_key"));
    return { name: tool.name, description: tool.description, input_schema: { ...schema, type: "object" as const, properties: visible, required: required.filter((key) => key !== "idempotency_key") } };
  });
  return { tools, takesKey };
}

interface Driven {
  answer: string;
  turns: ModelTurn[];
  messages: ConversationMessage[];
}

/**
 * A minimal loop: turn, call every tool_use (in parallel, as the real loop does), feed the results
 * back. Every call is approved except the ones `refuse` names, which get the loop's refusal text.
 */
async function drive(manager: McpClientManager, messages: ConversationMessage[], refuse: (tool: string) => boolean = () => false): Promise<Driven> {
  const model = new OfflineModel({ now: () => NOW });
  const { tools, takesKey } = modelTools(manager);
  const run = randomBytes(4).toString("hex");
  const turns: ModelTurn[] = [];
  for (let step = 0; step < 20; step++) {
    const turn = await model.turn({ system: "", tools, messages, maxTokens: 4096 });
    turns.push(turn);
    messages.push(assistantMessage(turn));
    if (turn.stopReason === "end_turn") return { answer: turn.content.map((block) => (block.type === "text" ? block.text : "")).join(""), turns, messages };
    const results = await Promise.all(
      turn.content.map(async (block): Promise<ToolResultBlock | undefined> => {
        if (block.type !== "tool_use") return undefined;
        expect(block.input).not.toHaveProperty("idempotency_key");
        if (refuse(block.name)) {
          return { type: "tool_result", tool_use_id: block.id, is_error: true, content: `A person rejected the call to ${block.name}; it was not made. Their note: wait for the signed contract` };
        }
        const args = takesKey.has(block.name) ? { ...block.input, idempotency_key: `${run}:${block.id}` } : block.input;
        const result = await manager.callTool(block.name, args);
        const text = (result.content as { text?: string }[]).map((part) => part.text ?? "").join("\n");
        return result.isError ? { type: "tool_result", tool_use_id: block.id, is_error: true, content: text } : { type: "tool_result", tool_use_id: block.id, content: JSON.stringify(result.structuredContent) };
      }),
    );
    messages.push({ role: "user", content: results.filter((result): result is ToolResultBlock => result !== undefined) });
  }
  throw new Error("the offline model did not finish within 20 turns");
}

function toolCalls(turns: readonly ModelTurn[]): string[] {
  return turns.flatMap((turn) => turn.content.flatMap((block) => (block.type === "tool_use" ? [block.name] : [])));
}

describeEachDriver("OfflineModel against the real MCP servers", (t: () => TestDatabase) => {
  async function setUp(): Promise<{ ctx: DomainContext; manager: McpClientManager }> {
    const workspace = await ensureWorkspace(t().db, `offline-${randomBytes(4).toString("hex")}`);
    const manager = await McpClientManager.connect({
      config: loadConfig({ EVENT_PLANNER_DATA_DIR: dataDir }),
      logger,
      workspace,
      handle: t().handle,
      definitions: (name, deps) => (name === "twilio" ? createTwilioServer(createTwilioBackendFromConfig(deps, SMS_CLOCK)) : buildMcpServer(name, deps)),
    });
    return { ctx: { db: t().db, workspaceId: workspace.id, actor: { kind: "system" } }, manager };
  }

  it("plans the 2-day Lisbon offsite end to end: event, held venue, budget, timeline, calendar, document, Slack and the deposit", async () => {
    const { ctx, manager } = await setUp();
    try {
      const { answer, turns, messages } = await drive(manager, [{ role: "user", content: OFFSITE }]);

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

      const calendar = await listOutbox(ctx, "calendar");
      expect(calendar).toHaveLength(1);
      expect(calendar[0]!.data).toMatchObject({ attendees: [] });
      const docs = (await listOutbox(ctx, "doc")).filter((object) => object.kind === "document");
      expect(docs).toHaveLength(1);
      expect(await listOutbox(ctx, "slack")).toHaveLength(1);
      const payments = (await listOutbox(ctx, "payment")).filter((object) => object.kind === "payment");
      expect(payments).toHaveLength(1);
      expect(payments[0]!.data).toMatchObject({ amount: Math.round(booking.priceMinor * 0.3), currency: "eur" });

      expect(answer).toContain("offline rule-based planner");
      expect(answer).toContain(booking.venue.name);
      expect(answer).toMatch(/Deposit of €[\d,.]+ \(30%\) to .*: paid/);
      expect(turns.at(-1)).toMatchObject({ stopReason: "end_turn", model: OFFLINE_MODEL_NAME, usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 } });
      // The deposit waits for approval, so it is asked for last, on its own.
      expect(turns.at(-2)!.content.filter((block) => block.type === "tool_use").map((block) => (block.type === "tool_use" ? block.name : ""))).toEqual(["stripe__pay_vendor_deposit"]);

      // Stateless: a fresh model given any prefix of the conversation answers exactly as the run did,
      // which is what resuming a run in another process relies on.
      const ids = new Set<string>();
      for (let index = 0; index < messages.length; index++) {
        const message = messages[index]!;
        if (message.role !== "assistant") continue;
        const replayed = await new OfflineModel({ now: () => NOW }).turn({ system: "", tools: modelTools(manager).tools, messages: messages.slice(0, index), maxTokens: 4096 });
        expect(assistantMessage(replayed)).toEqual(message);
        for (const block of replayed.content) if (block.type === "tool_use") ids.add(block.id);
      }
      expect(ids.size).toBe(toolCalls(turns).length);
      for (const id of ids) expect(id).toMatch(/^toolu_offline_\d+_\d+$/);
    } finally {
      await manager.close();
    }
  });

  it("says no venue fits 5000 people, and creates and holds nothing", async () => {
    const { ctx, manager } = await setUp();
    try {
      const { answer, turns } = await drive(manager, [{ role: "user", content: "Plan a conference for 5000 people in Lisbon on 12 May 2027, budget EUR 900000" }]);
      expect(answer).toMatch(/No venue in Lisbon holds 5000 people: the largest there is .+ for 450\./);
      expect(answer).toContain("did not create an event or hold a venue");
      expect(toolCalls(turns).every((name) => name === "postgres__search_venues" || name === "postgres__search_vendors")).toBe(true);
      expect(await listEvents(ctx)).toEqual([]);
    } finally {
      await manager.close();
    }
  });

  it("refuses to overspend: a budget below the cheapest venue plus catering creates nothing", async () => {
    const { ctx, manager } = await setUp();
    try {
      const { answer } = await drive(manager, [{ role: "user", content: "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 3000" }]);
      expect(answer).toMatch(/budget of €3,000\.00 does not cover/);
      expect(await listEvents(ctx)).toEqual([]);
    } finally {
      await manager.close();
    }
  });

  it("carries on when a person refuses the deposit, and says it was not paid", async () => {
    const { ctx, manager } = await setUp();
    try {
      const { answer } = await drive(manager, [{ role: "user", content: OFFSITE }], (tool) => tool === "stripe__pay_vendor_deposit");
      expect(answer).toMatch(/NOT paid\. A person rejected the payment; .* Their note: "wait for the signed contract"/);
      expect((await listOutbox(ctx, "payment")).filter((object) => object.kind === "payment")).toEqual([]);
      const [event] = await listEvents(ctx);
      const details = await getEventDetails(ctx, event!.id);
      expect(details.venueBookings.map((booking) => booking.status)).toEqual(["hold"]);
      expect(await listOutbox(ctx, "calendar")).toHaveLength(1);
    } finally {
      await manager.close();
    }
  });

  it("plans a wedding with dietary and access needs, adds the guests and texts them invitations", async () => {
    const { ctx, manager } = await setUp();
    try {
      const { answer } = await drive(manager, [
        {
          role: "user",
          content:
            "Plan a wedding for 120 guests in Barcelona on 12 June 2027, budget €60,000, vegetarian and gluten-free menu, wheelchair access. Invite Ana Silva +351912345678 and Ben Okafor +44 7700 900123.",
        },
      ]);
      const [event] = await listEvents(ctx);
      expect(event).toMatchObject({ kind: "wedding", city: "Barcelona", headcount: 120, requirements: { dietary: ["vegetarian", "gluten_free"] } });
      const details = await getEventDetails(ctx, event!.id);
      expect(details.venueBookings[0]!.venue).toMatchObject({ wheelchairAccessible: true });
      expect(details.venueBookings[0]!.venue.capacity).toBeGreaterThanOrEqual(120);
      expect(details.guests.map((guest) => [guest.name, guest.phone])).toEqual([
        ["Ana Silva", "+351912345678"],
        ["Ben Okafor", "+447700900123"],
      ]);
      const sms = await listOutbox(ctx, "sms");
      expect(sms).toHaveLength(2);
      expect(sms.map((message) => String(message.data.body))).toEqual(expect.arrayContaining([expect.stringMatching(/^Hi Ana Silva! You're invited to Barcelona wedding, 12 June 2027/)]));
      const quotes = await listVendorQuotes(ctx, { eventId: event!.id });
      expect(quotes).toHaveLength(1);
      expect(quotes[0]!.description).toMatch(/vegetarian and gluten-free/);
      expect(answer).toMatch(/SMS invitations: 2 sent/);
    } finally {
      await manager.close();
    }
  });

  it("holds the next free venue when the best one is already booked for those dates", async () => {
    const { ctx, manager } = await setUp();
    try {
      await drive(manager, [{ role: "user", content: OFFSITE }]);
      const { answer } = await drive(manager, [{ role: "user", content: OFFSITE }]);
      // Newest first: the second plan, then the first.
      const events = await listEvents(ctx);
      expect(events).toHaveLength(2);
      const held = await Promise.all(events.map(async (event) => (await getEventDetails(ctx, event.id)).venueBookings.map((booking) => booking.venue.name)));
      expect(held.map((names) => names.length)).toEqual([1, 1]);
      const [second, first] = held.map((names) => names[0] ?? "");
      expect(second).not.toBe(first);
      expect(answer).toContain(`${second}, `);
      expect(answer).not.toContain(first);
    } finally {
      await manager.close();
    }
  });

  it("replans a follow-up in the same conversation from the earlier facts", async () => {
    const { ctx, manager } = await setUp();
    try {
      const { messages } = await drive(manager, [{ role: "user", content: OFFSITE }]);
      messages.push({ role: "user", content: "Move it to April" });
      const { answer } = await drive(manager, messages);
      const events = await listEvents(ctx);
      expect(events).toHaveLength(2);
      const moved = events.find((event) => event.startsAt?.toISOString().startsWith("2027-04"));
      // Same length, headcount and budget as asked before; the first Tuesday of April.
      expect(moved).toMatchObject({ headcount: 40, budgetMinor: 3_000_000, kind: "offsite" });
      expect(moved!.startsAt?.toISOString()).toBe("2027-04-06T08:00:00.000Z");
      expect(answer).toMatch(/earlier draft .* unchanged/);
    } finally {
      await manager.close();
    }
  });
});

describe("OfflineModel without tools to call", () => {
  const names = ["postgres__search_venues", "postgres__search_vendors", "postgres__create_event", "postgres__hold_venue"];
  const tools: ModelTool[] = names.map((name) => ({ name, description: name, input_schema: { type: "object" } }));
  const model = new OfflineModel({ now: () => NOW });

  it("asks for the city when the request has none, and plans once it is given", async () => {
    const messages: ConversationMessage[] = [{ role: "user", content: "Plan a 2-day offsite for 40 people in March 2027, budget EUR 30000" }];
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
    const messages: ConversationMessage[] = [
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
