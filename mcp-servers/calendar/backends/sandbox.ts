import { randomUUID } from "node:crypto";
import { and, asc, eq, ne, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { DomainContext } from "../../../domain/context.js";
import { createSandboxObject, findSandboxObject, listSandboxObjects, updateSandboxObject } from "../../../domain/sandbox.js";
import { getWorkspace } from "../../../domain/workspaces.js";
import { sandboxObjects, type SandboxObject } from "../../../drizzle/schema/index.js";
import { AppError, ValidationError } from "../../../lib/errors.js";
import { isTimeZone } from "../../../lib/formats.js";
import {
  EVENT_STATUSES,
  RESPONSE_STATUSES,
  type BusyInterval,
  type CalendarBackend,
  type CalendarEvent,
  type CalendarInfo,
  type EventPatch,
  type FreeBusyCalendar,
  type ListEventsQuery,
  type NewEvent,
} from "../backend.js";
import { calendarNotFound, eventChanged, eventNotFound } from "../errors.js";
import { buildIcs } from "../ics.js";
import { GOOGLE_EVENT_ID_PATTERN } from "../ids.js";
import { mergeBusy } from "../slots.js";

/**
 * Google Calendar acted out in our database, for a workspace with no Google credentials. A primary
 * calendar per workspace is seeded on first use; events are sandbox objects of kind "event" (with
 * the generated .ics in their data), so `event-planner sandbox outbox --kind calendar` shows them.
 * Other people's calendars exist only as busy blocks that fixtures and evals add, so free/busy and
 * slot finding have something to find. Ids, statuses and the errors for bad input follow Google's.
 */

const SERVICE = "calendar";
const PRIMARY_KEY = "primary-calendar";

const calendarData = z.object({
  summary: z.string(),
  timeZone: z.string(),
  primary: z.boolean(),
  accessRole: z.enum(["owner", "writer", "reader", "freeBusyReader"]),
  /** Shown by list_calendars (Google's calendar list) or only reachable through free/busy. */
  listed: z.boolean(),
});

const notification = z.object({ kind: z.enum(["invitation", "update", "cancellation"]), to: z.array(z.string()), at: z.string() });

const eventData = z.object({
  summary: z.string(),
  start: z.string(),
  end: z.string(),
  timeZone: z.string(),
  allDay: z.boolean(),
  description: z.string().nullable(),
  location: z.string().nullable(),
  attendees: z.array(z.object({ email: z.string(), responseStatus: z.enum(RESPONSE_STATUSES), optional: z.boolean() })),
  organizerEmail: z.string(),
  iCalUID: z.string(),
  sequence: z.number().int(),
  created: z.string(),
  updated: z.string(),
  plannerWorkspaceId: z.string().nullable(),
  appliedUpdateKeys: z.array(z.string()),
  /** What Google would have emailed: invitations, updates and cancellations, to whom and when. */
  notifications: z.array(notification),
  ics: z.string(),
});
type EventData = z.infer<typeof eventData>;

const busyData = z.object({ start: z.string(), end: z.string(), summary: z.string().nullable() });

const MAX_NOTIFICATIONS = 20;
const MAX_FREEBUSY_ROWS = 2500;

export interface BusyBlockInput {
  /** A calendar id or a person's email; `primary` is the workspace's own calendar. */
  calendarId: string;
  blocks: { start: Date; end: Date; summary?: string }[];
}

export interface SandboxCalendarBackend extends CalendarBackend {
  readonly name: "sandbox";
  /** Fixtures and evals: mark time busy on a calendar (created, unlisted, if it is someone else's). */
  addBusyBlocks(ctx: DomainContext, input: BusyBlockInput): Promise<void>;
}

/** A person's calendar is named by their address, which is case-insensitive. */
function normalizeCalendarId(id: string): string {
  return id.includes("@") ? id.toLowerCase() : id;
}

/** Every sandbox patch bumps the sequence, so it versions the event as an etag does. */
function etagOf(sequence: number): string {
  return `"${sequence}"`;
}

function toEvent(object: SandboxObject): CalendarEvent {
  const data = eventData.parse(object.data);
  return {
    id: object.externalId,
    calendarId: object.parentExternalId ?? "",
    status: z.enum(EVENT_STATUSES).parse(object.status),
    summary: data.summary,
    description: data.description,
    location: data.location,
    start: new Date(data.start),
    end: new Date(data.end),
    allDay: data.allDay,
    timeZone: data.timeZone,
    attendees: data.attendees,
    organizerEmail: data.organizerEmail,
    htmlLink: null,
    iCalUID: data.iCalUID,
    sequence: data.sequence,
    etag: etagOf(data.sequence),
    created: new Date(data.created),
    updated: new Date(data.updated),
    plannerWorkspaceId: data.plannerWorkspaceId,
    appliedUpdateKeys: data.appliedUpdateKeys,
  };
}

function withIcs(data: Omit<EventData, "ics">, object: { id: string; calendarId: string; status: CalendarEvent["status"] }): EventData {
  const event: CalendarEvent = {
    ...object,
    ...data,
    start: new Date(data.start),
    end: new Date(data.end),
    created: new Date(data.created),
    updated: new Date(data.updated),
    htmlLink: null,
    etag: etagOf(data.sequence),
  };
  return { ...data, ics: buildIcs(event) };
}

/** Google's answers to an insert it cannot accept, as our validation errors naming the field. */
function checkTimes(start: Date, end: Date, timeZone: string): void {
  if (!isTimeZone(timeZone)) throw new ValidationError(`timeZone: invalid time zone definition "${timeZone}"`, { field: "timeZone", reason: "invalid" });
  if (end.getTime() <= start.getTime()) throw new ValidationError("end: the time range is empty; the end must be after the start", { field: "end", reason: "timeRangeEmpty" });
}

function notify(data: Pick<EventData, "notifications">, kind: z.infer<typeof notification>["kind"], to: string[], at: Date): EventData["notifications"] {
  if (to.length === 0) return data.notifications;
  return [...data.notifications, { kind, to, at: at.toISOString() }].slice(-MAX_NOTIFICATIONS);
}

/** Rows of `kind` on a calendar overlapping [timeMin, timeMax), earliest first: a range query domain/sandbox.ts has no call for. */
function overlapping(ctx: DomainContext, kind: "event" | "busy", calendarId: string, range: { timeMin: Date; timeMax: Date }, extra: (SQL | undefined)[] = []) {
  const data = sandboxObjects.data;
  return ctx.db
    .select()
    .from(sandboxObjects)
    .where(
      and(
        eq(sandboxObjects.workspaceId, ctx.workspaceId),
        eq(sandboxObjects.service, SERVICE),
        eq(sandboxObjects.kind, kind),
        eq(sandboxObjects.parentExternalId, calendarId),
        sql`(${data}->>'end')::timestamptz > ${range.timeMin.toISOString()}::timestamptz`,
        sql`(${data}->>'start')::timestamptz < ${range.timeMax.toISOString()}::timestamptz`,
        ...extra,
      ),
    )
    .orderBy(asc(sql`(${data}->>'start')::timestamptz`), asc(sandboxObjects.id));
}

function parsePageToken(token: string | undefined): number {
  if (token === undefined) return 0;
  if (!/^[0-9]{1,9}$/.test(token)) throw new ValidationError("pageToken: invalid page token; pass the nextPageToken of the previous page", { field: "pageToken" });
  return Number(token);
}

export function createSandboxCalendarBackend(options: { now?: () => Date } = {}): SandboxCalendarBackend {
  const now = options.now ?? (() => new Date());
  // Calendars are never deleted, so a workspace's primary calendar id can be remembered.
  const primaryIds = new Map<string, string>();

  async function ensurePrimary(ctx: DomainContext): Promise<string> {
    const known = primaryIds.get(ctx.workspaceId);
    if (known) return known;
    const workspace = await getWorkspace(ctx.db, ctx.workspaceId);
    // Google names a primary calendar after its owner's address.
    const id = normalizeCalendarId(`planner@${workspace.emailDomain ?? `${workspace.name}.sandbox.test`}`);
    const data: z.infer<typeof calendarData> = { summary: `${workspace.displayName ?? workspace.name} planner`, timeZone: "UTC", primary: true, accessRole: "owner", listed: true };
    const { object } = await createSandboxObject(ctx, { service: SERVICE, kind: "calendar", externalId: id, idempotencyKey: PRIMARY_KEY, status: "active", data });
    primaryIds.set(ctx.workspaceId, object.externalId);
    return object.externalId;
  }

  async function findCalendar(ctx: DomainContext, calendarId: string): Promise<{ id: string; data: z.infer<typeof calendarData> } | undefined> {
    const primary = await ensurePrimary(ctx);
    const id = calendarId === "primary" ? primary : normalizeCalendarId(calendarId);
    const object = await findSandboxObject(ctx, SERVICE, "calendar", id);
    return object ? { id, data: calendarData.parse(object.data) } : undefined;
  }

  async function writableCalendar(ctx: DomainContext, calendarId: string): Promise<string> {
    const calendar = await findCalendar(ctx, calendarId);
    // Google answers 404 for a calendar the account cannot write to, not 403.
    if (!calendar || (calendar.data.accessRole !== "owner" && calendar.data.accessRole !== "writer")) throw calendarNotFound(calendarId);
    return calendar.id;
  }

  async function findEvent(ctx: DomainContext, calendarId: string, eventId: string): Promise<SandboxObject> {
    const calendar = await findCalendar(ctx, calendarId);
    const object = calendar ? await findSandboxObject(ctx, SERVICE, "event", eventId) : undefined;
    if (!calendar || !object || object.parentExternalId !== calendar.id) throw eventNotFound(calendarId, eventId);
    return object;
  }

  async function busyOn(ctx: DomainContext, calendarId: string, range: { timeMin: Date; timeMax: Date }): Promise<BusyInterval[]> {
    const events = await overlapping(ctx, "event", calendarId, range, [ne(sandboxObjects.status, "cancelled")]).limit(MAX_FREEBUSY_ROWS);
    const blocks = await overlapping(ctx, "busy", calendarId, range).limit(MAX_FREEBUSY_ROWS);
    const intervals = [...events.map((e) => eventData.parse(e.data)), ...blocks.map((b) => busyData.parse(b.data))].map((d) => ({
      start: new Date(Math.max(new Date(d.start).getTime(), range.timeMin.getTime())),
      end: new Date(Math.min(new Date(d.end).getTime(), range.timeMax.getTime())),
    }));
    return mergeBusy(intervals);
  }

  return {
    name: "sandbox",
    defaultCalendarId: "primary",

    async listCalendars(ctx) {
      const primary = await findCalendar(ctx, "primary");
      const objects = await listSandboxObjects(ctx, { service: SERVICE, kinds: ["calendar"], limit: 200 });
      const calendars = new Map<string, CalendarInfo>();
      // The primary calendar is the oldest row: added first so a long list of others cannot push it out.
      if (primary) calendars.set(primary.id, { id: primary.id, summary: primary.data.summary, timeZone: primary.data.timeZone, primary: true, accessRole: primary.data.accessRole });
      for (const object of objects) {
        const data = calendarData.parse(object.data);
        if (data.listed && !calendars.has(object.externalId)) calendars.set(object.externalId, { id: object.externalId, summary: data.summary, timeZone: data.timeZone, primary: data.primary, accessRole: data.accessRole });
      }
      return [...calendars.values()];
    },

    async createEvent(ctx, input: NewEvent) {
      if (!GOOGLE_EVENT_ID_PATTERN.test(input.eventId)) throw new ValidationError("id: invalid resource id value (5-1024 characters a-v and 0-9)", { field: "id", reason: "invalid" });
      checkTimes(input.start, input.end, input.timeZone);
      const calendarId = await writableCalendar(ctx, input.calendarId);
      // The id is taken: in Google a 409 duplicate, which for a caller-chosen id means "already created".
      const existing = await findSandboxObject(ctx, SERVICE, "event", input.eventId);
      if (existing) {
        if (existing.parentExternalId !== calendarId) throw new AppError("conflict", `event id ${input.eventId} is already used on another calendar`, { field: "id", reason: "duplicate" });
        return { event: toEvent(existing), created: false };
      }
      const at = now();
      const attendees = [...new Set(input.attendees.map((email) => email.toLowerCase()))];
      const data = withIcs(
        {
          summary: input.summary,
          start: input.start.toISOString(),
          end: input.end.toISOString(),
          timeZone: input.timeZone,
          allDay: false,
          description: input.description ?? null,
          location: input.location ?? null,
          attendees: attendees.map((email) => ({ email, responseStatus: "needsAction" as const, optional: false })),
          organizerEmail: calendarId,
          iCalUID: `${input.eventId}@calendar.sandbox.test`,
          sequence: 0,
          created: at.toISOString(),
          updated: at.toISOString(),
          plannerWorkspaceId: ctx.workspaceId,
          appliedUpdateKeys: [],
          notifications: input.notifyAttendees ? notify({ notifications: [] }, "invitation", attendees, at) : [],
        },
        { id: input.eventId, calendarId, status: "confirmed" },
      );
      const { object, replay } = await createSandboxObject(ctx, {
        service: SERVICE,
        kind: "event",
        externalId: input.eventId,
        parentExternalId: calendarId,
        idempotencyKey: input.idempotencyKey,
        status: "confirmed",
        data,
      });
      return { event: toEvent(object), created: !replay };
    },

    async getEvent(ctx, calendarId, eventId) {
      return toEvent(await findEvent(ctx, calendarId, eventId));
    },

    async patchEvent(ctx, calendarId, eventId, patch: EventPatch, options) {
      const calendar = await findCalendar(ctx, calendarId);
      if (!calendar) throw eventNotFound(calendarId, eventId);
      // Read, check and write under a row lock, as Google applies an If-Match patch atomically.
      return ctx.db.transaction(async (tx) => {
        const txCtx: DomainContext = { ...ctx, db: tx };
        const [object] = await tx
          .select()
          .from(sandboxObjects)
          .where(and(eq(sandboxObjects.workspaceId, ctx.workspaceId), eq(sandboxObjects.service, SERVICE), eq(sandboxObjects.kind, "event"), eq(sandboxObjects.externalId, eventId)))
          .for("update")
          .limit(1);
        if (!object || object.parentExternalId !== calendar.id) throw eventNotFound(calendarId, eventId);
        const current = eventData.parse(object.data);
        if (options.ifMatch !== undefined && options.ifMatch !== etagOf(current.sequence)) throw eventChanged(eventId);
        const { start, end, timeZone } = patch.times ?? { start: new Date(current.start), end: new Date(current.end), timeZone: current.timeZone };
        checkTimes(start, end, timeZone);
        const status = patch.status ?? toEvent(object).status;
        const attendees = patch.attendees ?? current.attendees;
        const at = now();
        // Everyone who was or is on the guest list hears about the change, as with Google's sendUpdates=all.
        const recipients = [...new Set([...current.attendees, ...attendees].map((a) => a.email))];
        const next: Omit<EventData, "ics"> = {
          ...current,
          summary: patch.summary ?? current.summary,
          description: patch.description === undefined ? current.description : patch.description,
          location: patch.location === undefined ? current.location : patch.location,
          start: start.toISOString(),
          end: end.toISOString(),
          timeZone,
          attendees,
          appliedUpdateKeys: patch.appliedUpdateKeys ?? current.appliedUpdateKeys,
          sequence: current.sequence + 1,
          updated: at.toISOString(),
          notifications: options.notifyAttendees ? notify(current, status === "cancelled" ? "cancellation" : "update", recipients, at) : current.notifications,
        };
        const updated = await updateSandboxObject(txCtx, object.id, { status, data: withIcs(next, { id: eventId, calendarId: calendar.id, status }) });
        return toEvent(updated);
      });
    },

    async listEvents(ctx, query: ListEventsQuery) {
      if (query.timeMax <= query.timeMin) throw new ValidationError("timeMax: the time range is empty; timeMax must be after timeMin", { field: "timeMax", reason: "timeRangeEmpty" });
      const calendar = await findCalendar(ctx, query.calendarId);
      if (!calendar || calendar.data.accessRole === "freeBusyReader") throw calendarNotFound(query.calendarId);
      const offset = parsePageToken(query.pageToken);
      const data = sandboxObjects.data;
      const search = query.query?.trim().toLowerCase();
      const rows = await overlapping(ctx, "event", calendar.id, query, [
        query.includeCancelled ? undefined : ne(sandboxObjects.status, "cancelled"),
        search
          ? sql`strpos(lower(concat_ws(' ', ${data}->>'summary', ${data}->>'description', ${data}->>'location', ${data}->'attendees'::text)), ${search}) > 0`
          : undefined,
      ])
        .limit(query.maxResults + 1)
        .offset(offset);
      const page = rows.slice(0, query.maxResults);
      return { events: page.map(toEvent), nextPageToken: rows.length > query.maxResults ? String(offset + query.maxResults) : null };
    },

    async freeBusy(ctx, query) {
      if (query.timeMax <= query.timeMin) throw new ValidationError("timeMax: the time range is empty; timeMax must be after timeMin", { field: "timeMax", reason: "timeRangeEmpty" });
      const answers: FreeBusyCalendar[] = [];
      for (const calendarId of query.calendarIds) {
        const calendar = await findCalendar(ctx, calendarId);
        if (!calendar) {
          answers.push({ calendarId, busy: [], error: "notFound" });
          continue;
        }
        answers.push({ calendarId, busy: await busyOn(ctx, calendar.id, query), error: null });
      }
      return answers;
    },

    async addBusyBlocks(ctx, input) {
      const existing = await findCalendar(ctx, input.calendarId);
      const calendarId = existing?.id ?? normalizeCalendarId(input.calendarId);
      if (!existing) {
        const data: z.infer<typeof calendarData> = { summary: calendarId, timeZone: "UTC", primary: false, accessRole: "freeBusyReader", listed: false };
        await createSandboxObject(ctx, { service: SERVICE, kind: "calendar", externalId: calendarId, idempotencyKey: `calendar:${calendarId}`, status: "active", data });
      }
      for (const block of input.blocks) {
        if (block.end <= block.start) throw new ValidationError("end: a busy block must end after it starts", { field: "end" });
        const data: z.infer<typeof busyData> = { start: block.start.toISOString(), end: block.end.toISOString(), summary: block.summary ?? null };
        await createSandboxObject(ctx, { service: SERVICE, kind: "busy", externalId: `busy_${randomUUID()}`, parentExternalId: calendarId, status: "busy", data });
      }
    },
  };
}
