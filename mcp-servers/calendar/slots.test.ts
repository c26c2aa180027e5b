import { describe, expect, it } from "vitest";
import { findFreeSlots, mergeBusy, type SlotSearch } from "./slots.js";

const iso = (value: string) => new Date(value);
const search = (overrides: Partial<SlotSearch>): SlotSearch => ({
  windowStart: iso("2027-03-08T00:00:00Z"),
  windowEnd: iso("2027-03-09T00:00:00Z"),
  busy: [],
  durationMinutes: 60,
  timeZone: "Europe/Lisbon",
  workingHours: { start: { hour: 9, minute: 0 }, end: { hour: 17, minute: 0 } },
  weekdays: [1, 2, 3, 4, 5],
  stepMinutes: 30,
  maxSlots: 20,
  ...overrides,
});
const starts = (result: { slots: { start: Date }[] }) => result.slots.map((s) => s.start.toISOString());

describe("free slot finder", () => {
  it("merges overlapping and touching busy intervals", () => {
    const merged = mergeBusy([
      { start: iso("2027-03-08T10:00:00Z"), end: iso("2027-03-08T11:00:00Z") },
      { start: iso("2027-03-08T09:00:00Z"), end: iso("2027-03-08T10:00:00Z") },
      { start: iso("2027-03-08T10:30:00Z"), end: iso("2027-03-08T10:45:00Z") },
      { start: iso("2027-03-08T12:00:00Z"), end: iso("2027-03-08T12:00:00Z") },
    ]);
    expect(merged.map((m) => [m.start.toISOString(), m.end.toISOString()])).toEqual([["2027-03-08T09:00:00.000Z", "2027-03-08T11:00:00.000Z"]]);
  });

  it("returns non-overlapping slots inside working hours around busy time, on the step grid", () => {
    // Lisbon is on UTC in early March; busy 10:00-11:10 pushes the next start to 11:30.
    const result = findFreeSlots(search({ busy: [{ start: iso("2027-03-08T10:00:00Z"), end: iso("2027-03-08T11:10:00Z") }] }));
    expect(starts(result)).toEqual(["2027-03-08T09:00:00.000Z", "2027-03-08T11:30:00.000Z", "2027-03-08T12:30:00.000Z", "2027-03-08T13:30:00.000Z", "2027-03-08T14:30:00.000Z", "2027-03-08T15:30:00.000Z"]);
    expect(result.truncated).toBe(false);
  });

  it("skips weekdays not allowed and stops at maxSlots", () => {
    // 2027-03-13 and 14 are a weekend.
    const result = findFreeSlots(search({ windowStart: iso("2027-03-13T00:00:00Z"), windowEnd: iso("2027-03-16T00:00:00Z"), durationMinutes: 240, maxSlots: 2 }));
    expect(starts(result)).toEqual(["2027-03-15T09:00:00.000Z", "2027-03-15T13:00:00.000Z"]);
    const capped = findFreeSlots(search({ durationMinutes: 60, maxSlots: 3 }));
    expect(capped.slots).toHaveLength(3);
    expect(capped.truncated).toBe(true);
  });

  it("keeps working hours on the wall clock across a DST change", () => {
    // Lisbon moves to UTC+1 on Sunday 2027-03-28: Monday 09:00 local is 08:00Z.
    const result = findFreeSlots(search({ windowStart: iso("2027-03-26T00:00:00Z"), windowEnd: iso("2027-03-30T00:00:00Z"), durationMinutes: 480 }));
    expect(starts(result)).toEqual(["2027-03-26T09:00:00.000Z", "2027-03-29T08:00:00.000Z"]);
  });

  it("starts no earlier than the window and on the grid after it", () => {
    const result = findFreeSlots(search({ windowStart: iso("2027-03-08T15:10:00Z"), durationMinutes: 60 }));
    expect(starts(result)).toEqual(["2027-03-08T15:30:00.000Z"]);
  });
});
