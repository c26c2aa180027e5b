import { AppError, ConflictError, ValidationError } from "../lib/errors.js";

interface PgErrorFields {
  code?: string;
  constraint?: string;
  column?: string;
  table?: string;
  detail?: string;
  message?: string;
}

function findPgError(error: unknown): PgErrorFields | undefined {
  // Drizzle wraps driver errors (DrizzleQueryError) with the original as `cause`.
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const candidate = current as PgErrorFields & { cause?: unknown };
    if (typeof candidate.code === "string" && /^[0-9A-Z]{5}$/.test(candidate.code)) return candidate;
    current = candidate.cause;
  }
  return undefined;
}

/**
 * Translate a Postgres/PGlite error into a typed AppError naming the rule that refused the row,
 * so the one error mapper in the API (and the CLI) can answer with a clear message. Anything that
 * is not a data error is returned as-is wrapped in `internal`.
 */
export function fromDatabaseError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const pgError = findPgError(error);
  const constraint = pgError?.constraint;
  switch (pgError?.code) {
    case "23505":
      return new ConflictError(`Already exists (${constraint ?? "unique key"})`, { constraint, table: pgError.table });
    case "23514":
      return new AppError("constraint_violation", `Refused by the rule ${constraint ?? "check"} on ${pgError.table ?? "the table"}`, { constraint, table: pgError.table });
    case "23503":
    case "23001": // restrict_violation: Postgres 17 (PGlite) reports ON DELETE RESTRICT with its own code
      return new AppError("constraint_violation", `Refers to a row that does not exist or is still referenced (${constraint ?? "foreign key"})`, { constraint, table: pgError.table });
    case "23502":
      return new ValidationError(`${pgError.column ?? "a column"}: is required`, { field: pgError.column, table: pgError.table });
    case "22P02":
    case "22023":
    case "22007":
    case "22008":
    case "22003":
      return new ValidationError(pgError.message ?? "Invalid value", { table: pgError.table });
    default:
      return new AppError("internal", "Unexpected database error", undefined, { cause: error });
  }
}
