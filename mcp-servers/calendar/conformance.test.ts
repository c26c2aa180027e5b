import { expect } from "vitest";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { describeMcpConformance, freshKey, type ConformanceCase } from "../host/conformance.js";
import { callError, callOk } from "../host/testing.js";
import { createCalendarServerFromConfig } from "./server.js";

const logger = createLogger({ level: "silent" });
// Far enough ahead that find_free_slots, which never looks before now, still has the whole window.
const day = { timeMin: "2031-03-10T00:00:00Z", timeMax: "2031-03-11T00:00:00Z" };
const offsite = { summary: "Conformance offsite", start: "2031-03-10T09:00:00Z", end: "2031-03-10T17:00:00Z", timeZone: "Europe/Lisbon", attendees: ["ana@example.com"] };

/** Every tool, in the order a planner would use them, each with good and bad input. */
const CASES: ConformanceCase[] = [
  { tool: "list_calendars", good: () => ({}), bad: () => ({ calendarId: "primary" }), field: /calendarId/ },
  {
    tool: "find_free_slots",
    good: () => ({ attendees: ["ana@example.com"], windowStart: day.timeMin, windowEnd: day.timeMax, durationMinutes: 60, timeZone: "Europe/Lisbon" }),
    bad: () => ({ windowStart: day.timeMin, windowEnd: day.timeMax, durationMinutes: 2, timeZone: "Europe/Lisbon" }),
    field: /durationMinutes/,
  },
  { tool: "get_free_busy", good: () => ({ calendars: ["primary", "ana@example.com"], ...day }), bad: () => ({ calendars: ["primary"], timeMin: "tomorrow", timeMax: day.timeMax }), field: /timeMin/ },
  {
    tool: "create_calendar_event",
    good: () => ({ ...offsite, idempotency_key: freshKey("event") }),
    remember: (r, ids) => void (ids.event = (r.event as { id: string }).id),
    bad: () => ({ ...offsite, attendees: ["not-an-email"], idempotency_key: freshKey("bad") }),
    field: /attendees/,
  },
  { tool: "get_calendar_event", good: (ids) => ({ eventId: ids.event }), bad: () => ({ eventId: "x" }), field: /eventId/ },
  { tool: "list_calendar_events", good: () => ({ ...day }), bad: () => ({ ...day, maxResults: 0 }), field: /maxResults/ },
  {
    tool: "update_calendar_event",
    good: (ids) => ({ eventId: ids.event, summary: "Conformance offsite (moved)", start: "2031-03-10T10:00:00Z", idempotency_key: freshKey("upd") }),
    bad: (ids) => ({ eventId: ids.event, end: "2031-03-10T08:00:00Z", idempotency_key: freshKey("bad") }),
    field: /end/,
  },
  { tool: "export_ics", good: (ids) => ({ eventId: ids.event }), bad: () => ({}), field: /eventId/ },
  {
    tool: "cancel_calendar_event",
    good: (ids) => ({ eventId: ids.event, idempotency_key: freshKey("cancel") }),
    bad: (ids) => ({ eventId: ids.event, notifyAttendees: "yes", idempotency_key: freshKey("bad") }),
    field: /notifyAttendees/,
  },
];

describeMcpConformance({
  server: "calendar",
  definition: () => createCalendarServerFromConfig({ config: loadConfig({}), logger }),
  cases: CASES,
  idempotency: {
    tool: "create_calendar_event",
    args: { ...offsite, summary: "Once" },
    count: async (client) => (await callOk<{ events: unknown[] }>(client, "list_calendar_events", { ...day, query: "Once" })).events.length,
  },
  isolation: async (connect) => {
    const a = await connect("conf-iso-a");
    const { event } = await callOk<{ event: { id: string } }>(a.client, "create_calendar_event", { ...offsite, idempotency_key: "iso-a-event" });
    await a.close();
    const b = await connect("conf-iso-b");
    try {
      expect(await callError(b.client, "get_calendar_event", { eventId: event.id })).toMatch(/^not_found/);
      expect(await callError(b.client, "cancel_calendar_event", { eventId: event.id, idempotency_key: "iso-b-cancel" })).toMatch(/^not_found/);
      expect((await callOk<{ events: unknown[] }>(b.client, "list_calendar_events", day)).events).toEqual([]);
      // The same idempotency key in another workspace is a different event.
      const own = await callOk<{ event: { id: string } }>(b.client, "create_calendar_event", { ...offsite, idempotency_key: "iso-a-event" });
      expect(own.event.id).not.toBe(event.id);
    } finally {
      await b.close();
    }
  },
});
