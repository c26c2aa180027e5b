import { readFileSync } from "node:fs";

/**
 * The names of every environment variable the application reads: the keys of the zod object in
 * lib/config.ts, the single source. Read from the source because the schema is not exported;
 * the test that uses this also checks the list is not empty.
 */
export function configVariables(): Set<string> {
  const source = readFileSync(new URL("../../lib/config.ts", import.meta.url), "utf8");
  const start = source.indexOf("const envSchema");
  const end = source.indexOf(".superRefine", start);
  if (start === -1 || end === -1) throw new Error("lib/config.ts: envSchema not found");
  return new Set([...source.slice(start, end).matchAll(/^\s{4}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1] ?? ""));
}
