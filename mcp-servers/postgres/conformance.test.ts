import { expect, it } from "vitest";
import { describeMcpConformance, firstOf, freshKey, type ConformanceCase } from "../host/conformance.js";
import { callError, callOk } from "../host/testing.js";
import { postgresServer } from "./server.js";

/** Every tool, in the order a planner would use them, each with good and bad input. */
const CASES: ConformanceCase[] = [
  {
    tool: "create_event",
    good: () => ({ title: "Conformance offsite", kind: "offsite", city: "Lisbon", countryCode: "PT", timeZone: "Europe/Lisbon", startsAt: "2027-03-30T08:00:00Z", endsAt: "2027-03-31T17:00:00Z", headcount: 40, budgetMinor: 3_000_000, currency: "EUR", idempotency_key: freshKey("event") }),
    remember: (r, ids) => void (ids.event = String((r.event as { id: string }).id)),
    bad: () => ({ title: "x", kind: "offsite", timeZone: "Europe/Lisbon", headcount: -1, currency: "EUR", idempotency_key: freshKey("bad") }),
    field: /headcount/,
  },
  { tool: "list_events", good: () => ({}), bad: () => ({ status: "someday" }), field: /status/ },
  { tool: "update_event", good: (ids) => ({ eventId: ids.event, status: "planning", idempotency_key: freshKey("upd") }), bad: (ids) => ({ eventId: ids.event, currency: "EURO", idempotency_key: freshKey("bad") }), field: /currency/ },
  { tool: "get_event", good: (ids) => ({ eventId: ids.event }), bad: () => ({ eventId: "nope" }), field: /eventId/ },
  {
    tool: "search_venues",
    good: () => ({ city: "Lisbon", minCapacity: 40, maxDayRateMinor: 2_000_000, currency: "EUR", startsAt: "2027-03-30T08:00:00Z", endsAt: "2027-03-31T17:00:00Z" }),
    remember: (r, ids) => void (ids.venue = String(firstOf(r.venues).id)),
    bad: () => ({ city: "Lisbon", maxDayRateMinor: 500_000 }),
    field: /currency/,
  },
  { tool: "check_venue_availability", good: (ids) => ({ venueId: ids.venue, startsAt: "2027-03-30T08:00:00Z", endsAt: "2027-03-31T17:00:00Z" }), bad: (ids) => ({ venueId: ids.venue, startsAt: "next tuesday", endsAt: "2027-03-31T17:00:00Z" }), field: /startsAt/ },
  {
    tool: "hold_venue",
    good: (ids) => ({ eventId: ids.event, venueId: ids.venue, startsAt: "2027-03-30T08:00:00Z", endsAt: "2027-03-31T17:00:00Z", currency: "EUR", idempotency_key: freshKey("hold") }),
    remember: (r, ids) => void (ids.booking = String((r.booking as { id: string }).id)),
    bad: (ids) => ({ eventId: ids.event, venueId: ids.venue, startsAt: "2027-06-01T08:00:00Z", endsAt: "2027-06-01T17:00:00Z", currency: "USD", idempotency_key: freshKey("bad") }),
    field: /currency/,
  },
  { tool: "confirm_venue_booking", good: (ids) => ({ bookingId: ids.booking, idempotency_key: freshKey("confirm") }), bad: () => ({ bookingId: "b-1", idempotency_key: freshKey("bad") }), field: /bookingId/ },
  { tool: "list_venue_bookings", good: (ids) => ({ eventId: ids.event }), bad: (ids) => ({ eventId: ids.event, limit: 0 }), field: /limit/ },
  {
    tool: "search_vendors",
    good: () => ({ city: "Lisbon", category: "catering", dietary: ["vegetarian"] }),
    remember: (r, ids) => void (ids.vendor = String(firstOf(r.vendors).id)),
    bad: () => ({ city: "Lisbon", category: "florist" }),
    field: /category/,
  },
  {
    tool: "request_vendor_quote",
    good: (ids) => ({ eventId: ids.event, vendorId: ids.vendor, description: "Lunch for 40 on both days, vegetarian-friendly", idempotency_key: freshKey("quote") }),
    remember: (r, ids) => void (ids.quote = String((r.quote as { id: string }).id)),
    bad: (ids) => ({ eventId: ids.event, vendorId: ids.vendor, description: "", idempotency_key: freshKey("bad") }),
    field: /description/,
  },
  { tool: "record_vendor_quote", good: (ids) => ({ quoteId: ids.quote, amountMinor: 480_000, currency: "EUR", vendorNotes: "Price includes service.", idempotency_key: freshKey("price") }), bad: (ids) => ({ quoteId: ids.quote, amountMinor: -5, currency: "EUR", idempotency_key: freshKey("bad") }), field: /amountMinor/ },
  { tool: "decide_vendor_quote", good: (ids) => ({ quoteId: ids.quote, decision: "accept", idempotency_key: freshKey("decide") }), bad: (ids) => ({ quoteId: ids.quote, decision: "maybe", idempotency_key: freshKey("bad") }), field: /decision/ },
  { tool: "list_vendor_quotes", good: (ids) => ({ eventId: ids.event }), bad: (ids) => ({ eventId: ids.event, status: "pending" }), field: /status/ },
  {
    tool: "add_guests",
    good: (ids) => ({ eventId: ids.event, guests: [{ name: "Ana Silva", phone: "+351912345678", dietary: ["vegetarian"] }, { name: "Ben Ortiz", email: "ben@example.com" }], idempotency_key: freshKey("guests") }),
    remember: (r, ids) => void (ids.guest = String(firstOf(r.guests).id)),
    bad: (ids) => ({ eventId: ids.event, guests: [{ name: "Cy", phone: "+12" }], idempotency_key: freshKey("bad") }),
    field: /phone/,
  },
  { tool: "list_guests", good: (ids) => ({ eventId: ids.event }), bad: (ids) => ({ eventId: ids.event, limit: 0 }), field: /limit/ },
  { tool: "record_rsvp", good: (ids) => ({ guestId: ids.guest, status: "accepted", notes: "Happy to come!", idempotency_key: freshKey("rsvp") }), bad: (ids) => ({ guestId: ids.guest, status: "maybe", idempotency_key: freshKey("bad") }), field: /status/ },
  { tool: "guest_summary", good: (ids) => ({ eventId: ids.event }), bad: () => ({ eventId: "" }), field: /eventId/ },
  {
    tool: "add_tasks",
    good: (ids) => ({ eventId: ids.event, tasks: [{ title: "Confirm venue", daysBeforeEvent: 30 }, { title: "Send invitations", dueAt: "2027-02-01T09:00:00Z" }], idempotency_key: freshKey("tasks") }),
    remember: (r, ids) => void (ids.task = String(firstOf(r.tasks).id)),
    bad: (ids) => ({ eventId: ids.event, tasks: [], idempotency_key: freshKey("bad") }),
    field: /tasks/,
  },
  { tool: "update_task", good: (ids) => ({ taskId: ids.task, status: "done", idempotency_key: freshKey("task") }), bad: (ids) => ({ taskId: ids.task, status: "finished", idempotency_key: freshKey("bad") }), field: /status/ },
  { tool: "list_tasks", good: (ids) => ({ eventId: ids.event }), bad: (ids) => ({ eventId: ids.event, status: "later" }), field: /status/ },
  { tool: "add_budget_line", good: (ids) => ({ eventId: ids.event, category: "catering", description: "Lunch x2 days", plannedMinor: 480_000, currency: "EUR", idempotency_key: freshKey("line") }), bad: (ids) => ({ eventId: ids.event, category: "catering", description: "x", plannedMinor: 12.5, currency: "EUR", idempotency_key: freshKey("bad") }), field: /plannedMinor/ },
  { tool: "budget_summary", good: (ids) => ({ eventId: ids.event }), bad: () => ({}), field: /eventId/ },
  { tool: "release_venue_booking", good: (ids) => ({ bookingId: ids.booking, idempotency_key: freshKey("release") }), bad: () => ({ idempotency_key: freshKey("bad") }), field: /bookingId/ },
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


describeMcpConformance({
  server: "postgres",
  definition: () => postgresServer,
  cases: CASES,
  idempotency: {
    tool: "create_event",
    args: { title: "Once", kind: "party", timeZone: "Europe/Berlin", headcount: 12, currency: "EUR" },
    count: async (client) => (await callOk<{ events: unknown[] }>(client, "list_events", {})).events.length,
  },
  isolation: async (connect) => {
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
  },
  extra: (connect) => {
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
  },
});
