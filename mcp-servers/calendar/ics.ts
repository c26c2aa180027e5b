import { DateTime } from "luxon";
import type { CalendarEvent, EventStatus, ResponseStatus } from "./backend.js";

/**
 * RFC 5545 text for one event, written by hand: no iCalendar library is installed and one VEVENT
 * needs few properties. Times are written in UTC, which needs no VTIMEZONE component (a TZID
 * would require one describing the zone's rules); calendar apps show them in the reader's zone.
 */

const CRLF = "\r\n";
const MAX_LINE_OCTETS = 75;

/** TEXT values (section 3.3.11): backslash, semicolon, comma and line breaks are escaped. */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n");
}

/**
 * Content lines longer than 75 octets are folded (section 3.1): a CRLF and one space before the
 * rest. Counted in UTF-8 octets and never inside a multi-octet character.
 */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let current = "";
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, "utf8");
    // Continuation lines start with a space, which counts toward their 75 octets.
    const limit = parts.length === 0 ? MAX_LINE_OCTETS : MAX_LINE_OCTETS - 1;
    if (octets + size > limit) {
      parts.push(current);
      current = "";
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join(`${CRLF} `);
}

function utcStamp(value: Date): string {
  return DateTime.fromJSDate(value, { zone: "utc" }).toFormat("yyyyMMdd'T'HHmmss'Z'");
}

function localDate(value: Date, timeZone: string): string {
  return DateTime.fromJSDate(value, { zone: timeZone }).toFormat("yyyyMMdd");
}

const STATUS: Record<EventStatus, string> = { confirmed: "CONFIRMED", tentative: "TENTATIVE", cancelled: "CANCELLED" };
const PARTSTAT: Record<ResponseStatus, string> = { needsAction: "NEEDS-ACTION", accepted: "ACCEPTED", declined: "DECLINED", tentative: "TENTATIVE" };

export function buildIcs(event: CalendarEvent): string {
  const lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//event-planner-agent//calendar//EN", "CALSCALE:GREGORIAN", "BEGIN:VEVENT", `UID:${escapeText(event.iCalUID)}`];
  // Without a METHOD, DTSTAMP is the last modification (section 3.8.7.2); it keeps the text reproducible.
  lines.push(`DTSTAMP:${utcStamp(event.updated)}`);
  if (event.allDay) {
    lines.push(`DTSTART;VALUE=DATE:${localDate(event.start, event.timeZone)}`, `DTEND;VALUE=DATE:${localDate(event.end, event.timeZone)}`);
  } else {
    lines.push(`DTSTART:${utcStamp(event.start)}`, `DTEND:${utcStamp(event.end)}`);
  }
  lines.push(`SUMMARY:${escapeText(event.summary)}`);
  if (event.description) lines.push(`DESCRIPTION:${escapeText(event.description)}`);
  if (event.location) lines.push(`LOCATION:${escapeText(event.location)}`);
  lines.push(`STATUS:${STATUS[event.status]}`, `SEQUENCE:${event.sequence}`);
  if (event.organizerEmail) lines.push(`ORGANIZER:mailto:${event.organizerEmail}`);
  for (const attendee of event.attendees) {
    const role = attendee.optional ? "OPT-PARTICIPANT" : "REQ-PARTICIPANT";
    lines.push(`ATTENDEE;ROLE=${role};PARTSTAT=${PARTSTAT[attendee.responseStatus]};RSVP=TRUE:mailto:${attendee.email}`);
  }
  lines.push(`CREATED:${utcStamp(event.created)}`, `LAST-MODIFIED:${utcStamp(event.updated)}`, "END:VEVENT", "END:VCALENDAR");
  return lines.map(foldLine).join(CRLF) + CRLF;
}
