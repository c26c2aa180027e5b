import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../domain/workspaces.js";
import { createLogger } from "../../lib/logger.js";
import { createMetricsRegistry } from "../../lib/metrics.js";
import { createTestDatabase, DRIVERS, type TestDatabase } from "../../test/db.js";
import { startMcpHttpServer, type McpHttpServer } from "../host/http.js";
import { connectInMemory } from "../host/in-memory.js";
import { callError, callOk, connectHttpClient, connectStdioClient, testToolContext } from "../host/testing.js";
import { findConnectionWorkspace, toolContextFor } from "../host/workspace.js";
import { postgresServer } from "./server.js";

/**
 * One conformance suite for the postgres MCP server, run over every transport (in-memory, stdio
 * through the real CLI, Streamable HTTP) against both drivers. Everything goes through tools, so
 * the stdio child process can own its own embedded database.
 */

const TRANSPORTS = ["in-memory", "stdio", "http"] as const;
type TransportName = (typeof TRANSPORTS)[number];
const TOKEN = "conformance-token-0123456789";

interface Connection {
  client: Client;
  close: () => Promise<void>;
}

let keyCounter = 0;
const key = (label: string) => `${label}-${++keyCounter}-${Date.now().toString(36)}`;

type Ids = Record<string, string>;
interface ToolCase {
  tool: string;
  good: (ids: Ids) => Record<string, unknown>;
  remember?: (result: Record<string, unknown>, ids: Ids) => void;
  bad: (ids: Ids) => Record<string, unknown>;
  /** What the error must name. */
  field: RegExp;
}

const first = (value: unknown): Record<string, unknown> => (value as Record<string, unknown>[])[0] ?? {};

