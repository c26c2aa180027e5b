/**
 * The one place errors become HTTP answers: every failure, from a route, the domain, the database
 * or a middleware package, leaves as `{ "error": { "code", "message", "details"? } }` with the status
 * its code maps to. Messages of errors we did not type are never shown, only logged.
 */
import type { Middleware } from "koa";
import { fromDatabaseError } from "../drizzle/errors.js";
import { AppError, ValidationError, type ErrorCode, type ErrorDetails } from "../lib/errors.js";
import type { ApiContextExtras, ApiState } from "./state.js";

/** A Record over every code, so adding a code to lib/errors.ts fails the type check until it has a status here. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  // The resource exists but its current state refuses the action (a finished run, a decided approval).
  invalid_state: 409,
  approval_required: 409,
  payload_too_large: 413,
  // The request was understood and well-formed, but a rule of the data or of the workspace refuses it.
  constraint_violation: 422,
  budget_exceeded: 422,
  limit_exceeded: 422,
  rate_limited: 429,
  upstream_failed: 502,
  // A misconfigured server is our fault, not the caller's, and its message is for the operator.
  config_invalid: 500,
  internal: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetails };
}

interface HttpErrorLike {
  status?: unknown;
  expose?: unknown;
  type?: unknown;
  message?: unknown;
}

/**
 * Errors thrown by Koa's own packages (body parser, router) carry an HTTP status rather than one of
 * our codes; give them the code their status means.
 */
function fromHttpError(error: unknown): AppError | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { status, expose, type, message } = error as HttpErrorLike;
  if (typeof status !== "number" || status < 400 || status >= 500) return undefined;
  if (status === 413) return new AppError("payload_too_large", "the request body is larger than this API accepts", { field: "body" });
  // co-body marks a body that is not a JSON object or array with 400 on a SyntaxError.
  if (type === "entity.parse.failed" || (status === 400 && error instanceof SyntaxError)) return new ValidationError("body: must be a JSON object", { field: "body" });
  if (status === 404) return new AppError("not_found", "not found");
  if (status === 401) return new AppError("unauthorized", "authentication required");
  if (status === 403) return new AppError("forbidden", "forbidden");
  const text = expose === true && typeof message === "string" ? message : "the request could not be processed";
  return new ValidationError(text);
}

/** Map any thrown value to the typed error the client sees; `internal` for everything unrecognised. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return fromHttpError(error) ?? fromDatabaseError(error);
}

export function errorBody(error: AppError): ErrorBody {
  // An internal error's message may carry anything (SQL, paths, upstream text): the client gets a fixed one.
  if (ERROR_STATUS[error.code] >= 500 && error.code !== "upstream_failed") {
    return { error: { code: "internal", message: "Internal error; it was logged and can be traced by the X-Request-Id header" } };
  }
  return { error: error.details ? { code: error.code, message: error.message, details: error.details } : { code: error.code, message: error.message } };
}

export function errorMapper(): Middleware<ApiState, ApiContextExtras> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      const error = toAppError(thrown);
      const status = ERROR_STATUS[error.code];
      if (status >= 500) {
        ctx.state.log.error({ err: thrown, code: error.code }, "request failed");
      } else {
        ctx.state.log.debug({ code: error.code, message: error.message }, "request refused");
      }
      if (ctx.headerSent || !ctx.writable) return;
      ctx.status = status;
      ctx.body = errorBody(error);
      if (error.code === "unauthorized") ctx.set("WWW-Authenticate", 'Bearer realm="event-planner"');
      const retryAfter = error.details?.retryAfterSeconds;
      if (error.code === "rate_limited" && typeof retryAfter === "number") ctx.set("Retry-After", String(retryAfter));
    }
  };
}
