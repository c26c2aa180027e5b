import { DateTime } from "luxon";
import { z } from "zod";
import { AppError, ValidationError } from "../../lib/errors.js";
import { email, timeZone } from "../../lib/formats.js";
import { formatLocal } from "../../lib/time.js";
import type { ToolContext } from "../host/context.js";
import { defineTool, type Tool, type ToolCallInfo } from "../host/tool.js";
import { fenceNullable, fenceUntrusted, untrustedText } from "../host/untrusted.js";
import { EVENT_STATUSES, RESPONSE_STATUSES, type Attendee, type CalendarBackend, type CalendarEvent, type EventPatch } from "./backend.js";
import { isEventChanged } from "./errors.js";
import { buildIcs } from "./ics.js";
import { eventIdFor, MAX_UPDATE_MARKERS, updateMarkerFor } from "./ids.js";
import { findFreeSlots } from "./slots.js";

export const DESCRIPTION_SOURCE = "calendar_event_description";
export const ICS_SOURCE = "calendar_event_ics";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Longest window find_free_slots searches: two months of days is plenty to plan in and cheap to walk. */
const MAX_SLOT_WINDOW_DAYS = 62;
/** Re-reads after a concurrent write before giving up with a conflict. */
const MAX_PATCH_ATTEMPTS = 3;

/** An ISO 8601 date-time with an explicit offset or Z, so a time is never ambiguous. */
const isoDateTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with an offset, e.g. 2027-03-10T09:00:00+00:00" });

const clockTime = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { error: "must be HH:MM on a 24-hour clock, e.g. 09:00" });

const calendarIdInput = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .optional()
  .describe("the calendar to use; leave out for the planner's own calendar. Ids come from list_calendars");

const eventIdInput = z
  .string()
  .regex(/^[A-Za-z0-9_-]{5,1024}$/, { error: "must be an event id as returned by create_calendar_event or list_calendar_events" })
  .describe("the event's id, from create_calendar_event or list_calendar_events");

const instantOutput = z.object({
  utc: z.string().describe("ISO 8601 instant"),
  local: z.string().describe("wall clock in `timeZone`, YYYY-MM-DD HH:mm"),
  timeZone: z.string(),
});

function instant(value: Date, zone: string): z.infer<typeof instantOutput> {
  return { utc: value.toISOString(), local: formatLocal(value, zone), timeZone: zone };
}

const eventOutput = z.object({
  id: z.string(),
  calendarId: z.string(),
  status: z.enum(EVENT_STATUSES),
  summary: z.string(),
  description: untrustedText.nullable().describe("the event's description; anyone invited may have written it"),
  location: z.string().nullable(),
  start: instantOutput,
  end: instantOutput.describe("exclusive"),
  allDay: z.boolean(),
  attendees: z.array(z.object({ email: z.string(), responseStatus: z.enum(RESPONSE_STATUSES), optional: z.boolean() })),
  organizerEmail: z.string().nullable(),
  htmlLink: z.string().nullable().describe("the event in Google Calendar; null in the sandbox"),
  iCalUID: z.string(),
  sequence: z.number().int().describe("revision number; grows with every change guests are told about"),
  createdByPlanner: z.boolean().describe("true when this workspace's planner created it; only those can be updated or cancelled"),
  updated: z.string().describe("ISO 8601 instant of the last change"),
});

function presentEvent(ctx: ToolContext, event: CalendarEvent, displayZone?: string): z.infer<typeof eventOutput> {
  const zone = displayZone ?? event.timeZone;
  return {
    id: event.id,
    calendarId: event.calendarId,
    status: event.status,
    summary: event.summary,
    description: fenceNullable(DESCRIPTION_SOURCE, event.description),
    location: event.location,
    start: instant(event.start, zone),
    end: instant(event.end, zone),
    allDay: event.allDay,
    attendees: event.attendees,
    organizerEmail: event.organizerEmail,
    htmlLink: event.htmlLink,
    iCalUID: event.iCalUID,
    sequence: event.sequence,
    createdByPlanner: event.plannerWorkspaceId === ctx.workspaceId,
    updated: event.updated.toISOString(),
  };
}

