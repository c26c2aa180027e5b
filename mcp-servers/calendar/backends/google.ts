// The calendar API alone, not the `googleapis` index: the index loads every Google API (~0.5 s at each start).
import { auth, calendar, type calendar_v3 } from "googleapis/build/src/apis/calendar/index.js";
import { DateTime } from "luxon";
import { z } from "zod";
import type { DomainContext } from "../../../domain/context.js";
import { AppError, ValidationError } from "../../../lib/errors.js";
import {
  EVENT_STATUSES,
  RESPONSE_STATUSES,
  type Attendee,
  type CalendarBackend,
  type CalendarEvent,
  type CalendarInfo,
  type EventPatch,
  type FreeBusyCalendar,
} from "../backend.js";
import { calendarNotFound, eventChanged, eventNotFound } from "../errors.js";

/**
 * Google Calendar v3 through googleapis, with an OAuth2 client that trades the configured refresh
 * token for access tokens. `baseUrl` points both the API and the token endpoint at a fake in tests.
 *
 * One Google calendar may serve several workspaces, so each event the planner creates carries its
 * workspace in a private extended property: events of another workspace are invisible here, and
 * the event id itself is derived from the workspace and the idempotency key.
 */

export interface GoogleCalendarOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  calendarId: string;
  /** e.g. http://127.0.0.1:4010: API calls go to <baseUrl>/calendar/v3/…, token refreshes to <baseUrl>/token. */
  baseUrl?: string;
  /** googleapis retries GETs on 429 and 5xx with backoff; tests of those answers turn it off. */
  retry?: boolean;
}

/** Private extended properties: visible only to this OAuth client's account, never to guests. */
export const WORKSPACE_PROPERTY = "eventPlannerWorkspace";
export const UPDATE_KEYS_PROPERTY = "eventPlannerUpdateKeys";

const googleErrorBody = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    errors: z.array(z.object({ reason: z.string().optional(), message: z.string().optional() })).optional(),
  }),
});

const oauthErrorBody = z.object({ error: z.string(), error_description: z.string().optional() });

const failedRequest = z.object({
  code: z.union([z.string(), z.number()]).optional(),
  message: z.string().optional(),
  status: z.number().optional(),
  response: z.object({ status: z.number(), data: z.unknown() }).optional(),
});

interface ErrorContext {
  /** The not-found answer for this call: a calendar or an event. */
  notFound: () => AppError;
  /** The tool argument an empty time range is about. */
  rangeField?: string;
}

function statusOf(error: unknown): number | undefined {
  const parsed = failedRequest.safeParse(error);
  return parsed.success ? (parsed.data.response?.status ?? parsed.data.status) : undefined;
}

const RATE_LIMIT_REASONS = new Set(["rateLimitExceeded", "userRateLimitExceeded"]);
const QUOTA_REASONS = new Set(["quotaExceeded", "dailyLimitExceeded", "usageLimits"]);

/** Google's answer in our error codes, with a message a planner can act on. */
export function mapGoogleError(error: unknown, context: ErrorContext): AppError {
  if (error instanceof AppError) return error;
  const parsed = failedRequest.safeParse(error);
  if (!parsed.success || !parsed.data.response) {
    const detail = parsed.success ? (parsed.data.code ?? parsed.data.message ?? "no response") : "no response";
    return new AppError("upstream_failed", `Google Calendar could not be reached (${String(detail)}); try again shortly`, undefined, { cause: error });
  }
  const { status, data } = parsed.data.response;
  const oauth = oauthErrorBody.safeParse(data);
  if (oauth.success) {
    return new AppError(
      "upstream_failed",
      `Google refused the calendar credentials (${oauth.data.error}${oauth.data.error_description ? `: ${oauth.data.error_description}` : ""}); check GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN`,
      { status, reason: oauth.data.error },
      { cause: error },
    );
  }
  const body = googleErrorBody.safeParse(data);
  const reason = body.success ? body.data.error.errors?.[0]?.reason : undefined;
  const message = (body.success ? body.data.error.message : undefined) ?? `HTTP ${status}`;
  const details = { status, reason };
  if (status === 429 || (reason && RATE_LIMIT_REASONS.has(reason))) {
    return new AppError("rate_limited", `Google Calendar is rate limiting the planner (${message}); wait a minute, then retry with the same idempotency_key`, details, { cause: error });
  }
  if (reason && QUOTA_REASONS.has(reason)) {
    return new AppError("rate_limited", `Google Calendar usage limits are exhausted (${message}); calendar changes will work again in a few hours`, details, { cause: error });
  }
  switch (status) {
    case 400: {
      const field = reason === "timeRangeEmpty" ? (context.rangeField ?? "end") : undefined;
      return new ValidationError(`${field ?? "request"}: Google Calendar refused the request: ${message}`, { ...details, field });
    }
    case 401:
      return new AppError("upstream_failed", `Google Calendar rejected the planner's access token (${message}); check the Google credentials`, details, { cause: error });
    case 403:
      return new AppError("forbidden", `Google Calendar refused: ${message}. The planner's Google account lacks access to this calendar or event`, details, { cause: error });
    case 404:
    case 410:
      return context.notFound();
    case 409:
    case 412:
      return new AppError("conflict", `Google Calendar reports a conflict: ${message}`, details, { cause: error });
    default:
      return new AppError("upstream_failed", `Google Calendar failed (${status}: ${message}); try again shortly`, details, { cause: error });
  }
}

