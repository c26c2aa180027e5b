import { expect, it } from "vitest";
import type { DomainContext } from "../../domain/context.js";
import { listOutbox } from "../../domain/sandbox.js";
import { newWorkspaceContext } from "../../test/context.js";
import { describeEachDriver } from "../../test/db.js";
import { connectInMemory } from "../host/in-memory.js";
import { callError, callOk, testToolContext } from "../host/testing.js";
import { createSandboxCalendarBackend, type SandboxCalendarBackend } from "./backends/sandbox.js";
import { eventIdFor, updateMarkerFor } from "./ids.js";
import { createCalendarServer } from "./server.js";

const NOW = new Date("2027-03-01T00:00:00Z");
const now = () => NOW;

const offsite = {
  summary: "Engineering offsite, day 1",
  description: "Agenda: keynote; lunch at noon",
  location: "LX Factory, Lisbon",
  start: "2027-03-10T09:00:00+00:00",
  end: "2027-03-10T17:00:00+00:00",
  timeZone: "Europe/Lisbon",
  attendees: ["Ana@Example.com", "ben@example.com"],
};

interface EventOut {
  id: string;
  status: string;
  summary: string;
  sequence: number;
  description: { untrusted: true; text: string } | null;
  start: { utc: string; local: string; timeZone: string };
  end: { utc: string; local: string };
  attendees: { email: string; responseStatus: string }[];
  createdByPlanner: boolean;
}