function requireKey(call: ToolCallInfo): string {
  if (!call.idempotencyKey) throw new AppError("internal", "a side-effect tool ran without its idempotency key");
  return call.idempotencyKey;
}

function requireAfter(start: Date, end: Date, field: string, startField: string): void {
  if (end.getTime() <= start.getTime()) throw new ValidationError(`${field}: must be after ${startField}`, { field });
}

/** Changing someone's own meeting is theirs to do in Google Calendar, not the planner's. */
function requirePlannerEvent(ctx: ToolContext, event: CalendarEvent): void {
  if (event.plannerWorkspaceId !== ctx.workspaceId) {
    throw new AppError("forbidden", `event ${event.id} was not created by the planner; only its organizer can change it in Google Calendar`, { field: "eventId" });
  }
}

function clockOf(value: string): { hour: number; minute: number } {
  const [hour = 0, minute = 0] = value.split(":").map(Number);
  return { hour, minute };
}

const FREEBUSY_REASONS: Record<string, string> = {
  notFound: "not found, or its owner does not share free/busy with the planner's account",
  tooManyCalendarsRequested: "too many calendars in one request",
  groupTooBig: "the group has too many members to expand",
};

function explainFreeBusyError(reason: string | null): string | null {
  return reason === null ? null : (FREEBUSY_REASONS[reason] ?? reason);
}

interface UpdateInput {
  summary?: string;
  description?: string | null;
  location?: string | null;
  start?: string;
  end?: string;
  timeZone?: string;
  addAttendees?: string[];
  removeAttendees?: string[];
}

/** The fields an update changes, worked out against the event as it is now. */
function updatePatch(current: CalendarEvent, input: UpdateInput): EventPatch {
  const patch: EventPatch = {};
  if (input.summary !== undefined) patch.summary = input.summary;
  if (input.description !== undefined) patch.description = input.description;
  if (input.location !== undefined) patch.location = input.location;
  if (input.start !== undefined || input.end !== undefined || input.timeZone !== undefined) {
    const start = input.start ? new Date(input.start) : current.start;
    const duration = current.end.getTime() - current.start.getTime();
    const end = input.end ? new Date(input.end) : input.start ? new Date(start.getTime() + duration) : current.end;
    requireAfter(start, end, input.end ? "end" : "start", input.end ? "start" : "the current end");
    patch.times = { start, end, timeZone: input.timeZone ?? current.timeZone };
  }
  if (input.addAttendees || input.removeAttendees) {
    const removing = new Set(input.removeAttendees ?? []);
    for (const address of removing) {
      if (!current.attendees.some((a) => a.email === address)) throw new ValidationError(`removeAttendees: ${address} is not on the guest list`, { field: "removeAttendees" });
    }
    const kept = current.attendees.filter((a) => !removing.has(a.email));
    const added = [...new Set(input.addAttendees ?? [])].filter((address) => !kept.some((a) => a.email === address));
    patch.attendees = [...kept, ...added.map((address): Attendee => ({ email: address, responseStatus: "needsAction", optional: false }))];
  }
  return patch;
}

export interface CalendarToolOptions {
  /** The clock find_free_slots starts from; tests pin it. */
  now?: () => Date;
}

