import { DateTime } from "luxon";

/** `2027-03-10 09:00` as a wall clock in the given IANA zone; instants are stored, zones are shown. */
export function formatLocal(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toFormat("yyyy-MM-dd HH:mm");
}

/**
 * `hour`:00 local time on the calendar day `days` before `instant`'s local date. Days are counted on
 * the zone's calendar, so a DST change in between keeps the wall clock where it was asked to be.
 */
export function localHourDaysBefore(instant: Date, timeZone: string, days: number, hour: number): Date {
  return DateTime.fromJSDate(instant, { zone: timeZone }).startOf("day").minus({ days }).set({ hour }).toJSDate();
}

/** Whole calendar days from `earlier` to `later`, both read in the zone (negative when `earlier` is after). */
export function calendarDaysBetween(earlier: Date, later: Date, timeZone: string): number {
  const from = DateTime.fromJSDate(earlier, { zone: timeZone }).startOf("day");
  const to = DateTime.fromJSDate(later, { zone: timeZone }).startOf("day");
  return Math.round(to.diff(from, "days").days);
}