describeEachDriver("calendar MCP (sandbox)", (t) => {
  async function connect(existing?: { ctx: DomainContext; backend: SandboxCalendarBackend }) {
    const ctx = existing?.ctx ?? (await newWorkspaceContext(t().db));
    const backend = existing?.backend ?? createSandboxCalendarBackend({ now });
    return { ctx, backend, ...(await connectInMemory(createCalendarServer(backend, { now }), testToolContext(t().handle, ctx))) };
  }

  it("creates an event on the workspace's primary calendar, with invitations and an .ics in the outbox", async () => {
    const { client, ctx, close } = await connect();
    const { event } = await callOk<{ event: EventOut & { calendarId: string; organizerEmail: string } }>(client, "create_calendar_event", { ...offsite, idempotency_key: "create-offsite-1" });
    expect(event).toMatchObject({ id: eventIdFor(ctx.workspaceId, "create-offsite-1"), status: "confirmed", sequence: 0, createdByPlanner: true, start: { local: "2027-03-10 09:00", timeZone: "Europe/Lisbon" } });
    expect(event.attendees).toEqual([
      { email: "ana@example.com", responseStatus: "needsAction", optional: false },
      { email: "ben@example.com", responseStatus: "needsAction", optional: false },
    ]);
    expect(event.description).toMatchObject({ untrusted: true, source: "calendar_event_description" });
    expect(event.description?.text).toContain("Agenda: keynote; lunch at noon");
    expect(event.calendarId).toMatch(/^planner@ws-[0-9a-f]+\.sandbox\.test$/);

    const outbox = await listOutbox(ctx, "calendar");
    expect(outbox).toHaveLength(1);
    const [row] = outbox;
    expect(row).toMatchObject({ service: "calendar", kind: "event", externalId: event.id, parentExternalId: event.calendarId, status: "confirmed", idempotencyKey: "create-offsite-1" });
    expect(row?.data.notifications).toEqual([{ kind: "invitation", to: ["ana@example.com", "ben@example.com"], at: NOW.toISOString() }]);
    expect(row?.data.ics).toContain("SUMMARY:Engineering offsite\\, day 1\r\n");
    expect(row?.data.ics).toContain("DTSTART:20270310T090000Z\r\n");

    const { calendars, defaultCalendarId } = await callOk<{ calendars: { id: string; primary: boolean; canAddEvents: boolean }[]; defaultCalendarId: string }>(client, "list_calendars", {});
    expect(defaultCalendarId).toBe("primary");
    expect(calendars).toEqual([expect.objectContaining({ id: event.calendarId, primary: true, canAddEvents: true, accessRole: "owner" }) as unknown]);
    await close();
  });

  it("acts once for a repeated key, also when the first attempt acted but never recorded its result", async () => {
    const { client, ctx, backend, close } = await connect();
    const first = await callOk<{ event: EventOut }>(client, "create_calendar_event", { ...offsite, idempotency_key: "same-key-123" });
    const second = await callOk<{ event: EventOut }>(client, "create_calendar_event", { ...offsite, idempotency_key: "same-key-123" });
    expect(second).toEqual(first);

    // A crash after the sandbox acted: the event exists, the tool-call ledger has no row for the key.
    const eventId = eventIdFor(ctx.workspaceId, "crashed-key-1");
    await backend.createEvent(ctx, { calendarId: "primary", eventId, idempotencyKey: "crashed-key-1", summary: "Dinner", start: new Date("2027-03-10T19:00:00Z"), end: new Date("2027-03-10T22:00:00Z"), timeZone: "Europe/Lisbon", attendees: [], notifyAttendees: false });
    const retried = await callOk<{ event: EventOut }>(client, "create_calendar_event", { ...offsite, summary: "Dinner", idempotency_key: "crashed-key-1" });
    expect(retried.event).toMatchObject({ id: eventId, summary: "Dinner" });
    expect((await listOutbox(ctx, "calendar")).map((o) => o.externalId).sort()).toEqual([first.event.id, eventId].sort());
    await close();
  });

  it("updates an event: moving the start keeps the duration, guests are added and removed, the .ics is regenerated", async () => {
    const { client, ctx, backend, close } = await connect();
    const { event } = await callOk<{ event: EventOut }>(client, "create_calendar_event", { ...offsite, idempotency_key: "to-update-1" });
    const { event: moved } = await callOk<{ event: EventOut }>(client, "update_calendar_event", {
      eventId: event.id,
      start: "2027-03-11T10:00:00+00:00",
      addAttendees: ["cy@example.com"],
      removeAttendees: ["ben@example.com"],
      location: null,
      idempotency_key: "move-offsite-1",
    });
    expect(moved).toMatchObject({ id: event.id, sequence: 1, start: { local: "2027-03-11 10:00" }, end: { local: "2027-03-11 18:00" } });
    expect(moved.attendees.map((a) => a.email)).toEqual(["ana@example.com", "cy@example.com"]);
    const [row] = await listOutbox(ctx, "calendar");
    expect(row?.data.ics).toContain("DTSTART:20270311T100000Z");
    expect(row?.data.ics).not.toContain("LOCATION");
    expect(row?.data.notifications).toEqual(expect.arrayContaining([{ kind: "update", to: ["ana@example.com", "ben@example.com", "cy@example.com"], at: NOW.toISOString() }]));

    // A retry after a crash that had already patched: the event carries the call's marker, so nothing is patched or sent again.
    await backend.patchEvent(ctx, "primary", event.id, { summary: "Renamed", appliedUpdateKeys: [updateMarkerFor(ctx.workspaceId, "rename-1")] }, { notifyAttendees: true });
    const again = await callOk<{ event: EventOut }>(client, "update_calendar_event", { eventId: event.id, summary: "Renamed", idempotency_key: "rename-1" });
    expect(again.event).toMatchObject({ summary: "Renamed", sequence: 2 });
    expect((await listOutbox(ctx, "calendar"))[0]?.data.notifications).toHaveLength(3);

    // A write after a read makes a conditional patch fail rather than overwrite it.
    await expect(backend.patchEvent(ctx, "primary", event.id, { summary: "Stale" }, { notifyAttendees: false, ifMatch: '"1"' })).rejects.toMatchObject({ code: "conflict", details: { reason: "preconditionFailed" } });
    expect(await callError(client, "update_calendar_event", { eventId: event.id, end: "2027-03-11T09:00:00Z", idempotency_key: "bad-end-1" })).toMatch(/^validation_failed: end: must be after start/);
    expect(await callError(client, "update_calendar_event", { eventId: event.id, removeAttendees: ["zed@example.com"], idempotency_key: "bad-remove-1" })).toMatch(/removeAttendees: zed@example.com is not on the guest list/);
    expect(await callError(client, "update_calendar_event", { eventId: event.id, idempotency_key: "nothing-1" })).toMatch(/at least one field/);
    await close();
  });

  it("cancels an event once, tells the guests, and refuses to change it afterwards", async () => {
    const { client, ctx, close } = await connect();
    const { event } = await callOk<{ event: EventOut }>(client, "create_calendar_event", { ...offsite, idempotency_key: "to-cancel-1" });
    const { event: cancelled } = await callOk<{ event: EventOut }>(client, "cancel_calendar_event", { eventId: event.id, idempotency_key: "cancel-1" });
    expect(cancelled).toMatchObject({ status: "cancelled", sequence: 1 });
    const again = await callOk<{ event: EventOut }>(client, "cancel_calendar_event", { eventId: event.id, idempotency_key: "cancel-2" });
    expect(again.event.sequence).toBe(1);
    const [row] = await listOutbox(ctx, "calendar");
    expect(row?.status).toBe("cancelled");
    expect(row?.data.ics).toContain("STATUS:CANCELLED");
    expect((row?.data.notifications as { kind: string }[]).map((n) => n.kind)).toEqual(["invitation", "cancellation"]);
    expect(await callError(client, "update_calendar_event", { eventId: event.id, summary: "Back on", idempotency_key: "revive-1" })).toMatch(/^invalid_state: .*cancelled/);
    await close();
  });

  it("lists events in a range, searches, pages and leaves cancelled ones out unless asked", async () => {
    const { client, close } = await connect();
    const make = (summary: string, day: number, key: string) =>
      callOk<{ event: EventOut }>(client, "create_calendar_event", { summary, start: `2027-03-${day}T09:00:00Z`, end: `2027-03-${day}T10:00:00Z`, timeZone: "UTC", notifyAttendees: false, idempotency_key: key });
    const a = await make("Venue visit", 12, "list-a-key");
    const b = await make("Catering tasting", 13, "list-b-key");
    const c = await make("Venue contract signing", 14, "list-c-key");
    await make("Out of range", 20, "list-d-key");
    await callOk(client, "cancel_calendar_event", { eventId: b.event.id, notifyAttendees: false, idempotency_key: "list-cancel-b" });
    const range = { timeMin: "2027-03-12T00:00:00Z", timeMax: "2027-03-15T00:00:00Z" };

    const listed = await callOk<{ events: EventOut[]; nextPageToken: string | null }>(client, "list_calendar_events", range);
    expect(listed.events.map((e) => e.id)).toEqual([a.event.id, c.event.id]);
    const withCancelled = await callOk<{ events: EventOut[] }>(client, "list_calendar_events", { ...range, includeCancelled: true, timeZone: "Asia/Tokyo" });
    expect(withCancelled.events.map((e) => e.summary)).toEqual(["Venue visit", "Catering tasting", "Venue contract signing"]);
    expect(withCancelled.events[0]?.start).toEqual({ utc: "2027-03-12T09:00:00.000Z", local: "2027-03-12 18:00", timeZone: "Asia/Tokyo" });
    const search = await callOk<{ events: EventOut[] }>(client, "list_calendar_events", { ...range, query: "VENUE" });
    expect(search.events.map((e) => e.summary)).toEqual(["Venue visit", "Venue contract signing"]);
    const page1 = await callOk<{ events: EventOut[]; nextPageToken: string | null }>(client, "list_calendar_events", { ...range, includeCancelled: true, maxResults: 2 });
    expect(page1.events).toHaveLength(2);
    expect(page1.nextPageToken).not.toBeNull();
    const page2 = await callOk<{ events: EventOut[]; nextPageToken: string | null }>(client, "list_calendar_events", { ...range, includeCancelled: true, maxResults: 2, pageToken: page1.nextPageToken });
    expect(page2).toMatchObject({ events: [{ summary: "Venue contract signing" }], nextPageToken: null });
    expect(await callError(client, "list_calendar_events", { timeMin: range.timeMax, timeMax: range.timeMin })).toMatch(/timeMax: must be after timeMin/);
    await close();
  });

  it("answers free/busy from events and busy blocks, and finds slots when everyone is free", async () => {
    const { client, ctx, backend, close } = await connect();
    await callOk(client, "create_calendar_event", { summary: "Existing meeting", start: "2027-03-08T09:00:00Z", end: "2027-03-08T10:00:00Z", timeZone: "Europe/Lisbon", notifyAttendees: false, idempotency_key: "busy-own-1" });
    await backend.addBusyBlocks(ctx, { calendarId: "Ana@Example.com", blocks: [{ start: new Date("2027-03-08T10:00:00Z"), end: new Date("2027-03-08T12:00:00Z"), summary: "Dentist" }] });

    const freeBusy = await callOk<{ calendars: { calendar: string; busy: { start: { local: string }; end: { local: string } }[]; error: string | null }[] }>(client, "get_free_busy", {
      calendars: ["primary", "ana@example.com", "stranger@elsewhere.example"],
      timeMin: "2027-03-08T00:00:00Z",
      timeMax: "2027-03-09T00:00:00Z",
      timeZone: "Europe/Lisbon",
    });
    expect(freeBusy.calendars).toEqual([
      { calendar: "primary", busy: [{ start: expect.objectContaining({ local: "2027-03-08 09:00" }) as unknown, end: expect.objectContaining({ local: "2027-03-08 10:00" }) as unknown }], error: null },
      { calendar: "ana@example.com", busy: [{ start: expect.objectContaining({ local: "2027-03-08 10:00" }) as unknown, end: expect.objectContaining({ local: "2027-03-08 12:00" }) as unknown }], error: null },
      { calendar: "stranger@elsewhere.example", busy: [], error: expect.stringMatching(/not found/) as unknown },
    ]);

    const slots = await callOk<{ slots: { start: { local: string }; end: { local: string } }[]; truncated: boolean; calendars: { calendar: string; error: string | null }[] }>(client, "find_free_slots", {
      attendees: ["ana@example.com", "stranger@elsewhere.example"],
      windowStart: "2027-03-08T00:00:00Z",
      windowEnd: "2027-03-09T00:00:00Z",
      durationMinutes: 90,
      timeZone: "Europe/Lisbon",
      maxSlots: 2,
    });
    expect(slots.slots.map((s) => [s.start.local, s.end.local])).toEqual([
      ["2027-03-08 12:00", "2027-03-08 13:30"],
      ["2027-03-08 13:30", "2027-03-08 15:00"],
    ]);
    expect(slots.truncated).toBe(true);
    expect(slots.calendars).toEqual([
      { calendar: "primary", error: null },
      { calendar: "ana@example.com", error: null },
      { calendar: "stranger@elsewhere.example", error: expect.stringMatching(/not found/) as unknown },
    ]);
    // The clock says 2027-03-01: a window in the past has no slots.
    const past = await callOk<{ slots: unknown[] }>(client, "find_free_slots", { windowStart: "2027-02-01T00:00:00Z", windowEnd: "2027-02-20T00:00:00Z", durationMinutes: 30, timeZone: "UTC" });
    expect(past.slots).toEqual([]);
    expect(await callError(client, "find_free_slots", { windowStart: "2027-03-08T00:00:00Z", windowEnd: "2027-06-08T00:00:00Z", durationMinutes: 30, timeZone: "UTC" })).toMatch(/windowEnd: must be at most 62 days/);
    expect(await callError(client, "find_free_slots", { windowStart: "2027-03-08T00:00:00Z", windowEnd: "2027-03-09T00:00:00Z", durationMinutes: 30, timeZone: "UTC", workingHours: { start: "17:00", end: "09:00" } })).toMatch(/workingHours.end/);
    // Busy blocks of other people never show up as the planner's calendars.
    expect((await callOk<{ calendars: unknown[] }>(client, "list_calendars", {})).calendars).toHaveLength(1);
    await close();
  });

  it("exports the event as the same .ics the outbox holds", async () => {
    const { client, ctx, close } = await connect();
    const { event } = await callOk<{ event: EventOut }>(client, "create_calendar_event", { ...offsite, idempotency_key: "export-me-1" });
    const exported = await callOk<{ filename: string; contentType: string; ics: string }>(client, "export_ics", { eventId: event.id });
    expect(exported.filename).toBe(`2027-03-10-${event.id.slice(0, 12)}.ics`);
    expect(exported.contentType).toBe("text/calendar; charset=utf-8");
    expect(exported.ics).toBe((await listOutbox(ctx, "calendar"))[0]?.data.ics);
    expect(exported.ics.replace(/\r\n /g, "")).toContain(`UID:${event.id}@calendar.sandbox.test\r\n`);
    await close();
  });

  it("answers bad input with a tool error naming the field", async () => {
    const { client, close } = await connect();
    expect(await callError(client, "create_calendar_event", { ...offsite, end: offsite.start, idempotency_key: "bad-range-1" })).toMatch(/^validation_failed: end: must be after start/);
    expect(await callError(client, "create_calendar_event", { ...offsite, start: "2027-03-10 09:00", idempotency_key: "bad-start-1" })).toMatch(/start/);
    expect(await callError(client, "create_calendar_event", { ...offsite, timeZone: "Mars/Olympus", idempotency_key: "bad-zone-1" })).toMatch(/timeZone/);
    expect(await callError(client, "create_calendar_event", { ...offsite, attendees: ["not-an-email"], idempotency_key: "bad-mail-1" })).toMatch(/attendees/);
    expect(await callError(client, "create_calendar_event", { ...offsite, calendarId: "someone@else.example", idempotency_key: "bad-cal-1" })).toMatch(/^not_found: calendar someone@else.example/);
    expect(await callError(client, "create_calendar_event", { ...offsite, idempotency_key: "x" })).toMatch(/idempotency_key/);
    expect(await callError(client, "get_calendar_event", { eventId: "nosuchevent1" })).toMatch(/^not_found: event nosuchevent1/);
    expect(await callError(client, "get_calendar_event", { eventId: "bad id!" })).toMatch(/eventId/);
    expect(await callError(client, "get_free_busy", { calendars: [], timeMin: "2027-03-08T00:00:00Z", timeMax: "2027-03-09T00:00:00Z" })).toMatch(/calendars/);
    await close();
  });

  it("keeps workspaces apart", async () => {
    const a = await connect();
    const { event } = await callOk<{ event: EventOut }>(a.client, "create_calendar_event", { ...offsite, idempotency_key: "shared-key-1" });
    await a.backend.addBusyBlocks(a.ctx, { calendarId: "ana@example.com", blocks: [{ start: new Date("2027-03-08T10:00:00Z"), end: new Date("2027-03-08T12:00:00Z") }] });
    await a.close();

    const b = await connect({ ctx: await newWorkspaceContext(t().db), backend: a.backend });
    expect(await callError(b.client, "get_calendar_event", { eventId: event.id })).toMatch(/^not_found/);
    expect(await callError(b.client, "cancel_calendar_event", { eventId: event.id, idempotency_key: "b-cancel-1" })).toMatch(/^not_found/);
    expect((await callOk<{ events: unknown[] }>(b.client, "list_calendar_events", { timeMin: "2027-03-01T00:00:00Z", timeMax: "2027-04-01T00:00:00Z" })).events).toEqual([]);
    const freeBusy = await callOk<{ calendars: { error: string | null }[] }>(b.client, "get_free_busy", { calendars: ["ana@example.com"], timeMin: "2027-03-08T00:00:00Z", timeMax: "2027-03-09T00:00:00Z" });
    expect(freeBusy.calendars[0]?.error).toMatch(/not found/);
    expect(await listOutbox(b.ctx, "calendar")).toEqual([]);
    const own = await callOk<{ event: EventOut }>(b.client, "create_calendar_event", { ...offsite, idempotency_key: "shared-key-1" });
    expect(own.event.id).not.toBe(event.id);
    expect(await listOutbox(a.ctx, "calendar")).toHaveLength(1);
    await b.close();
  });
});