/** Every tool, in the order a planner would use them, each with good and bad input. */
const CASES: ToolCase[] = [
  {
    tool: "create_event",
    good: () => ({ title: "Conformance offsite", kind: "offsite", city: "Lisbon", countryCode: "PT", timeZone: "Europe/Lisbon", startsAt: "2027-03-30T08:00:00Z", endsAt: "2027-03-31T17:00:00Z", headcount: 40, budgetMinor: 3_000_000, currency: "EUR", idempotency_key: key("event") }),
    remember: (r, ids) => void (ids.event = String((r.event as { id: string }).id)),
    bad: () => ({ title: "x", kind: "offsite", timeZone: "Europe/Lisbon", headcount: -1, currency: "EUR", idempotency_key: key("bad") }),
    field: /headcount/,
  },
  { tool: "list_events", good: () => ({}), bad: () => ({ status: "someday" }), field: /status/ },
  { tool: "update_event", good: (ids) => ({ eventId: ids.event, status: "planning", idempotency_key: key("upd") }), bad: (ids) => ({ eventId: ids.event, currency: "EURO", idempotency_key: key("bad") }), field: /currency/ },
  { tool: "get_event", good: (ids) => ({ eventId: ids.event }), bad: () => ({ eventId: "nope" }), field: /eventId/ },
  {
    tool: "search_venues",
    good: () => ({ city: "Lisbon", minCapacity: 40, maxDayRateMinor: 2_000_000, currency: "EUR", startsAt: "2027-03-30T08:00:00Z", endsAt: "2027-03-31T17:00:00Z" }),
    remember: (r, ids) => void (ids.venue = String(first(r.venues).id)),
    bad: () => ({ city: "Lisbon", maxDayRateMinor: 500_000 }),
    field: /currency/,
  },
  { tool: "check_venue_availability", good: (ids) => ({ venueId: ids.venue, startsAt: "2027-03-30T08:00:00Z", endsAt: "2027-03-31T17:00:00Z" }), bad: (ids) => ({ venueId: ids.venue, startsAt: "next tuesday", endsAt: "2027-03-31T17:00:00Z" }), field: /startsAt/ },
  {
    tool: "hold_venue",
    good: (ids) => ({ eventId: ids.event, venueId: ids.venue, startsAt: "2027-03-30T08:00:00Z", endsAt: "2027-03-31T17:00:00Z", currency: "EUR", idempotency_key: key("hold") }),
    remember: (r, ids) => void (ids.booking = String((r.booking as { id: string }).id)),
    bad: (ids) => ({ eventId: ids.event, venueId: ids.venue, startsAt: "2027-06-01T08:00:00Z", endsAt: "2027-06-01T17:00:00Z", currency: "USD", idempotency_key: key("bad") }),
    field: /currency/,
  },
  { tool: "confirm_venue_booking", good: (ids) => ({ bookingId: ids.booking, idempotency_key: key("confirm") }), bad: () => ({ bookingId: "b-1", idempotency_key: key("bad") }), field: /bookingId/ },
  { tool: "list_venue_bookings", good: (ids) => ({ eventId: ids.event }), bad: (ids) => ({ eventId: ids.event, limit: 0 }), field: /limit/ },
  {
    tool: "search_vendors",
    good: () => ({ city: "Lisbon", category: "catering", dietary: ["vegetarian"] }),
    remember: (r, ids) => void (ids.vendor = String(first(r.vendors).id)),
    bad: () => ({ city: "Lisbon", category: "florist" }),
    field: /category/,
  },
  {
    tool: "request_vendor_quote",
    good: (ids) => ({ eventId: ids.event, vendorId: ids.vendor, description: "Lunch for 40 on both days, vegetarian-friendly", idempotency_key: key("quote") }),
    remember: (r, ids) => void (ids.quote = String((r.quote as { id: string }).id)),
    bad: (ids) => ({ eventId: ids.event, vendorId: ids.vendor, description: "", idempotency_key: key("bad") }),
    field: /description/,
  },
  { tool: "record_vendor_quote", good: (ids) => ({ quoteId: ids.quote, amountMinor: 480_000, currency: "EUR", vendorNotes: "Price includes service.", idempotency_key: key("price") }), bad: (ids) => ({ quoteId: ids.quote, amountMinor: -5, currency: "EUR", idempotency_key: key("bad") }), field: /amountMinor/ },
  { tool: "decide_vendor_quote", good: (ids) => ({ quoteId: ids.quote, decision: "accept", idempotency_key: key("decide") }), bad: (ids) => ({ quoteId: ids.quote, decision: "maybe", idempotency_key: key("bad") }), field: /decision/ },
  { tool: "list_vendor_quotes", good: (ids) => ({ eventId: ids.event }), bad: (ids) => ({ eventId: ids.event, status: "pending" }), field: /status/ },
  {
    tool: "add_guests",
    good: (ids) => ({ eventId: ids.event, guests: [{ name: "Ana Silva", phone: "+351912345678", dietary: ["vegetarian"] }, { name: "Ben Ortiz", email: "ben@example.com" }], idempotency_key: key("guests") }),
    remember: (r, ids) => void (ids.guest = String(first(r.guests).id)),
    bad: (ids) => ({ eventId: ids.event, guests: [{ name: "Cy", phone: "+12" }], idempotency_key: key("bad") }),
    field: /phone/,
  },
  { tool: "list_guests", good: (ids) => ({ eventId: ids.event }), bad: (ids) => ({ eventId: ids.event, limit: 0 }), field: /limit/ },
  { tool: "record_rsvp", good: (ids) => ({ guestId: ids.guest, status: "accepted", notes: "Happy to come!", idempotency_key: key("rsvp") }), bad: (ids) => ({ guestId: ids.guest, status: "maybe", idempotency_key: key("bad") }), field: /status/ },
  { tool: "guest_summary", good: (ids) => ({ eventId: ids.event }), bad: () => ({ eventId: "" }), field: /eventId/ },
  {
    tool: "add_tasks",
    good: (ids) => ({ eventId: ids.event, tasks: [{ title: "Confirm venue", daysBeforeEvent: 30 }, { title: "Send invitations", dueAt: "2027-02-01T09:00:00Z" }], idempotency_key: key("tasks") }),
    remember: (r, ids) => void (ids.task = String(first(r.tasks).id)),
    bad: (ids) => ({ eventId: ids.event, tasks: [], idempotency_key: key("bad") }),
    field: /tasks/,
  },
  { tool: "update_task", good: (ids) => ({ taskId: ids.task, status: "done", idempotency_key: key("task") }), bad: (ids) => ({ taskId: ids.task, status: "finished", idempotency_key: key("bad") }), field: /status/ },
  { tool: "list_tasks", good: (ids) => ({ eventId: ids.event }), bad: (ids) => ({ eventId: ids.event, status: "later" }), field: /status/ },
  { tool: "add_budget_line", good: (ids) => ({ eventId: ids.event, category: "catering", description: "Lunch x2 days", plannedMinor: 480_000, currency: "EUR", idempotency_key: key("line") }), bad: (ids) => ({ eventId: ids.event, category: "catering", description: "x", plannedMinor: 12.5, currency: "EUR", idempotency_key: key("bad") }), field: /plannedMinor/ },
  { tool: "budget_summary", good: (ids) => ({ eventId: ids.event }), bad: () => ({}), field: /eventId/ },
  { tool: "release_venue_booking", good: (ids) => ({ bookingId: ids.booking, idempotency_key: key("release") }), bad: () => ({ idempotency_key: key("bad") }), field: /bookingId/ },
  { tool: "query_readonly", good: () => ({ sql: "select title, headcount from events" }), bad: () => ({ sql: "select 1; drop table events" }), field: /sql/ },
];