function asDate(value: string | null | undefined, fallback: Date): Date {
  return value ? new Date(value) : fallback;
}

function eventTime(time: calendar_v3.Schema$EventDateTime | undefined, fallbackZone: string): { at: Date; allDay: boolean; timeZone: string } {
  const timeZone = time?.timeZone ?? fallbackZone;
  if (time?.dateTime) return { at: new Date(time.dateTime), allDay: false, timeZone };
  if (time?.date) return { at: DateTime.fromISO(time.date, { zone: timeZone }).toJSDate(), allDay: true, timeZone };
  return { at: new Date(0), allDay: false, timeZone };
}

function toAttendee(attendee: calendar_v3.Schema$EventAttendee): Attendee | undefined {
  if (!attendee.email) return undefined;
  const status = z.enum(RESPONSE_STATUSES).safeParse(attendee.responseStatus);
  return { email: attendee.email.toLowerCase(), responseStatus: status.success ? status.data : "needsAction", optional: attendee.optional === true };
}

export function fromGoogleEvent(item: calendar_v3.Schema$Event, calendarId: string, fallbackZone = "UTC"): CalendarEvent {
  const start = eventTime(item.start ?? undefined, fallbackZone);
  const end = eventTime(item.end ?? undefined, start.timeZone);
  const status = z.enum(EVENT_STATUSES).safeParse(item.status);
  const properties = item.extendedProperties?.private ?? {};
  const updated = asDate(item.updated, new Date(0));
  return {
    id: item.id ?? "",
    calendarId,
    status: status.success ? status.data : "confirmed",
    summary: item.summary ?? "(no title)",
    description: item.description || null,
    location: item.location || null,
    start: start.at,
    end: end.at,
    allDay: start.allDay,
    timeZone: start.timeZone,
    attendees: (item.attendees ?? []).map(toAttendee).filter((a): a is Attendee => a !== undefined),
    organizerEmail: item.organizer?.email ?? null,
    htmlLink: item.htmlLink ?? null,
    iCalUID: item.iCalUID ?? `${item.id ?? "unknown"}@google.com`,
    sequence: item.sequence ?? 0,
    etag: item.etag ?? "",
    created: asDate(item.created, updated),
    updated,
    plannerWorkspaceId: properties[WORKSPACE_PROPERTY] ?? null,
    appliedUpdateKeys: (properties[UPDATE_KEYS_PROPERTY] ?? "").split(",").filter(Boolean),
  };
}

function dateTime(at: Date, timeZone: string): calendar_v3.Schema$EventDateTime {
  return { dateTime: DateTime.fromJSDate(at, { zone: timeZone }).toISO({ suppressMilliseconds: true }), timeZone };
}

/** An event another workspace's planner created is none of this workspace's business. */
function visibleTo(ctx: DomainContext, event: CalendarEvent): boolean {
  return event.plannerWorkspaceId === null || event.plannerWorkspaceId === ctx.workspaceId;
}

