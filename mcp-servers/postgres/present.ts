import { z } from "zod";
import { formatMinor } from "../../lib/money.js";
import { formatLocal } from "../../lib/time.js";

/** Output shapes shared by the postgres server's tools: JSON only (ISO strings, integer money). */

export const moneyOutput = z.object({
  amountMinor: z.number().int().describe("integer minor units (cents; yen for JPY)"),
  currency: z.string(),
  display: z.string().describe("human-readable, e.g. €30,000.00"),
});

export function money(amountMinor: number, currency: string): z.infer<typeof moneyOutput> {
  return { amountMinor, currency, display: formatMinor(amountMinor, currency) };
}

export function moneyOrNull(amountMinor: number | null, currency: string): z.infer<typeof moneyOutput> | null {
  return amountMinor === null ? null : money(amountMinor, currency);
}

export const instantOutput = z.object({
  utc: z.string().describe("ISO 8601 instant"),
  local: z.string().describe("wall clock in the event's time zone, YYYY-MM-DD HH:mm"),
  timeZone: z.string(),
});

export function instant(value: Date, timeZone: string): z.infer<typeof instantOutput> {
  return { utc: value.toISOString(), local: formatLocal(value, timeZone), timeZone };
}

export function instantOrNull(value: Date | null, timeZone: string): z.infer<typeof instantOutput> | null {
  return value === null ? null : instant(value, timeZone);
}

/** An ISO 8601 date-time with an explicit offset or Z, so a time is never ambiguous. */
export const isoDateTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with an offset, e.g. 2027-03-10T09:00:00+00:00" });
