import type { DomainContext } from "../../domain/context.js";

/**
 * What the calendar tools need from a calendar, in Google Calendar's terms but free of its wire
 * format: the sandbox (our database) and Google (googleapis) both implement it, so the tools, the
 * retry rules and the presentation are written once.
 */

export const EVENT_STATUSES = ["confirmed", "tentative", "cancelled"] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const RESPONSE_STATUSES = ["needsAction", "declined", "tentative", "accepted"] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

export interface CalendarInfo {
  id: string;
  summary: string;
  timeZone: string;
  primary: boolean;
  /** Google's access role: owner and writer may add events; reader and freeBusyReader may not. */
  accessRole: "owner" | "writer" | "reader" | "freeBusyReader";
}

export interface Attendee {
  email: string;
  responseStatus: ResponseStatus;
  optional: boolean;
}

export interface CalendarEvent {
  id: string;
  calendarId: string;
  status: EventStatus;
  summary: string;
  /** Free text that anyone with access to the event may have written. */
  description: string | null;
  location: string | null;
  start: Date;
  end: Date;
  /** All-day events start and end at midnight in `timeZone`; `end` is exclusive, as in Google. */
  allDay: boolean;
  timeZone: string;
  attendees: Attendee[];
  organizerEmail: string | null;
  htmlLink: string | null;
  iCalUID: string;
  sequence: number;
  /** Changes with every write; a patch given it as `ifMatch` fails if someone wrote in between. */
  etag: string;
  created: Date;
  updated: Date;
  /** The workspace whose planner created the event; null for events people made themselves. */
  plannerWorkspaceId: string | null;
  /** Markers of the update calls already applied, so a retried update does not act (and notify) twice. */
  appliedUpdateKeys: string[];
}

export interface NewEvent {
  calendarId: string;
  /** Caller-chosen, derived from the idempotency key: a second insert with it is a duplicate. */
  eventId: string;
  idempotencyKey: string;
  summary: string;
  description?: string;
  location?: string;
  start: Date;
  end: Date;
  timeZone: string;
  attendees: string[];
  notifyAttendees: boolean;
}

export interface EventPatch {
  summary?: string;
  description?: string | null;
  location?: string | null;
  /** Moved or resized: the new start, end and zone, always together. */
  times?: { start: Date; end: Date; timeZone: string };
  /** The whole guest list after the change. */
  attendees?: Attendee[];
  status?: EventStatus;
  appliedUpdateKeys?: string[];
}

export interface PatchOptions {
  notifyAttendees: boolean;
  ifMatch?: string;
}

export interface ListEventsQuery {
  calendarId: string;
  timeMin: Date;
  timeMax: Date;
  /** Free-text search over summary, description, location and attendees, like Google's `q`. */
  query?: string;
  maxResults: number;
  pageToken?: string;
  /** Cancelled events are left out unless asked for (Google's showDeleted). */
  includeCancelled?: boolean;
}

export interface BusyInterval {
  start: Date;
  end: Date;
}

export interface FreeBusyCalendar {
  /** The id as asked for (`primary`, a calendar id or a person's email). */
  calendarId: string;
  busy: BusyInterval[];
  /** Why this calendar could not be read (Google's per-calendar reason, e.g. notFound), or null. */
  error: string | null;
}

export interface CalendarBackend {
  readonly name: "sandbox" | "google";
  /** The calendar tools act on when the caller names none. */
  readonly defaultCalendarId: string;
  listCalendars(ctx: DomainContext): Promise<CalendarInfo[]>;
  /** Inserts the event; when an event with this id already exists (a retry), returns it with `created: false`. */
  createEvent(ctx: DomainContext, input: NewEvent): Promise<{ event: CalendarEvent; created: boolean }>;
  getEvent(ctx: DomainContext, calendarId: string, eventId: string): Promise<CalendarEvent>;
  /** With `ifMatch`, fails with `eventChanged` (conflict) when the event's etag is no longer that one. */
  patchEvent(ctx: DomainContext, calendarId: string, eventId: string, patch: EventPatch, options: PatchOptions): Promise<CalendarEvent>;
  listEvents(ctx: DomainContext, query: ListEventsQuery): Promise<{ events: CalendarEvent[]; nextPageToken: string | null }>;
  freeBusy(ctx: DomainContext, query: { calendarIds: string[]; timeMin: Date; timeMax: Date }): Promise<FreeBusyCalendar[]>;
}
