/**
 * Typed errors with stable codes. Every layer throws these; the API maps a code to an HTTP status
 * in one place (api/), the CLI prints `code: message`, and MCP tools return them as tool errors.
 */
export const ERROR_CODES = [
  "validation_failed",
  "not_found",
  "conflict",
  "constraint_violation",
  "unauthorized",
  "forbidden",
  "rate_limited",
  "payload_too_large",
  "budget_exceeded",
  "limit_exceeded",
  "approval_required",
  "invalid_state",
  "config_invalid",
  "upstream_failed",
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  /** Dotted path of the offending field, e.g. `guests.0.phone`. */
  field?: string;
  [key: string]: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AppError";
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: ErrorDetails } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/**
 * Mark an error from an external call whose request may have reached the vendor before the answer
 * was lost (a timeout, a dropped connection): the action may have happened, so it is not "failed".
 */
export function outcomeUnknown(error: AppError): AppError {
  return new AppError(error.code, error.message, { ...error.details, outcomeUnknown: true }, { cause: error.cause });
}

export function isOutcomeUnknown(error: unknown): boolean {
  return error instanceof AppError && error.details?.outcomeUnknown === true;
}

export class ValidationError extends AppError {
  constructor(message: string, details?: ErrorDetails) {
    super("validation_failed", message, details);
    this.name = "ValidationError";
  }
}

export class NotFoundError extends AppError {
  constructor(entity: string, id: string) {
    super("not_found", `${entity} ${id} was not found`, { entity, id });
    this.name = "NotFoundError";
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: ErrorDetails) {
    super("conflict", message, details);
    this.name = "ConflictError";
  }
}

export class ConfigError extends AppError {
  constructor(message: string, details?: ErrorDetails) {
    super("config_invalid", message, details);
    this.name = "ConfigError";
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
