import { AppError } from "../../lib/errors.js";

/** The not-found answers both backends give, naming the tool argument to fix. */

export function calendarNotFound(calendarId: string): AppError {
  return new AppError("not_found", `calendar ${calendarId} was not found, or the planner's account cannot use it; list_calendars shows the calendars it can use`, { field: "calendarId", entity: "calendar", id: calendarId });
}

export function eventNotFound(calendarId: string, eventId: string): AppError {
  return new AppError("not_found", `event ${eventId} was not found on calendar ${calendarId}`, { field: "eventId", entity: "event", id: eventId });
}

/** The event was written between our read and our patch (Google's 412 on If-Match). */
export function eventChanged(eventId: string): AppError {
  return new AppError("conflict", `event ${eventId} changed while it was being updated; read it again and retry`, { field: "eventId", reason: "preconditionFailed" });
}

export function isEventChanged(error: unknown): boolean {
  return error instanceof AppError && error.code === "conflict" && error.details?.reason === "preconditionFailed";
}
