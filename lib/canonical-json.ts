import { createHash } from "node:crypto";
import { configure } from "safe-stable-stringify";
import { ValidationError } from "./errors.js";

// Keys sorted at every depth and no whitespace; values JSON cannot represent are refused, not guessed.
const stringify = configure({ deterministic: true, strict: true, circularValue: Error });

/** JSON in one canonical form, so equal values always produce equal text (and equal hashes). */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = stringify(value);
  } catch (error) {
    throw new ValidationError(`not a JSON value: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (text === undefined) throw new ValidationError("not a JSON value");
  return text;
}

export function canonicalHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
