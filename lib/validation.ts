import type { z } from "zod";
import { ValidationError } from "./errors.js";

/** Dotted path of a zod issue (`guests.0.phone`), or `(root)` for the value itself. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}

/**
 * Parse untrusted input with a zod schema; on failure throw a ValidationError whose message names
 * the first offending field ("phone: must be E.164, e.g. +351912345678") and whose details list all.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ field: issuePath(issue.path), message: issue.message }));
  const first = issues[0] ?? { field: "(root)", message: "invalid input" };
  throw new ValidationError(`${first.field}: ${first.message}`, { field: first.field, issues });
}