export function calendarTools(backend: CalendarBackend, options: CalendarToolOptions = {}): Tool[] {
  const now = options.now ?? (() => new Date());
  const calendarOf = (input: { calendarId?: string }) => input.calendarId ?? backend.defaultCalendarId;

  /**
   * Read the event, decide the change from what is there (undefined: nothing to do), and patch it
   * only if nobody wrote in between (If-Match). Two runs of one call thus cannot both act: the
   * second finds the first's change on its re-read. Replies arriving meanwhile are not overwritten.
   */
  async function patchLatest(ctx: ToolContext, calendarId: string, eventId: string, decide: (current: CalendarEvent) => EventPatch | undefined, notifyAttendees: boolean): Promise<CalendarEvent> {
    for (let attempt = 1; ; attempt++) {
      const current = await backend.getEvent(ctx, calendarId, eventId);
      requirePlannerEvent(ctx, current);
      const patch = decide(current);
      if (!patch) return current;
      try {
        return await backend.patchEvent(ctx, calendarId, eventId, patch, { notifyAttendees, ifMatch: current.etag || undefined });
      } catch (error) {
        if (!isEventChanged(error) || attempt >= MAX_PATCH_ATTEMPTS) throw error;
      }
    }
  }

  return [
    defineTool({
      name: "list_calendars",
      title: "List calendars",
      description:
        "The calendars the planner's Google account can see, its own (primary) first, with each calendar's time zone and whether the planner may add events to it. Other calendar tools use the planner's own calendar unless given a calendarId from here.",
      input: {},
      output: {
        defaultCalendarId: z.string().describe("what the other tools use when no calendarId is given"),
        calendars: z.array(
          z.object({
            id: z.string(),
            summary: z.string(),
            timeZone: z.string(),
            primary: z.boolean(),
            accessRole: z.enum(["owner", "writer", "reader", "freeBusyReader"]),
            canAddEvents: z.boolean(),
          }),
        ),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      sideEffect: false,
      handler: async (ctx) => ({
        defaultCalendarId: backend.defaultCalendarId,
        calendars: (await backend.listCalendars(ctx)).map((c) => ({ ...c, canAddEvents: c.accessRole === "owner" || c.accessRole === "writer" })),
      }),
    }),

    defineTool({
      name: "create_calendar_event",
      title: "Create calendar event",
      description:
        "Put an event on the calendar and, unless notifyAttendees is false, email a Google Calendar invitation to every attendee. Give start and end as ISO date-times with an offset and the IANA time zone of the venue. " +
        "The event id is derived from idempotency_key, so retrying with the same key never makes a second event or sends a second invitation. Returns the event with its id, which the other event tools take.",
      input: {
        calendarId: calendarIdInput,
        summary: z.string().trim().min(1).max(1024).describe("the title guests see, e.g. 'Engineering offsite: day 1'"),
        description: z.string().max(8192).optional().describe("agenda, dress code, links; guests see it"),
        location: z.string().max(1024).optional().describe("venue name and address"),
        start: isoDateTime,
        end: isoDateTime.describe("after start"),
        timeZone: timeZone.describe("IANA zone of the venue, e.g. Europe/Lisbon: guests' calendars show the event in it"),
        attendees: z.array(email).max(100).default([]).describe("guests' email addresses; up to 100"),
        notifyAttendees: z.boolean().default(true).describe("email invitations now (true) or add guests silently (false)"),
      },
      output: { event: eventOutput },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      sideEffect: true,
      effect: "external",
      // The event id comes from the key: a second insert is refused as a duplicate and the first event returned.
      retrySafe: true,
      handler: async (ctx, input, call) => {
        const key = requireKey(call);
        const start = new Date(input.start);
        const end = new Date(input.end);
        requireAfter(start, end, "end", "start");
        const { event } = await backend.createEvent(ctx, {
          calendarId: calendarOf(input),
          eventId: eventIdFor(ctx.workspaceId, key),
          idempotencyKey: key,
          summary: input.summary,
          description: input.description,
          location: input.location,
          start,
          end,
          timeZone: input.timeZone,
          attendees: [...new Set(input.attendees)],
          notifyAttendees: input.notifyAttendees,
        });
        return { event: presentEvent(ctx, event) };
      },
    }),

    defineTool({
      name: "update_calendar_event",
      title: "Update calendar event",
      description:
        "Change an event the planner created: title, description, location, times, guests. Only the fields given change; moving the start alone keeps the duration. " +
        "Guests are emailed the change unless notifyAttendees is false. A retry with the same idempotency_key finds the change already made and does not notify again. Cancelled events cannot be changed.",
      input: {
        calendarId: calendarIdInput,
        eventId: eventIdInput,
        summary: z.string().trim().min(1).max(1024).optional(),
        description: z.string().max(8192).nullable().optional().describe("null removes it"),
        location: z.string().max(1024).nullable().optional().describe("null removes it"),
        start: isoDateTime.optional(),
        end: isoDateTime.optional(),
        timeZone: timeZone.optional().describe("IANA zone for start and end"),
        addAttendees: z.array(email).max(100).optional().describe("emails to invite"),
        removeAttendees: z.array(email).max(100).optional().describe("emails to take off the guest list"),
        notifyAttendees: z.boolean().default(true).describe("email guests about the change"),
      },
      output: { event: eventOutput },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      sideEffect: true,
      effect: "external",
      // The call leaves a marker of its key on the event, written with If-Match: a retry finds it and does not patch.
      retrySafe: true,
      handler: async (ctx, input, call) => {
        const marker = updateMarkerFor(ctx.workspaceId, requireKey(call));
        const calendarId = calendarOf(input);
        const event = await patchLatest(ctx, calendarId, input.eventId, (current) => {
          if (current.appliedUpdateKeys.includes(marker)) return undefined;
          if (current.status === "cancelled") throw new AppError("invalid_state", `event ${current.id} is cancelled; create a new event instead`, { field: "eventId" });
          const patch = updatePatch(current, input);
          if (Object.keys(patch).length === 0) throw new ValidationError("summary: give at least one field to change", { field: "summary" });
          return { ...patch, appliedUpdateKeys: [...current.appliedUpdateKeys, marker].slice(-MAX_UPDATE_MARKERS) };
        }, input.notifyAttendees);
        return { event: presentEvent(ctx, event) };
      },
    }),

    defineTool({
      name: "cancel_calendar_event",
      title: "Cancel calendar event",
      description:
        "Cancel an event the planner created: its status becomes cancelled and, unless notifyAttendees is false, every guest is emailed the cancellation. It cannot be undone; to restore an event, create a new one. Cancelling an already cancelled event changes nothing.",
      input: {
        calendarId: calendarIdInput,
        eventId: eventIdInput,
        notifyAttendees: z.boolean().default(true).describe("email guests the cancellation"),
      },
      output: { event: eventOutput },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      sideEffect: true,
      effect: "external",
      // Checked and written with If-Match: a retry finds the event already cancelled and leaves it alone.
      retrySafe: true,
      handler: async (ctx, input) => {
        const event = await patchLatest(ctx, calendarOf(input), input.eventId, (current) => (current.status === "cancelled" ? undefined : { status: "cancelled" }), input.notifyAttendees);
        return { event: presentEvent(ctx, event) };
      },
    }),

    defineTool({
      name: "get_calendar_event",
      title: "Get calendar event",
      description: "One event with its times, guests and each guest's answer (needsAction, accepted, declined, tentative). Use it to check who has accepted an invitation.",
      input: { calendarId: calendarIdInput, eventId: eventIdInput, timeZone: timeZone.optional().describe("show times in this IANA zone instead of the event's own") },
      output: { event: eventOutput },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      sideEffect: false,
      handler: async (ctx, input) => ({ event: presentEvent(ctx, await backend.getEvent(ctx, calendarOf(input), input.eventId), input.timeZone) }),
    }),

    defineTool({
      name: "list_calendar_events",
      title: "List calendar events",
      description:
        "Events on a calendar that overlap [timeMin, timeMax), earliest first, recurring events expanded into single occurrences. Cancelled events are left out unless includeCancelled is true. " +
        "Use query to search titles, descriptions, locations and guests. When nextPageToken is not null, pass it to get the next page.",
      input: {
        calendarId: calendarIdInput,
        timeMin: isoDateTime,
        timeMax: isoDateTime.describe("after timeMin"),
        query: z.string().trim().min(1).max(200).optional().describe("free text, e.g. 'offsite'"),
        includeCancelled: z.boolean().default(false),
        maxResults: z.number().int().min(1).max(250).default(50),
        pageToken: z.string().min(1).max(1024).optional(),
        timeZone: timeZone.optional().describe("show times in this IANA zone instead of each event's own"),
      },
      output: { events: z.array(eventOutput), nextPageToken: z.string().nullable() },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      sideEffect: false,
      handler: async (ctx, input) => {
        const timeMin = new Date(input.timeMin);
        const timeMax = new Date(input.timeMax);
        requireAfter(timeMin, timeMax, "timeMax", "timeMin");
        const page = await backend.listEvents(ctx, {
          calendarId: calendarOf(input),
          timeMin,
          timeMax,
          query: input.query,
          includeCancelled: input.includeCancelled,
          maxResults: input.maxResults,
          pageToken: input.pageToken,
        });
        return { events: page.events.map((event) => presentEvent(ctx, event, input.timeZone)), nextPageToken: page.nextPageToken };
      },
    }),

    defineTool({
      name: "get_free_busy",
      title: "Get free/busy",
      description:
        "When each of a set of calendars is busy between timeMin and timeMax, without the events' details. Name calendars by id or by a person's email (their primary calendar); 'primary' is the planner's own. " +
        "A calendar that cannot be read (not shared with the planner's account) comes back with an error instead of busy times: its owner's availability is unknown, not free.",
      input: {
        calendars: z.array(z.string().trim().min(1).max(255)).min(1).max(50).describe("calendar ids or attendees' emails, up to 50"),
        timeMin: isoDateTime,
        timeMax: isoDateTime.describe("after timeMin"),
        timeZone: timeZone.default("UTC").describe("IANA zone to show local times in"),
      },
      output: {
        calendars: z.array(
          z.object({
            calendar: z.string(),
            busy: z.array(z.object({ start: instantOutput, end: instantOutput })),
            error: z.string().nullable().describe("why this calendar could not be read; null when busy is complete"),
          }),
        ),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      sideEffect: false,
      handler: async (ctx, input) => {
        const timeMin = new Date(input.timeMin);
        const timeMax = new Date(input.timeMax);
        requireAfter(timeMin, timeMax, "timeMax", "timeMin");
        const answers = await backend.freeBusy(ctx, { calendarIds: [...new Set(input.calendars)], timeMin, timeMax });
        return {
          calendars: answers.map((a) => ({
            calendar: a.calendarId,
            busy: a.busy.map((b) => ({ start: instant(b.start, input.timeZone), end: instant(b.end, input.timeZone) })),
            error: explainFreeBusyError(a.error),
          })),
        };
      },
    }),

    defineTool({
      name: "find_free_slots",
      title: "Find free slots",
      description:
        "Times when every attendee (and, by default, the planner's own calendar) is free for durationMinutes, inside working hours on the given weekdays in one IANA time zone, between windowStart and windowEnd (at most 62 days; never before now). " +
        "Returns up to maxSlots non-overlapping slots, earliest first, starting on a stepMinutes grid. Attendees whose calendars cannot be read are listed under calendars with an error: the slots do not account for them.",
      input: {
        attendees: z.array(email).max(49).default([]).describe("emails of the people who must all be free"),
        includePlannerCalendar: z.boolean().default(true).describe("also avoid the planner's own calendar (calendarId)"),
        calendarId: calendarIdInput,
        windowStart: isoDateTime,
        windowEnd: isoDateTime.describe("after windowStart, at most 62 days later"),
        durationMinutes: z.number().int().min(5).max(24 * 60).describe("length of the meeting"),
        timeZone: timeZone.describe("IANA zone of the working hours, e.g. Europe/Lisbon"),
        workingHours: z.object({ start: clockTime, end: clockTime }).strict().default({ start: "09:00", end: "17:00" }).describe("local working day, end after start"),
        weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7).default([1, 2, 3, 4, 5]).describe("ISO weekdays allowed: 1 = Monday … 7 = Sunday"),
        stepMinutes: z.number().int().min(5).max(240).default(30).describe("slots start on this grid from the start of working hours"),
        maxSlots: z.number().int().min(1).max(100).default(10),
      },
      output: {
        timeZone: z.string(),
        durationMinutes: z.number().int(),
        slots: z.array(z.object({ start: instantOutput, end: instantOutput })),
        truncated: z.boolean().describe("more slots exist than maxSlots"),
        calendars: z.array(z.object({ calendar: z.string(), error: z.string().nullable() })).describe("every calendar checked; an error means that person's availability is unknown"),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      sideEffect: false,
      handler: async (ctx, input) => {
        const requestedStart = new Date(input.windowStart);
        const windowEnd = new Date(input.windowEnd);
        requireAfter(requestedStart, windowEnd, "windowEnd", "windowStart");
        if (windowEnd.getTime() - requestedStart.getTime() > MAX_SLOT_WINDOW_DAYS * DAY) {
          throw new ValidationError(`windowEnd: must be at most ${MAX_SLOT_WINDOW_DAYS} days after windowStart`, { field: "windowEnd" });
        }
        const open = clockOf(input.workingHours.start);
        const close = clockOf(input.workingHours.end);
        if (close.hour * 60 + close.minute <= open.hour * 60 + open.minute) throw new ValidationError("workingHours.end: must be after workingHours.start", { field: "workingHours.end" });
        const calendarIds = [...new Set([...(input.includePlannerCalendar ? [calendarOf(input)] : []), ...input.attendees])];
        if (calendarIds.length === 0) throw new ValidationError("attendees: name at least one attendee, or include the planner's calendar", { field: "attendees" });
        // Slots in the past are of no use to anyone.
        const windowStart = new Date(Math.max(requestedStart.getTime(), now().getTime()));
        const answers = windowStart < windowEnd ? await backend.freeBusy(ctx, { calendarIds, timeMin: windowStart, timeMax: windowEnd }) : calendarIds.map((calendarId) => ({ calendarId, busy: [], error: null }));
        const { slots, truncated } = findFreeSlots({
          windowStart,
          windowEnd,
          busy: answers.flatMap((a) => a.busy),
          durationMinutes: input.durationMinutes,
          timeZone: input.timeZone,
          workingHours: { start: open, end: close },
          weekdays: input.weekdays,
          stepMinutes: input.stepMinutes,
          maxSlots: input.maxSlots,
        });
        return {
          timeZone: input.timeZone,
          durationMinutes: input.durationMinutes,
          slots: slots.map((s) => ({ start: instant(s.start, input.timeZone), end: instant(s.end, input.timeZone) })),
          truncated,
          calendars: answers.map((a) => ({ calendar: a.calendarId, error: explainFreeBusyError(a.error) })),
        };
      },
    }),

    defineTool({
      name: "export_ics",
      title: "Export event as .ics",
      description:
        "The event as an RFC 5545 iCalendar file (text/calendar) to attach to an email, a Slack post or a document, so anyone can add it to their own calendar. " +
        "For an event the planner created, ics is the file's text; for someone else's event it is fenced as untrusted, since its description may hold anything.",
      input: { calendarId: calendarIdInput, eventId: eventIdInput },
      output: {
        eventId: z.string(),
        filename: z.string(),
        contentType: z.literal("text/calendar; charset=utf-8"),
        ics: z.union([z.string(), untrustedText]).describe("the iCalendar text, CRLF line endings"),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      sideEffect: false,
      handler: async (ctx, input) => {
        const event = await backend.getEvent(ctx, calendarOf(input), input.eventId);
        const ics = buildIcs(event);
        const slug = DateTime.fromJSDate(event.start, { zone: event.timeZone }).toFormat("yyyy-MM-dd");
        return {
          eventId: event.id,
          filename: `${slug}-${event.id.slice(0, 12)}.ics`,
          contentType: "text/calendar; charset=utf-8" as const,
          ics: event.plannerWorkspaceId === ctx.workspaceId ? ics : fenceUntrusted(ICS_SOURCE, ics),
        };
      },
    }),
  ];
}
