import { describe, expect, it } from "vitest";
import type { CalendarEvent } from "./backend.js";
import { buildIcs, escapeText, foldLine } from "./ics.js";
import { base32hex, eventIdFor, GOOGLE_EVENT_ID_PATTERN, updateMarkerFor } from "./ids.js";

const event: CalendarEvent = {
  id: "abc123def456",
  calendarId: "planner@acme.test",
  status: "confirmed",
  summary: "Offsite; day 1, Lisbon",
  description: "Agenda:\nkeynote, lunch\\dinner",
  location: "LX Factory, Rua Rodrigues de Faria 103",
  start: new Date("2027-03-10T09:00:00Z"),
  end: new Date("2027-03-10T17:30:00Z"),
  allDay: false,
  timeZone: "Europe/Lisbon",
  attendees: [
    { email: "ana@example.com", responseStatus: "accepted", optional: false },
    { email: "ben@example.com", responseStatus: "needsAction", optional: true },
  ],
  organizerEmail: "planner@acme.test",
  htmlLink: null,
  iCalUID: "abc123def456@google.com",
  sequence: 2,
  etag: "\"2\"",
  created: new Date("2027-01-05T10:00:00Z"),
  updated: new Date("2027-01-06T11:12:13Z"),
  plannerWorkspaceId: "ws",
  appliedUpdateKeys: [],
};

const unfold = (text: string) => text.replace(/\r\n /g, "");

describe("iCalendar text (RFC 5545)", () => {
  it("escapes backslashes, semicolons, commas and line breaks in TEXT values", () => {
    expect(escapeText("a,b;c\\d\ne\r\nf")).toBe("a\\,b\\;c\\\\d\\ne\\nf");
  });

  it("folds lines at 75 octets without splitting a UTF-8 character", () => {
    const long = `DESCRIPTION:${"Caf\u00e9 \u{1F389} ".repeat(30)}`;
    const folded = foldLine(long);
    for (const line of folded.split("\r\n")) {
      expect(Buffer.byteLength(line, "utf8")).toBeLessThanOrEqual(75);
      expect(Buffer.from(line, "utf8").toString("utf8")).toBe(line);
    }
    expect(folded.split("\r\n").slice(1).every((line) => line.startsWith(" "))).toBe(true);
    expect(unfold(folded)).toBe(long);
    expect(foldLine("SUMMARY:short")).toBe("SUMMARY:short");
  });

  it("writes one VEVENT with UTC times, guests and escaped text, CRLF-terminated", () => {
    const ics = buildIcs(event);
    expect(ics.endsWith("\r\n")).toBe(true);
    expect(ics.replace(/\r\n/g, "")).not.toMatch(/\n/);
    const lines = unfold(ics).split("\r\n");
    expect(lines.slice(0, 5)).toEqual(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//event-planner-agent//calendar//EN", "CALSCALE:GREGORIAN", "BEGIN:VEVENT"]);
    expect(lines).toEqual(
      expect.arrayContaining([
        "UID:abc123def456@google.com",
        "DTSTAMP:20270106T111213Z",
        "DTSTART:20270310T090000Z",
        "DTEND:20270310T173000Z",
        "SUMMARY:Offsite\\; day 1\\, Lisbon",
        "DESCRIPTION:Agenda:\\nkeynote\\, lunch\\\\dinner",
        "LOCATION:LX Factory\\, Rua Rodrigues de Faria 103",
        "STATUS:CONFIRMED",
        "SEQUENCE:2",
        "ORGANIZER:mailto:planner@acme.test",
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:ana@example.com",
        "ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:ben@example.com",
      ]),
    );
    expect(lines.slice(-3)).toEqual(["END:VEVENT", "END:VCALENDAR", ""]);
  });

  it("writes all-day events as local dates and cancelled ones as CANCELLED", () => {
    const allDay = { ...event, allDay: true, status: "cancelled" as const, description: null, location: null, start: new Date("2027-03-09T00:00:00Z"), end: new Date("2027-03-11T00:00:00Z"), timeZone: "Europe/Lisbon" };
    const lines = unfold(buildIcs(allDay)).split("\r\n");
    expect(lines).toEqual(expect.arrayContaining(["DTSTART;VALUE=DATE:20270309", "DTEND;VALUE=DATE:20270311", "STATUS:CANCELLED"]));
    expect(lines.some((l) => l.startsWith("DESCRIPTION") || l.startsWith("LOCATION"))).toBe(false);
  });
});

describe("event ids", () => {
  it("encode base32hex as RFC 4648 specifies (lower case, no padding)", () => {
    expect(base32hex(Buffer.from("f"))).toBe("co");
    expect(base32hex(Buffer.from("foobar"))).toBe("cpnmuoj1e8");
  });

  it("derive a valid Google event id from the workspace and the key, stable per pair", () => {
    const id = eventIdFor("ws-a", "create-offsite-1");
    expect(id).toMatch(GOOGLE_EVENT_ID_PATTERN);
    expect(eventIdFor("ws-a", "create-offsite-1")).toBe(id);
    expect(eventIdFor("ws-b", "create-offsite-1")).not.toBe(id);
    expect(eventIdFor("ws-a", "create-offsite-2")).not.toBe(id);
    expect(updateMarkerFor("ws-a", "k")).toHaveLength(16);
  });
});
