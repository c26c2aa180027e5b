import { describe, expect, it } from "vitest";
import { formatMinor, minorUnitDigits } from "./money.js";
import { formatLocal } from "./time.js";

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
});