export function createGoogleCalendarBackend(options: GoogleCalendarOptions): CalendarBackend {
  const base = options.baseUrl ? options.baseUrl.replace(/\/+$/, "") : undefined;
  const oauth = new auth.OAuth2({ clientId: options.clientId, clientSecret: options.clientSecret, ...(base ? { endpoints: { oauth2TokenUrl: `${base}/token` } } : {}) });
  oauth.setCredentials({ refresh_token: options.refreshToken });
  const api = calendar({ version: "v3", auth: oauth, ...(base ? { rootUrl: `${base}/` } : {}), ...(options.retry === false ? { retry: false } : {}) });

  async function getVisible(ctx: DomainContext, calendarId: string, eventId: string): Promise<CalendarEvent> {
    const notFound = () => eventNotFound(calendarId, eventId);
    try {
      const { data } = await api.events.get({ calendarId, eventId });
      const event = fromGoogleEvent(data, calendarId);
      if (!visibleTo(ctx, event)) throw notFound();
      return event;
    } catch (error) {
      throw mapGoogleError(error, { notFound });
    }
  }

  return {
    name: "google",
    defaultCalendarId: options.calendarId,

    async listCalendars() {
      try {
        const { data } = await api.calendarList.list({ maxResults: 250 });
        return (data.items ?? []).map(
          (item): CalendarInfo => ({
            id: item.id ?? "",
            summary: item.summaryOverride ?? item.summary ?? item.id ?? "",
            timeZone: item.timeZone ?? "UTC",
            primary: item.primary === true,
            accessRole: z.enum(["owner", "writer", "reader", "freeBusyReader"]).catch("reader").parse(item.accessRole),
          }),
        );
      } catch (error) {
        throw mapGoogleError(error, { notFound: () => new AppError("upstream_failed", "Google Calendar did not find the planner's calendar list") });
      }
    },

    async createEvent(ctx, input) {
      const requestBody: calendar_v3.Schema$Event = {
        id: input.eventId,
        summary: input.summary,
        description: input.description,
        location: input.location,
        start: dateTime(input.start, input.timeZone),
        end: dateTime(input.end, input.timeZone),
        attendees: input.attendees.map((email) => ({ email })),
        extendedProperties: { private: { [WORKSPACE_PROPERTY]: ctx.workspaceId } },
      };
      try {
        const { data } = await api.events.insert({ calendarId: input.calendarId, sendUpdates: input.notifyAttendees ? "all" : "none", requestBody });
        return { event: fromGoogleEvent(data, input.calendarId), created: true };
      } catch (error) {
        // The id is ours and derived from the key: a duplicate is this very call, made before.
        if (statusOf(error) !== 409) throw mapGoogleError(error, { notFound: () => calendarNotFound(input.calendarId), rangeField: "end" });
      }
      const existing = await getVisible(ctx, input.calendarId, input.eventId).catch((error: unknown) => {
        throw error instanceof AppError && error.code === "not_found" ? new AppError("conflict", `event id ${input.eventId} is already taken on calendar ${input.calendarId}`, { field: "id" }) : error;
      });
      return { event: existing, created: false };
    },

    getEvent: getVisible,

    async patchEvent(ctx, calendarId, eventId, patch: EventPatch, { notifyAttendees, ifMatch }) {
      const requestBody: calendar_v3.Schema$Event = {};
      if (patch.summary !== undefined) requestBody.summary = patch.summary;
      // Google clears a text field set to the empty string.
      if (patch.description !== undefined) requestBody.description = patch.description ?? "";
      if (patch.location !== undefined) requestBody.location = patch.location ?? "";
      if (patch.times) {
        requestBody.start = dateTime(patch.times.start, patch.times.timeZone);
        requestBody.end = dateTime(patch.times.end, patch.times.timeZone);
      }
      if (patch.attendees) requestBody.attendees = patch.attendees.map((a) => ({ email: a.email, responseStatus: a.responseStatus, optional: a.optional }));
      if (patch.status) requestBody.status = patch.status;
      if (patch.appliedUpdateKeys) {
        requestBody.extendedProperties = { private: { [WORKSPACE_PROPERTY]: ctx.workspaceId, [UPDATE_KEYS_PROPERTY]: patch.appliedUpdateKeys.join(",") } };
      }
      try {
        const { data } = await api.events.patch({ calendarId, eventId, sendUpdates: notifyAttendees ? "all" : "none", requestBody }, ifMatch ? { headers: { "If-Match": ifMatch } } : {});
        return fromGoogleEvent(data, calendarId);
      } catch (error) {
        if (ifMatch && statusOf(error) === 412) throw eventChanged(eventId);
        throw mapGoogleError(error, { notFound: () => eventNotFound(calendarId, eventId), rangeField: "end" });
      }
    },

    async listEvents(ctx, query) {
      try {
        const { data } = await api.events.list({
          calendarId: query.calendarId,
          timeMin: query.timeMin.toISOString(),
          timeMax: query.timeMax.toISOString(),
          singleEvents: true,
          orderBy: "startTime",
          maxResults: query.maxResults,
          pageToken: query.pageToken,
          q: query.query,
          showDeleted: query.includeCancelled === true,
        });
        const zone = data.timeZone ?? "UTC";
        const events = (data.items ?? []).map((item) => fromGoogleEvent(item, query.calendarId, zone)).filter((event) => visibleTo(ctx, event));
        return { events, nextPageToken: data.nextPageToken ?? null };
      } catch (error) {
        throw mapGoogleError(error, { notFound: () => calendarNotFound(query.calendarId), rangeField: "timeMax" });
      }
    },

    async freeBusy(_ctx, query) {
      try {
        const { data } = await api.freebusy.query({
          requestBody: { timeMin: query.timeMin.toISOString(), timeMax: query.timeMax.toISOString(), items: query.calendarIds.map((id) => ({ id })) },
        });
        return query.calendarIds.map((calendarId): FreeBusyCalendar => {
          const answer = data.calendars?.[calendarId];
          if (!answer) return { calendarId, busy: [], error: "notFound" };
          const reason = answer.errors?.[0]?.reason;
          if (reason) return { calendarId, busy: [], error: reason };
          return { calendarId, busy: (answer.busy ?? []).filter((b) => b.start && b.end).map((b) => ({ start: new Date(b.start ?? 0), end: new Date(b.end ?? 0) })), error: null };
        });
      } catch (error) {
        throw mapGoogleError(error, { notFound: () => calendarNotFound(query.calendarIds.join(", ")), rangeField: "timeMax" });
      }
    },
  };
}
