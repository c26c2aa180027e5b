/** Schemas shared by several routes: ids in paths, paging, list envelopes and the error body. */
import { z } from "zod";
import { MAX_PAGE_SIZE } from "../domain/scope.js";
import { ERROR_CODES } from "../lib/errors.js";
import { uuid } from "../lib/formats.js";

export const idParams = z.object({ id: uuid });

/** `?limit=` arrives as text; the domain clamps it too, this names the field when it is not a number. */
export const limitQuery = z.coerce
  .number({ error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  .int({ error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  .min(1, { error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  .max(MAX_PAGE_SIZE, { error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  .optional()
  .describe(`page size, 1 to ${MAX_PAGE_SIZE}`);

/** Every list answers `{ data: [...] }`, newest first. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item) });
}

export const errorSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional().describe("e.g. `field`, the dotted path of the offending input"),
  }),
});
