/**
 * Tenant isolation over every tool of the six MCP servers. Workspaces A and B are given the same
 * kinds of rows through the tools themselves (an event with a venue hold, a quote, guests, tasks and
 * a budget line; a calendar event, a document, a Slack post and thread, a Stripe customer and
 * payment, sent and received SMS). Then every tool is called in B's workspace with A's ids: each
 * answers not_found (or, for a list or search, only B's own rows) and never shows a byte of A's
 * data; `postgres__query_readonly` cannot read A's rows, however the SQL joins. The tools are
 * enumerated from the server definitions, so a new tool without a case here fails the test.
 */
import { randomBytes } from "node:crypto";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainContext } from "../domain/context.js";
import { ensureExternalConversation } from "../domain/conversations.js";
import { createSandboxObject } from "../domain/sandbox.js";
import { slackThreadRef } from "../domain/slack-threads.js";
import { loadConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { newWorkspaceContext } from "../test/context.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { connectInMemory } from "./host/in-memory.js";
import { MCP_SERVER_NAMES, type McpServerName } from "./host/server.js";
import { callOk, testToolContext } from "./host/testing.js";
import { buildMcpServer } from "./registry.js";
import { createTwilioBackendFromConfig } from "./twilio/server.js";

const config = loadConfig({ SLACK_ALLOWED_CHANNELS: "event-planning" });
const logger = createLogger({ level: "silent" });

/** Quiet hours never apply: the recipient's zone is wherever it is early afternoon now. */
function afternoonZone(): string {
  const offset = 13 - new Date().getUTCHours();
  return offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
}

let keys = 0;
const key = (label: string) => `${label}-${++keys}-${randomBytes(3).toString("hex")}`;

interface Tenant {
  ctx: DomainContext;
  clients: Record<McpServerName, Client>;
  ids: Record<string, string>;
  marker: string;
  /** Every id and text of A's that must never reach B. */
  secrets: string[];
  close(): Promise<void>;
}

let database: TestDatabase;
let a: Tenant;
let b: Tenant;

async function tenant(label: string, day: number): Promise<Tenant> {
  const ctx = await newWorkspaceContext(database.db, label);
  const marker = `${label}${randomBytes(5).toString("hex")}`;
  const connections = await Promise.all(MCP_SERVER_NAMES.map(async (name) => [name, await connectInMemory(buildMcpServer(name, { config, logger }), testToolContext(database.handle, ctx))] as const));
  const clients = Object.fromEntries(connections.map(([name, c]) => [name, c.client])) as Record<McpServerName, Client>;
  const { postgres, calendar, gdrive, slack, stripe, twilio } = clients;
  const ids: Record<string, string> = {};
  const startsAt = `2027-04-${day}T08:00:00Z`;
  const endsAt = `2027-04-${day}T17:00:00Z`;

  ids.event = (await callOk<{ event: { id: string } }>(postgres, "create_event", { title: `${marker} offsite`, kind: "offsite", city: "Lisbon", countryCode: "PT", timeZone: "Europe/Lisbon", startsAt, endsAt, headcount: 40, budgetMinor: 3_000_000, currency: "EUR", idempotency_key: key("event") })).event.id;
  ids.venue = (await callOk<{ venues: { id: string }[] }>(postgres, "search_venues", { city: "Lisbon", minCapacity: 40 })).venues[day % 3]!.id;
  ids.booking = (await callOk<{ booking: { id: string } }>(postgres, "hold_venue", { eventId: ids.event, venueId: ids.venue, startsAt, endsAt, currency: "EUR", notes: `${marker} rooms`, idempotency_key: key("hold") })).booking.id;
  ids.vendor = (await callOk<{ vendors: { id: string }[] }>(postgres, "search_vendors", { city: "Lisbon", category: "catering" })).vendors[0]!.id;
  ids.quote = (await callOk<{ quote: { id: string } }>(postgres, "request_vendor_quote", { eventId: ids.event, vendorId: ids.vendor, description: `${marker} lunch`, idempotency_key: key("quote") })).quote.id;
  await callOk(postgres, "record_vendor_quote", { quoteId: ids.quote, amountMinor: 480_000, currency: "EUR", vendorNotes: `${marker} notes`, idempotency_key: key("price") });
  ids.guest = (await callOk<{ guests: { id: string }[] }>(postgres, "add_guests", { eventId: ids.event, guests: [{ name: `${marker} guest`, phone: `+3519${day}${String(randomBytes(3).readUIntBE(0, 3) % 1_000_000).padStart(6, "0")}`, email: `${marker}@example.com` }], idempotency_key: key("guests") })).guests[0]!.id;
  ids.task = (await callOk<{ tasks: { id: string }[] }>(postgres, "add_tasks", { eventId: ids.event, tasks: [{ title: `${marker} task`, daysBeforeEvent: 10 }], idempotency_key: key("tasks") })).tasks[0]!.id;
  await callOk(postgres, "add_budget_line", { eventId: ids.event, category: "catering", description: `${marker} line`, plannedMinor: 480_000, currency: "EUR", idempotency_key: key("line") });

  ids.calendarEvent = (await callOk<{ event: { id: string } }>(calendar, "create_calendar_event", { summary: `${marker} kickoff`, start: `2031-03-${day}T09:00:00Z`, end: `2031-03-${day}T17:00:00Z`, timeZone: "Europe/Lisbon", attendees: [`${marker}@example.com`], idempotency_key: key("cal") })).event.id;
  ids.document = (await callOk<{ document: { id: string } }>(gdrive, "create_document", { title: `${marker} plan`, markdown: `# ${marker}\nbudget`, idempotency_key: key("doc") })).document.id;
  await callOk(gdrive, "share_document", { documentId: ids.document, email: `${marker}@example.com`, role: "reader", allowExternal: true, idempotency_key: key("share") });
  ids.ts = (await callOk<{ message: { ts: string } }>(slack, "post_message", { channel: "event-planning", text: `${marker} post`, idempotency_key: key("post") })).message.ts;
  await callOk(slack, "reply_in_thread", { threadTs: ids.ts, text: `${marker} reply`, idempotency_key: key("reply") });
  ids.requestThread = `D0${label.toUpperCase().slice(0, 4)}0001`;
  await ensureExternalConversation(ctx, { channel: "slack", externalRef: slackThreadRef(ids.requestThread, "1712345678.000100") });
  ids.customer = (await callOk<{ customer: { id: string } }>(stripe, "create_customer", { name: `${marker} corp`, email: `${marker}@example.com`, idempotency_key: key("customer") })).customer.id;
  ids.payment = (await callOk<{ payment: { id: string } }>(stripe, "pay_vendor_deposit", { vendorName: `${marker} hall`, description: "deposit", amountMinor: 150_000, currency: "EUR", idempotency_key: key("deposit") })).payment.id;
  ids.phone = `+3519${day}1234567`.slice(0, 13);
  ids.sid = (await callOk<{ message: { sid: string } }>(twilio, "send_sms", { to: ids.phone, body: `${marker} sms`, timeZone: afternoonZone(), idempotency_key: key("sms") })).message.sid;
  await createTwilioBackendFromConfig({ config, logger }).recordInbound(ctx, { from: ids.phone, body: `${marker} inbound`, sid: `SM${randomBytes(16).toString("hex")}` });
  await createSandboxObject(ctx, { service: "stripe", kind: "note", externalId: `note-${marker}`, idempotencyKey: key("note"), status: "ok", data: { marker } });

  const secrets = [marker, ...Object.entries(ids).filter(([name]) => !["venue", "vendor", "phone", "requestThread"].includes(name)).map(([, id]) => id)];
  return { ctx, clients, ids, marker, secrets, close: async () => void (await Promise.all(connections.map(([, c]) => c.close()))) };
}

beforeAll(async () => {
  database = await createTestDatabase("postgres");
  a = await tenant("alpha", 11);
  b = await tenant("bravo", 21);
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await database.drop();
});

type Args = (ids: Record<string, string>) => Record<string, unknown>;
const day = { timeMin: "2031-03-01T00:00:00Z", timeMax: "2031-03-31T00:00:00Z" };

/**
 * For every tool: the arguments B sends, filled with A's ids. Tools without an id still run in B's
 * workspace (lists, searches, creates) and must show only B's rows.
 */
const CALLS: Record<string, Args> = {
  postgres__create_event: () => ({ title: "B's own", kind: "party", timeZone: "Europe/Lisbon", headcount: 5, currency: "EUR", idempotency_key: key("b-event") }),
  postgres__update_event: (ids) => ({ eventId: ids.event, title: "stolen", idempotency_key: key("b") }),
  postgres__get_event: (ids) => ({ eventId: ids.event }),
  postgres__list_events: () => ({}),
  postgres__search_venues: () => ({ city: "Lisbon" }),
  postgres__check_venue_availability: (ids) => ({ venueId: ids.venue, startsAt: "2027-04-11T08:00:00Z", endsAt: "2027-04-11T17:00:00Z" }),
  postgres__hold_venue: (ids) => ({ eventId: ids.event, venueId: ids.venue, startsAt: "2027-05-01T08:00:00Z", endsAt: "2027-05-01T17:00:00Z", currency: "EUR", idempotency_key: key("b") }),
  postgres__confirm_venue_booking: (ids) => ({ bookingId: ids.booking, idempotency_key: key("b") }),
  postgres__release_venue_booking: (ids) => ({ bookingId: ids.booking, idempotency_key: key("b") }),
  postgres__list_venue_bookings: (ids) => ({ eventId: ids.event }),
  postgres__search_vendors: () => ({ city: "Lisbon" }),
  postgres__request_vendor_quote: (ids) => ({ eventId: ids.event, vendorId: ids.vendor, description: "x", idempotency_key: key("b") }),
  postgres__record_vendor_quote: (ids) => ({ quoteId: ids.quote, amountMinor: 1, currency: "EUR", idempotency_key: key("b") }),
  postgres__decide_vendor_quote: (ids) => ({ quoteId: ids.quote, decision: "accept", idempotency_key: key("b") }),
  postgres__list_vendor_quotes: (ids) => ({ eventId: ids.event }),
  postgres__add_guests: (ids) => ({ eventId: ids.event, guests: [{ name: "Eve", phone: "+351913333333" }], idempotency_key: key("b") }),
  postgres__list_guests: (ids) => ({ eventId: ids.event }),
  postgres__record_rsvp: (ids) => ({ guestId: ids.guest, status: "declined", idempotency_key: key("b") }),
  postgres__guest_summary: (ids) => ({ eventId: ids.event }),
  postgres__add_tasks: (ids) => ({ eventId: ids.event, tasks: [{ title: "x", daysBeforeEvent: 1 }], idempotency_key: key("b") }),
  postgres__update_task: (ids) => ({ taskId: ids.task, status: "done", idempotency_key: key("b") }),
  postgres__list_tasks: (ids) => ({ eventId: ids.event }),
  postgres__add_budget_line: (ids) => ({ eventId: ids.event, category: "catering", description: "x", plannedMinor: 1, currency: "EUR", idempotency_key: key("b") }),
  postgres__budget_summary: (ids) => ({ eventId: ids.event }),
  postgres__query_readonly: (ids) => ({ sql: `select * from events where id = '${ids.event}'` }),
  calendar__list_calendars: () => ({}),
  calendar__create_calendar_event: () => ({ summary: "B's own", start: "2031-03-25T09:00:00Z", end: "2031-03-25T10:00:00Z", timeZone: "Europe/Lisbon", idempotency_key: key("b-cal") }),
  calendar__update_calendar_event: (ids) => ({ eventId: ids.calendarEvent, summary: "stolen", idempotency_key: key("b") }),
  calendar__cancel_calendar_event: (ids) => ({ eventId: ids.calendarEvent, idempotency_key: key("b") }),
  calendar__get_calendar_event: (ids) => ({ eventId: ids.calendarEvent }),
  calendar__list_calendar_events: () => ({ ...day }),
  calendar__get_free_busy: () => ({ calendars: ["primary"], ...day }),
  calendar__find_free_slots: () => ({ attendees: ["primary"], windowStart: "2031-03-11T00:00:00Z", windowEnd: "2031-03-12T00:00:00Z", durationMinutes: 60, timeZone: "Europe/Lisbon" }),
  calendar__export_ics: (ids) => ({ eventId: ids.calendarEvent }),
  gdrive__create_document: () => ({ title: "B's own", markdown: "# B", idempotency_key: key("b-doc") }),
  gdrive__read_document: (ids) => ({ documentId: ids.document }),
  gdrive__update_document: (ids) => ({ documentId: ids.document, markdown: "# stolen", idempotency_key: key("b") }),
  gdrive__search_documents: () => ({ query: "budget" }),
  gdrive__share_document: (ids) => ({ documentId: ids.document, email: "eve@evil.example", role: "writer", allowExternal: true, idempotency_key: key("b") }),
  gdrive__list_revisions: (ids) => ({ documentId: ids.document }),
  slack__list_channels: () => ({}),
  slack__read_channel: () => ({ channel: "event-planning" }),
  slack__read_thread: (ids) => ({ threadTs: ids.ts }),
  slack__post_message: () => ({ channel: "event-planning", text: "B's own post", idempotency_key: key("b-post") }),
  slack__reply_in_thread: (ids) => ({ threadTs: ids.ts, text: "B replies in A's thread", idempotency_key: key("b") }),
  slack__add_reaction: (ids) => ({ ts: ids.ts, emoji: "eyes", idempotency_key: key("b") }),
  slack__answer_in_thread: (ids) => ({ channel: ids.requestThread, threadTs: "1712345678.000100", text: "B answers A's requester", idempotency_key: key("b") }),
  slack__post_approval_request: () => ({ approvalId: "00000000-0000-4000-8000-000000000000", summary: "B's", amountMinor: 1, currency: "EUR", recipients: ["x"], idempotency_key: key("b-approval") }),
  stripe__create_customer: () => ({ name: "B corp", email: "b@example.com", idempotency_key: key("b-customer") }),
  stripe__create_payment_link: () => ({ ticketName: "B pass", unitAmountMinor: 100, currency: "EUR", quantityLimit: 1, idempotency_key: key("b-link") }),
  stripe__create_invoice: (ids) => ({ customerId: ids.customer, currency: "EUR", lineItems: [{ description: "x", unitAmountMinor: 100 }], idempotency_key: key("b") }),
  stripe__pay_vendor_deposit: () => ({ vendorName: "B hall", description: "B deposit", amountMinor: 100, currency: "EUR", idempotency_key: key("b-deposit") }),
  stripe__refund_payment: (ids) => ({ paymentId: ids.payment, idempotency_key: key("b") }),
  stripe__list_payments: () => ({}),
  stripe__get_balance: () => ({}),
  twilio__send_sms: () => ({ to: "+351911111111", body: "B's own", timeZone: afternoonZone(), idempotency_key: key("b-sms") }),
  twilio__send_invitations: () => ({ recipients: [{ name: "Bea", phone: "+351911111112", timeZone: afternoonZone() }], template: "Hi {name}, come!", idempotency_key: key("b-invite") }),
  twilio__get_message_status: (ids) => ({ sid: ids.sid }),
  twilio__list_sent_messages: (ids) => ({ to: ids.phone }),
  twilio__list_inbound_messages: () => ({}),
};

/** Tools that act on one of A's rows by id: B must get not_found, nothing else. */
const BY_ID = new Set([
  "postgres__update_event", "postgres__get_event", "postgres__hold_venue", "postgres__confirm_venue_booking", "postgres__release_venue_booking", "postgres__list_venue_bookings",
  "postgres__request_vendor_quote", "postgres__record_vendor_quote", "postgres__decide_vendor_quote", "postgres__list_vendor_quotes", "postgres__add_guests", "postgres__list_guests",
  "postgres__record_rsvp", "postgres__guest_summary", "postgres__add_tasks", "postgres__update_task", "postgres__list_tasks", "postgres__add_budget_line", "postgres__budget_summary",
  "calendar__update_calendar_event", "calendar__cancel_calendar_event", "calendar__get_calendar_event", "calendar__export_ics",
  "gdrive__read_document", "gdrive__update_document", "gdrive__share_document", "gdrive__list_revisions",
  "slack__read_thread", "slack__reply_in_thread", "slack__add_reaction", "slack__answer_in_thread",
  "stripe__create_invoice", "stripe__refund_payment", "twilio__get_message_status",
]);

/** Refusals other than not_found, each the same answer a thread or id that never existed gets. */
const REFUSAL: Record<string, RegExp> = {
  // Only threads that asked this workspace for a plan can be answered; A's thread never asked B.
  slack__answer_in_thread: /^forbidden: no planning request came from/,
};

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

function expectNoneOf(tenantSecrets: string[], text: string, where: string): void {
  for (const secret of tenantSecrets) expect(text, `${where} shows A's ${secret}`).not.toContain(secret);
}

describe("tenant isolation over every MCP tool", () => {
  it("has a case for every tool of the six servers, and none for a tool that is gone", () => {
    const tools = MCP_SERVER_NAMES.flatMap((name) => buildMcpServer(name, { config, logger }).tools.map((tool) => `${name}__${tool.name}`));
    expect(tools.length).toBeGreaterThanOrEqual(60);
    expect(tools.filter((tool) => !(tool in CALLS))).toEqual([]);
    expect(Object.keys(CALLS).filter((tool) => !tools.includes(tool))).toEqual([]);
  });

  it("B's calls with A's ids answer not_found or B's own rows, and never show A's data", async () => {
    const before = await snapshotOf(a);
    for (const [tool, args] of Object.entries(CALLS)) {
      const [server, name] = tool.split("__") as [McpServerName, string];
      const sent = args(a.ids);
      const result = (await b.clients[server].callTool({ name, arguments: sent })) as CallToolResult;
      const shown = JSON.stringify(result.structuredContent ?? null) + textOf(result);
      // An error may repeat the id B itself sent ("event … not found"); everything else of A's is a leak.
      const echoed = JSON.stringify(sent);
      expectNoneOf(a.secrets.filter((secret) => !echoed.includes(secret)), shown, tool);
      if (BY_ID.has(tool)) {
        expect(result.isError, `${tool} answered ${shown.slice(0, 300)}`).toBe(true);
        expect(textOf(result), tool).toMatch(REFUSAL[tool] ?? /^not_found: /);
      }
    }
    // And nothing of A's changed: every write above missed.
    expect(await snapshotOf(a)).toEqual(before);
  });

  it("B's lists and searches still show B's own rows (so an empty answer cannot pass for isolation)", async () => {
    const own = async (server: McpServerName, name: string, args: Record<string, unknown>) => JSON.stringify(await callOk(b.clients[server], name, args));
    expect(await own("postgres", "list_events", {})).toContain(b.marker);
    expect(await own("postgres", "get_event", { eventId: b.ids.event })).toContain(b.marker);
    expect(await own("slack", "read_channel", { channel: "event-planning" })).toContain(b.marker);
    expect(await own("gdrive", "search_documents", { query: "budget" })).toContain(b.marker);
    expect(await own("stripe", "list_payments", {})).toContain(b.ids.payment);
    expect(await own("twilio", "list_inbound_messages", {})).toContain(b.marker);
    expect(await own("calendar", "list_calendar_events", { ...day })).toContain(b.marker);
  });

  it.each([
    (ids: Record<string, string>) => `select title from events where id = '${ids.event}'`,
    () => "select count(*)::int from events",
    () => "select e.title, g.name, g.phone, g.notes from events e join guests g on g.event_id = e.id",
    (ids: Record<string, string>) => `select g.name from guests g where g.event_id in (select id from events where id = '${ids.event}')`,
    () => "select q.vendor_notes, v.name from vendor_quotes q join vendors v on v.id = q.vendor_id",
    () => "select b.notes, b.status from venue_bookings b join venues v on v.id = b.venue_id",
    () => "select t.title, l.description from tasks t full join budget_lines l on l.event_id = t.event_id",
    () => "select workspace_id, count(*) from events group by workspace_id",
    () => "with everyone as (select * from guests) select string_agg(name, ',') from everyone",
    () => "select (select string_agg(title, ',') from events) as titles",
    (ids: Record<string, string>) => `select exists (select 1 from guests where id = '${ids.guest}')`,
    () => "select coalesce(max(e2.title), 'none') from events e1 cross join events e2 where e1.workspace_id <> e2.workspace_id",
  ])("postgres__query_readonly in B cannot read A's rows: %s", async (sqlFor) => {
    const sql = sqlFor(a.ids);
    const result = (await b.clients.postgres.callTool({ name: "query_readonly", arguments: { sql } })) as CallToolResult;
    const shown = JSON.stringify(result.structuredContent ?? null) + textOf(result);
    expectNoneOf(a.secrets.filter((secret) => !sql.includes(secret)), shown, "query_readonly");
    expect(result.isError, shown.slice(0, 300)).not.toBe(true);
    expect(shown).not.toMatch(/"rows":\[\[true\]\]/);
  });
});

/** What A's own tools show of A's rows: it must not change while B attacks. */
async function snapshotOf(t: Tenant): Promise<string> {
  const { postgres, calendar, gdrive, slack, stripe, twilio } = t.clients;
  const parts = await Promise.all([
    callOk(postgres, "get_event", { eventId: t.ids.event }),
    callOk(postgres, "list_guests", { eventId: t.ids.event }),
    callOk(postgres, "list_tasks", { eventId: t.ids.event }),
    callOk(postgres, "list_vendor_quotes", { eventId: t.ids.event }),
    callOk(postgres, "list_venue_bookings", { eventId: t.ids.event }),
    callOk(postgres, "budget_summary", { eventId: t.ids.event }),
    callOk(calendar, "get_calendar_event", { eventId: t.ids.calendarEvent }),
    callOk(gdrive, "read_document", { documentId: t.ids.document }),
    callOk(gdrive, "list_revisions", { documentId: t.ids.document }),
    callOk(slack, "read_thread", { threadTs: t.ids.ts }),
    callOk(stripe, "list_payments", {}),
  ]);
  // The sandbox SMS moves queued → sent → delivered with the clock, so only what B could change is compared.
  const sms = await callOk<{ message: { to: string; body: string } }>(twilio, "get_message_status", { sid: t.ids.sid });
  parts.push({ to: sms.message.to, body: sms.message.body });
  return JSON.stringify(parts);
}
