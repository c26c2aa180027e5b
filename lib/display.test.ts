import { describe, expect, it } from "vitest";
import { formatMinor, minorUnitDigits } from "./money.js";
import { calendarDaysBetween, formatLocal, localHourDaysBefore } from "./time.js";

describe("money and time display", () => {
  it("knows each currency's minor unit", () => {
    expect(minorUnitDigits("EUR")).toBe(2);
    expect(minorUnitDigits("JPY")).toBe(0);
    expect(minorUnitDigits("KWD")).toBe(3);
  });

  it("formats integer minor units without float drift", () => {
    expect(formatMinor(3_000_000, "EUR")).toBe("€30,000.00");
    expect(formatMinor(450_000, "JPY")).toBe("¥450,000");
    expect(formatMinor(1, "USD")).toBe("$0.01");
  });

  it("shows an instant as the event's wall clock, across a time-zone and DST boundary", () => {
    const instant = new Date("2027-03-28T09:30:00Z");
    expect(formatLocal(instant, "Europe/Lisbon")).toBe("2027-03-28 10:30");
    expect(formatLocal(instant, "America/New_York")).toBe("2027-03-28 05:30");
    expect(formatLocal(instant, "Asia/Tokyo")).toBe("2027-03-28 18:30");
  });

  it("counts days on the zone's calendar across a DST change, keeping the wall clock", () => {
    // Lisbon moves to summer time on 2027-03-28: the event is at UTC+1, a week earlier is UTC+0.
    const start = new Date("2027-03-30T08:00:00Z");
    const due = localHourDaysBefore(start, "Europe/Lisbon", 7, 9);
    expect(due.toISOString()).toBe("2027-03-23T09:00:00.000Z");
    expect(formatLocal(due, "Europe/Lisbon")).toBe("2027-03-23 09:00");
    expect(calendarDaysBetween(due, start, "Europe/Lisbon")).toBe(7);
    expect(calendarDaysBetween(start, due, "Europe/Lisbon")).toBe(-7);
  });

  it("reads the calendar day in the event's zone, not in UTC", () => {
    // 02:00 UTC on the 10th is still the 9th in Los Angeles.
    const start = new Date("2027-06-10T02:00:00Z");
    expect(formatLocal(localHourDaysBefore(start, "America/Los_Angeles", 1, 9), "America/Los_Angeles")).toBe("2027-06-08 09:00");
  });
});
