import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { calendar_v3 } from "googleapis/build/src/apis/calendar/index.js";

/**
 * A small Google Calendar v3 on 127.0.0.1 for tests: the OAuth2 token endpoint and the calls the
 * Google backend makes (calendarList.list, events.insert/get/patch/list, freebusy.query), in
 * Google's wire format and with Google's JSON errors. Records every request; errors can be
 * scripted (rate limits, quota, server errors) and the refresh token revoked.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface ScriptedError {
  status: number;
  /** Google's `errors[0].reason`, e.g. rateLimitExceeded, quotaExceeded, backendError. */
  reason: string;
  message: string;
}

export interface FakeCalendar {
  id: string;
  summary?: string;
  timeZone?: string;
  accessRole?: "owner" | "writer" | "reader" | "freeBusyReader";
  primary?: boolean;
  /** Reachable through free/busy only, like a colleague's calendar. */
  listed?: boolean;
}

export interface FakeGoogleCalendar {
  url: string;
  requests: RecordedRequest[];
  /** Requests to the Calendar API only (not the token endpoint). */
  apiRequests(): RecordedRequest[];
  /** The next `times` requests matching `method` and `path` get this error instead of an answer. */
  failNext(match: { method?: string; path?: RegExp }, error: ScriptedError, times?: number): void;
  addCalendar(calendar: FakeCalendar): void;
  addBusy(calendarId: string, start: string, end: string): void;
  /** An event as stored, e.g. one a person made in Google Calendar (no planner properties). */
  putEvent(calendarId: string, event: calendar_v3.Schema$Event): void;
  event(calendarId: string, eventId: string): calendar_v3.Schema$Event | undefined;
  eventCount(calendarId: string): number;
  /** The refresh token stops working: the token endpoint answers invalid_grant. */
  revokeRefreshToken(): void;
  close(): Promise<void>;
}

export interface FakeOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** The account's address, which is its primary calendar's id. */
  primaryId: string;
}

class GoogleError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Google's patch semantics: objects merge field by field, anything else (arrays included) replaces. */
function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? mergePatch(current, value) : value;
  }
  return out;
}

function timeOf(value: calendar_v3.Schema$EventDateTime | undefined): number {
  if (value?.dateTime) return Date.parse(value.dateTime);
  if (value?.date) return Date.parse(`${value.date}T00:00:00Z`);
  return Number.NaN;
}

function isZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function checkEvent(event: calendar_v3.Schema$Event): void {
  if (!event.start) throw new GoogleError(400, "required", "Missing start time.");
  if (!event.end) throw new GoogleError(400, "required", "Missing end time.");
  for (const [which, time] of [["start", event.start], ["end", event.end]] as const) {
    if (time.timeZone && !isZone(time.timeZone)) throw new GoogleError(400, "invalid", `Invalid time zone definition for ${which} time.`);
  }
  const start = timeOf(event.start);
  const end = timeOf(event.end);
  if (Number.isNaN(start) || Number.isNaN(end)) throw new GoogleError(400, "invalid", "Invalid start or end time.");
  if (end <= start) throw new GoogleError(400, "timeRangeEmpty", "The specified time range is empty.");
  for (const attendee of event.attendees ?? []) {
    if (!attendee.email || !/^[^@\s]+@[^@\s]+$/.test(attendee.email)) throw new GoogleError(400, "invalid", "Invalid attendee email.");
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

export async function startFakeGoogleCalendar(options: FakeOptions): Promise<FakeGoogleCalendar> {
  const requests: RecordedRequest[] = [];
  const scripted: { method?: string; path?: RegExp; error: ScriptedError; remaining: number }[] = [];
  const calendars = new Map<string, Required<FakeCalendar>>();
  const events = new Map<string, Map<string, calendar_v3.Schema$Event>>();
  const busy = new Map<string, { start: string; end: string }[]>();
  const tokens = new Set<string>();
  let refreshTokenValid = true;
  let counter = 0;

  const addCalendar = (calendar: FakeCalendar) => {
    calendars.set(calendar.id, { summary: calendar.id, timeZone: "UTC", accessRole: "owner", primary: false, listed: true, ...calendar });
    if (!events.has(calendar.id)) events.set(calendar.id, new Map());
  };
  addCalendar({ id: options.primaryId, summary: options.primaryId, timeZone: "Europe/Lisbon", primary: true });

  const resolveId = (raw: string) => (raw === "primary" ? options.primaryId : raw);
  const eventsOf = (calendarId: string, write: boolean) => {
    const calendar = calendars.get(calendarId);
    const store = events.get(calendarId);
    if (!calendar || !store || calendar.accessRole === "freeBusyReader" || (write && calendar.accessRole === "reader")) throw new GoogleError(404, "notFound", "Not Found");
    return store;
  };

  function tokenEndpoint(body: string): [number, JsonObject] {
    const form = new URLSearchParams(body);
    if (form.get("grant_type") !== "refresh_token") return [400, { error: "unsupported_grant_type", error_description: "Invalid grant_type" }];
    if (form.get("client_id") !== options.clientId || form.get("client_secret") !== options.clientSecret) return [401, { error: "invalid_client", error_description: "The OAuth client was not found." }];
    if (!refreshTokenValid || form.get("refresh_token") !== options.refreshToken) return [400, { error: "invalid_grant", error_description: "Token has been expired or revoked." }];
    const token = `ya29.fake-${++counter}`;
    tokens.add(token);
    return [200, { access_token: token, expires_in: 3599, token_type: "Bearer", scope: "https://www.googleapis.com/auth/calendar" }];
  }

  function insert(calendarId: string, body: calendar_v3.Schema$Event): calendar_v3.Schema$Event {
    const store = eventsOf(calendarId, true);
    const id = body.id ?? `g${(++counter).toString(32)}fake`;
    if (!/^[a-v0-9]{5,1024}$/.test(id)) throw new GoogleError(400, "invalid", "Invalid resource id value.");
    if (store.has(id)) throw new GoogleError(409, "duplicate", "The requested identifier already exists.");
    checkEvent(body);
    const now = new Date().toISOString();
    const event: calendar_v3.Schema$Event = {
      ...body,
      kind: "calendar#event",
      etag: `"${++counter}"`,
      id,
      status: body.status ?? "confirmed",
      htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${calendarId}`).toString("base64url")}`,
      created: now,
      updated: now,
      creator: { email: options.primaryId, self: true },
      organizer: { email: calendarId, self: true },
      iCalUID: `${id}@google.com`,
      sequence: 0,
      attendees: body.attendees?.map((a) => ({ responseStatus: "needsAction", ...a })),
      reminders: { useDefault: true },
      eventType: "default",
    };
    store.set(id, event);
    return event;
  }

  function patch(calendarId: string, eventId: string, body: calendar_v3.Schema$Event, ifMatch: string | undefined): calendar_v3.Schema$Event {
    const store = eventsOf(calendarId, true);
    const current = store.get(eventId);
    if (!current) throw new GoogleError(404, "notFound", "Not Found");
    if (ifMatch !== undefined && ifMatch !== current.etag) throw new GoogleError(412, "conditionNotMet", "Precondition Failed");
    const merged = mergePatch(current as JsonObject, body as JsonObject) as calendar_v3.Schema$Event;
    checkEvent(merged);
    const significant = ["start", "end", "summary", "location", "status", "attendees"].some((field) => field in body);
    const next = { ...merged, sequence: (current.sequence ?? 0) + (significant ? 1 : 0), updated: new Date().toISOString(), etag: `"${++counter}"` };
    store.set(eventId, next);
    return next;
  }

  function list(calendarId: string, query: Record<string, string>): JsonObject {
    const store = eventsOf(calendarId, false);
    const timeMin = query.timeMin ? Date.parse(query.timeMin) : -Infinity;
    const timeMax = query.timeMax ? Date.parse(query.timeMax) : Infinity;
    if (timeMax <= timeMin) throw new GoogleError(400, "timeRangeEmpty", "The specified time range is empty.");
    const text = query.q?.toLowerCase();
    const [propertyName, propertyValue] = (query.privateExtendedProperty ?? "").split("=");
    const matching = [...store.values()]
      .filter((e) => timeOf(e.end ?? undefined) > timeMin && timeOf(e.start ?? undefined) < timeMax)
      .filter((e) => query.showDeleted === "true" || e.status !== "cancelled")
      .filter((e) => !text || [e.summary, e.description, e.location, ...(e.attendees ?? []).map((a) => a.email)].some((field) => field?.toLowerCase().includes(text)))
      .filter((e) => !propertyName || e.extendedProperties?.private?.[propertyName] === propertyValue)
      .sort((a, b) => timeOf(a.start ?? undefined) - timeOf(b.start ?? undefined));
    const offset = Number(query.pageToken ?? 0);
    const size = Math.min(Number(query.maxResults ?? 250), 2500);
    const items = matching.slice(offset, offset + size);
    const calendar = calendars.get(calendarId);
    return {
      kind: "calendar#events",
      summary: calendar?.summary,
      timeZone: calendar?.timeZone,
      updated: new Date().toISOString(),
      items,
      ...(offset + size < matching.length ? { nextPageToken: String(offset + size) } : {}),
    };
  }

  function freeBusy(body: calendar_v3.Schema$FreeBusyRequest): JsonObject {
    const timeMin = Date.parse(body.timeMin ?? "");
    const timeMax = Date.parse(body.timeMax ?? "");
    if (Number.isNaN(timeMin) || Number.isNaN(timeMax)) throw new GoogleError(400, "badRequest", "Bad Request");
    if (timeMax <= timeMin) throw new GoogleError(400, "timeRangeEmpty", "The specified time range is empty.");
    const answers: Record<string, calendar_v3.Schema$FreeBusyCalendar> = {};
    for (const item of body.items ?? []) {
      const raw = item.id ?? "";
      const id = resolveId(raw);
      if (!calendars.has(id)) {
        answers[raw] = { errors: [{ domain: "global", reason: "notFound" }], busy: [] };
        continue;
      }
      const intervals = [
        ...[...(events.get(id)?.values() ?? [])].filter((e) => e.status !== "cancelled" && e.transparency !== "transparent").map((e) => ({ start: timeOf(e.start ?? undefined), end: timeOf(e.end ?? undefined) })),
        ...(busy.get(id) ?? []).map((b) => ({ start: Date.parse(b.start), end: Date.parse(b.end) })),
      ]
        .filter((i) => i.end > timeMin && i.start < timeMax)
        .map((i) => ({ start: Math.max(i.start, timeMin), end: Math.min(i.end, timeMax) }))
        .sort((a, b) => a.start - b.start);
      const merged: { start: number; end: number }[] = [];
      for (const interval of intervals) {
        const last = merged.at(-1);
        if (last && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
        else merged.push({ ...interval });
      }
      answers[raw] = { busy: merged.map((i) => ({ start: new Date(i.start).toISOString(), end: new Date(i.end).toISOString() })) };
    }
    return { kind: "calendar#freeBusy", timeMin: body.timeMin, timeMax: body.timeMax, calendars: answers };
  }

  function route(method: string, path: string, query: Record<string, string>, headers: IncomingHttpHeaders, body: unknown): unknown {
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    // parts: calendar, v3, …
    const rest = parts.slice(2);
    if (method === "GET" && rest.join("/") === "users/me/calendarList") {
      const items = [...calendars.values()].filter((c) => c.listed).map((c) => ({ kind: "calendar#calendarListEntry", id: c.id, summary: c.summary, timeZone: c.timeZone, accessRole: c.accessRole, ...(c.primary ? { primary: true } : {}) }));
      return { kind: "calendar#calendarList", items };
    }
    if (method === "POST" && rest.join("/") === "freeBusy") return freeBusy(body as calendar_v3.Schema$FreeBusyRequest);
    if (rest[0] === "calendars" && rest[1] !== undefined && rest[2] === "events") {
      const calendarId = resolveId(rest[1]);
      const eventId = rest[3];
      if (eventId === undefined && method === "POST") return insert(calendarId, body as calendar_v3.Schema$Event);
      if (eventId === undefined && method === "GET") return list(calendarId, query);
      if (eventId !== undefined && method === "GET") {
        const event = eventsOf(calendarId, false).get(eventId);
        if (!event) throw new GoogleError(404, "notFound", "Not Found");
        return event;
      }
      if (eventId !== undefined && method === "PATCH") return patch(calendarId, eventId, body as calendar_v3.Schema$Event, typeof headers["if-match"] === "string" ? headers["if-match"] : undefined);
    }
    throw new GoogleError(404, "notFound", "Not Found");
  }

  function send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
    response.end(JSON.stringify(body));
  }

  function sendError(response: ServerResponse, status: number, reason: string, message: string): void {
    const domain = reason === "rateLimitExceeded" || reason === "quotaExceeded" || reason === "userRateLimitExceeded" ? "usageLimits" : "global";
    send(response, status, { error: { errors: [{ domain, reason, message }], code: status, message } });
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const raw = await readBody(request);
      const isToken = url.pathname === "/token";
      let body: unknown = raw;
      if (!isToken && raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          return sendError(response, 400, "parseError", "Parse Error");
        }
      }
      const method = request.method ?? "GET";
      requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: request.headers, body });

      const script = scripted.find((s) => s.remaining > 0 && (!s.method || s.method === method) && (!s.path || s.path.test(url.pathname)));
      if (script) {
        script.remaining--;
        return sendError(response, script.error.status, script.error.reason, script.error.message);
      }
      if (isToken && method === "POST") {
        const [status, answer] = tokenEndpoint(raw);
        return send(response, status, answer);
      }
      if (!url.pathname.startsWith("/calendar/v3/")) return sendError(response, 404, "notFound", "Not Found");
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      if (!bearer || !tokens.has(bearer)) {
        return send(response, 401, { error: { errors: [{ domain: "global", reason: "authError", message: "Invalid Credentials", location: "Authorization" }], code: 401, message: "Request had invalid authentication credentials." } });
      }
      try {
        send(response, 200, route(method, url.pathname, Object.fromEntries(url.searchParams), request.headers, body));
      } catch (error) {
        if (error instanceof GoogleError) return sendError(response, error.status, error.reason, error.message);
        sendError(response, 500, "backendError", error instanceof Error ? error.message : "Backend Error");
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    apiRequests: () => requests.filter((r) => r.path.startsWith("/calendar/")),
    failNext(match, error, times = 1) {
      scripted.push({ ...match, error, remaining: times });
    },
    addCalendar,
    addBusy(calendarId, start, end) {
      if (!calendars.has(calendarId)) addCalendar({ id: calendarId, accessRole: "freeBusyReader", listed: false });
      busy.set(calendarId, [...(busy.get(calendarId) ?? []), { start, end }]);
    },
    putEvent(calendarId, event) {
      const id = resolveId(calendarId);
      if (!events.has(id)) addCalendar({ id });
      events.get(id)?.set(event.id ?? "", { etag: `"${++counter}"`, ...event });
    },
    event: (calendarId, eventId) => events.get(resolveId(calendarId))?.get(eventId),
    eventCount: (calendarId) => events.get(resolveId(calendarId))?.size ?? 0,
    revokeRefreshToken() {
      refreshTokenValid = false;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