const BYPASSES = [
  "select 1; commit; drop table events",
  "with gone as (delete from guests returning *) select * from gone",
  "copy (select * from guests) to program 'cat'",
  "set role postgres",
  "select pg_sleep(30)",
  "select pg_terminate_backend(1)",
  "select * from dblink('dbname=test', 'select 1') as t(x int)",
  "select /* x */ pg_sleep/**/(30)",
  "select * from U&\"\\0061pi_keys\"",
  "select * from api_keys",
];

function text(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

describe.each(DRIVERS.flatMap((driver) => TRANSPORTS.map((transport) => ({ driver, transport }))))("postgres MCP conformance [$driver, $transport]", ({ driver, transport }: { driver: (typeof DRIVERS)[number]; transport: TransportName }) => {
  let database: TestDatabase;
  let http: McpHttpServer | undefined;
  let stdioDataDir: string | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    if (transport === "http") {
      const logger = createLogger({ level: "silent" });
      http = await startMcpHttpServer(
        {
          definition: postgresServer,
          authToken: TOKEN,
          allowedHosts: ["127.0.0.1"],
          allowedOrigins: [],
          registry: createMetricsRegistry("conformance"),
          logger,
          resolveContext: async (reference, runId) => toolContextFor(database.handle, await findConnectionWorkspace(database.handle, reference), logger, runId),
        },
        { port: 0, host: "127.0.0.1" },
      );
    }
    // The stdio child owns its embedded database; with Postgres it shares the test's database.
    if (transport === "stdio" && driver === "pglite") stdioDataDir = mkdtempSync(path.join(tmpdir(), "ept-stdio-"));
  });
  afterAll(async () => {
    await http?.close();
    await database.drop();
    if (stdioDataDir) rmSync(stdioDataDir, { recursive: true, force: true });
  });

  /** A client acting for `workspace`, the way each transport learns it. One at a time (PGlite is single-process). */
  async function connect(workspace: string): Promise<Connection> {
    if (transport === "stdio") {
      const env: Record<string, string> = driver === "postgres" ? { DATABASE_URL: database.url ?? "" } : { EVENT_PLANNER_DATA_DIR: stdioDataDir ?? "" };
      return connectStdioClient("postgres", { ...env, EVENT_PLANNER_WORKSPACE: workspace });
    }
    const row = await ensureWorkspace(database.db, workspace);
    if (transport === "http") return connectHttpClient(http?.url ?? "", TOKEN, row.id);
    return connectInMemory(postgresServer, testToolContext(database.handle, { db: database.db, workspaceId: row.id, actor: { kind: "agent" } }));
  }

  it("lists every tool with a description, input and output schemas and accurate annotations", async () => {
    const { client, close } = await connect("conf-list");
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(postgresServer.tools.map((t) => t.name).sort());
      for (const tool of tools) {
        const definition = postgresServer.tools.find((t) => t.name === tool.name);
        expect(tool.title, tool.name).toBeTruthy();
        expect(tool.description?.length, tool.name).toBeGreaterThan(40);
        expect(tool.inputSchema.type, tool.name).toBe("object");
        expect(tool.outputSchema?.type, tool.name).toBe("object");
        const hints = tool.annotations ?? {};
        for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) expect(typeof hints[hint], `${tool.name}.${hint}`).toBe("boolean");
        // Only our database is touched; a read-only tool never destroys; every tool here is safe to retry.
        expect(hints.openWorldHint, tool.name).toBe(false);
        expect(hints.idempotentHint, tool.name).toBe(true);
        if (hints.readOnlyHint) expect(hints.destructiveHint, tool.name).toBe(false);
        expect(hints.readOnlyHint, tool.name).toBe(!definition?.sideEffect);
        const takesKey = (tool.inputSchema.required ?? []).includes("idempotency_key");
        expect(takesKey, `${tool.name} idempotency_key`).toBe(Boolean(definition?.sideEffect));
      }
    } finally {
      await close();
    }
  });

  it("calls every tool with good input, and with bad input gets a tool error naming the field", async () => {
    expect(CASES.map((c) => c.tool).sort()).toEqual(postgresServer.tools.map((t) => t.name).sort());
    const { client, close } = await connect("conf-calls");
    const ids: Ids = {};
    try {
      for (const step of CASES) {
        const result = await callOk(client, step.tool, step.good(ids));
        step.remember?.(result, ids);
        const failure = (await client.callTool({ name: step.tool, arguments: step.bad(ids) })) as CallToolResult;
        expect(failure.isError, `${step.tool} bad input`).toBe(true);
        expect(text(failure), step.tool).toMatch(step.field);
      }
    } finally {
      await close();
    }
  });

  it("acts once for a repeated idempotency key", async () => {
    const { client, close } = await connect("conf-idempotency");
    try {
      const args = { title: "Once", kind: "party", timeZone: "Europe/Berlin", headcount: 12, currency: "EUR", idempotency_key: "conformance-same-key" };
      const a = await callOk<{ event: { id: string } }>(client, "create_event", args);
      const b = await callOk<{ event: { id: string } }>(client, "create_event", args);
      expect(b.event.id).toBe(a.event.id);
      const { events } = await callOk<{ events: unknown[] }>(client, "list_events", {});
      expect(events).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it("refuses every SQL bypass with a clear tool error", async () => {
    const { client, close } = await connect("conf-bypass");
    try {
      for (const sql of BYPASSES) expect(await callError(client, "query_readonly", { sql }), sql).toMatch(/^validation_failed: sql: /);
      const { data } = await callOk<{ data: { rows: unknown[][] } }>(client, "query_readonly", { sql: "select count(*)::int from events" });
      expect(data.rows).toEqual([[0]]);
    } finally {
      await close();
    }
  });

  it("keeps workspaces apart through the tools", async () => {
    const a = await connect("conf-iso-a");
    const { event } = await callOk<{ event: { id: string } }>(a.client, "create_event", { title: "A only", kind: "meeting", timeZone: "Asia/Tokyo", headcount: 8, currency: "JPY", idempotency_key: "iso-a-event" });
    await a.close();
    const b = await connect("conf-iso-b");
    try {
      expect(await callError(b.client, "get_event", { eventId: event.id })).toMatch(/^not_found/);
      expect(await callError(b.client, "add_guests", { eventId: event.id, guests: [{ name: "Eve", phone: "+351912000000" }], idempotency_key: "iso-b-guests" })).toMatch(/^not_found/);
      expect((await callOk<{ events: unknown[] }>(b.client, "list_events", {})).events).toEqual([]);
      const { data } = await callOk<{ data: { rows: unknown[][] } }>(b.client, "query_readonly", { sql: `select count(*)::int from events where id = '${event.id}'` });
      expect(data.rows).toEqual([[0]]);
      // The same idempotency key in another workspace is a different action.
      const own = await callOk<{ event: { id: string } }>(b.client, "create_event", { title: "B's", kind: "meeting", timeZone: "Asia/Tokyo", headcount: 8, currency: "JPY", idempotency_key: "iso-a-event" });
      expect(own.event.id).not.toBe(event.id);
    } finally {
      await b.close();
    }
  });
});
