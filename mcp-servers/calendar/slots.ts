import { DateTime } from "luxon";
import type { BusyInterval } from "./backend.js";

export interface ClockTime {
  hour: number;
  minute: number;
}

export interface SlotSearch {
  windowStart: Date;
  windowEnd: Date;
  busy: BusyInterval[];
  durationMinutes: number;
  /** The zone working hours and weekdays are read in. */
  timeZone: string;
  workingHours: { start: ClockTime; end: ClockTime };
  /** ISO weekdays, Monday = 1 … Sunday = 7. */
  weekdays: readonly number[];
  /** Slot starts fall on this grid, counted from the start of working hours. */
  stepMinutes: number;
  maxSlots: number;
}

const MINUTE = 60_000;

/** Overlapping and touching intervals joined, sorted by start. */
export function mergeBusy(intervals: readonly BusyInterval[]): BusyInterval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start.getTime() - b.start.getTime());
  const merged: BusyInterval[] = [];
  for (const interval of sorted) {
    const last = merged.at(-1);
    if (last && interval.start <= last.end) {
      if (interval.end > last.end) last.end = interval.end;
    } else {
      merged.push({ start: interval.start, end: interval.end });
    }
  }
  return merged;
}

/**
 * Non-overlapping slots of the asked length inside working hours on the allowed weekdays, earliest
 * first. Days are walked on the zone's calendar, so working hours stay at their wall-clock time
 * across a DST change; a slot on the change day keeps its real length.
 */
export function findFreeSlots(search: SlotSearch): { slots: BusyInterval[]; truncated: boolean } {
  const busy = mergeBusy(search.busy);
  const duration = search.durationMinutes * MINUTE;
  const step = search.stepMinutes * MINUTE;
  const windowStart = search.windowStart.getTime();
  const windowEnd = search.windowEnd.getTime();
  const slots: BusyInterval[] = [];
  let busyIndex = 0;
  let day = DateTime.fromMillis(windowStart, { zone: search.timeZone }).startOf("day");
  while (day.toMillis() < windowEnd) {
    if (search.weekdays.includes(day.weekday)) {
      const open = day.set(search.workingHours.start).toMillis();
      const close = Math.min(day.set(search.workingHours.end).toMillis(), windowEnd);
      let start = open;
      if (start < windowStart) start = open + Math.ceil((windowStart - open) / step) * step;
      while (start + duration <= close) {
        while (busyIndex < busy.length && (busy[busyIndex]?.end.getTime() ?? 0) <= start) busyIndex++;
        const blocking = busy[busyIndex];
        if (blocking && blocking.start.getTime() < start + duration) {
          // Jump to the first grid point at or after the end of what is in the way.
          start = open + Math.ceil((blocking.end.getTime() - open) / step) * step;
          continue;
        }
        if (slots.length === search.maxSlots) return { slots, truncated: true };
        slots.push({ start: new Date(start), end: new Date(start + duration) });
        start = open + Math.ceil((start + duration - open) / step) * step;
      }
    }
    day = day.plus({ days: 1 });
  }
  return { slots, truncated: false };
}
