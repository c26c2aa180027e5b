import { describe, expect, it } from "vitest";
import { checkQuietHours, classifyKeyword, isQuietMinute, optedOut, renderTemplate, resolveRecipientZones, segmentCount, templateProblem } from "./policy.js";

const night = { start: "21:00", end: "08:00" };

describe("twilio sending policy", () => {
  it("reads quiet hours as a local-time window that may wrap midnight, start inclusive and end exclusive", () => {
    const at = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
    expect(["20:59", "08:00", "12:00"].map((t) => isQuietMinute(at(t), night))).toEqual([false, false, false]);
    expect(["21:00", "23:59", "00:00", "07:59"].map((t) => isQuietMinute(at(t), night))).toEqual([true, true, true, true]);
    expect(isQuietMinute(at("13:30"), { start: "13:00", end: "14:00" })).toBe(true);
    expect(isQuietMinute(at("14:00"), { start: "13:00", end: "14:00" })).toBe(false);
    expect(isQuietMinute(at("03:00"), { start: "00:00", end: "00:00" })).toBe(false);
  });

  it("finds the first instant outside quiet hours in every zone, across a DST change", () => {
    // 27 March 2027, 23:30 in Lisbon (UTC); that night Lisbon moves to UTC+1, so 08:00 local is 07:00Z.
    expect(checkQuietHours(new Date("2027-03-27T23:30:00Z"), ["Europe/Lisbon"], night)).toEqual({ zone: "Europe/Lisbon", localTime: "2027-03-27 23:30", allowedFrom: new Date("2027-03-28T07:00:00Z") });
    expect(checkQuietHours(new Date("2027-03-28T07:00:00Z"), ["Europe/Lisbon"], night)).toBeUndefined();
    // Several zones: quiet if quiet in any, allowed once awake in all.
    expect(checkQuietHours(new Date("2027-03-10T08:30:00Z"), ["Europe/Lisbon", "Atlantic/Azores"], night)).toMatchObject({ zone: "Atlantic/Azores", allowedFrom: new Date("2027-03-10T09:00:00Z") });
  });

  it("says so when the zones never share waking hours", () => {
    const hit = checkQuietHours(new Date("2027-03-10T12:00:00Z"), ["Asia/Tokyo", "America/New_York"], { start: "18:00", end: "10:00" });
    expect(hit).toMatchObject({ zone: "Asia/Tokyo" });
    expect(hit?.allowedFrom).toBeUndefined();
  });

  it("takes the recipient's zone when given, else every zone its calling code spans, else asks for it", () => {
    expect(resolveRecipientZones("+351912345678", "Europe/Lisbon")).toEqual({ ok: true, zones: ["Europe/Lisbon"], source: "timeZone" });
    expect(resolveRecipientZones("+4915112345678")).toEqual({ ok: true, zones: ["Europe/Berlin"], source: "callingCode" });
    expect(resolveRecipientZones("+6591234567")).toMatchObject({ zones: ["Asia/Singapore"] });
    expect(resolveRecipientZones("+5215512345678")).toMatchObject({ zones: expect.arrayContaining(["America/Mexico_City", "America/Tijuana"]) as string[] });
    expect(resolveRecipientZones("+14165550123")).toMatchObject({ zones: expect.arrayContaining(["America/St_Johns", "America/New_York", "Pacific/Honolulu"]) as string[] });
    expect(resolveRecipientZones("+16715550123")).toMatchObject({ ok: false });
    expect(resolveRecipientZones("+33612345678")).toMatchObject({ ok: false, message: expect.stringMatching(/give timeZone/) as string });
  });

  it("recognises Twilio's opt-out and opt-in keywords only as the whole message", () => {
    expect(["STOP", " stop ", "Stop!", "unsubscribe", "Cancel.", "END", "quit", "STOPALL", "optout", "revoke"].map(classifyKeyword)).toEqual(Array(10).fill("opt_out"));
    expect(["START", "yes", "Unstop"].map(classifyKeyword)).toEqual(["opt_in", "opt_in", "opt_in"]);
    expect(["HELP", "info"].map(classifyKeyword)).toEqual(["help", "help"]);
    expect(["Please stop by at 9", "Yes, two of us", "I can't, stop asking? no"].map(classifyKeyword)).toEqual([null, null, null]);
    expect(optedOut(["opt_out", null])).toBe(true);
    expect(optedOut([null, "opt_in", "opt_out"])).toBe(false);
    expect(optedOut(["help", null])).toBe(false);
  });

  it("fills only {name} into a template and refuses any other placeholder", () => {
    expect(renderTemplate("Hi {name}! {name}, see you.", "Ana")).toBe("Hi Ana! Ana, see you.");
    expect(templateProblem("Hi {name}")).toBeUndefined();
    expect(templateProblem("Hello all")).toMatch(/must contain \{name\}/);
    expect(templateProblem("Hi {name}, on {date}")).toMatch(/\{date\}/);
  });

  it("counts SMS segments as Twilio bills them", () => {
    expect(segmentCount("x".repeat(160))).toBe(1);
    expect(segmentCount("x".repeat(161))).toBe(2);
    expect(segmentCount("Olá, até já! ✨")).toBe(1);
    expect(segmentCount("✨".repeat(71))).toBe(2);
  });
});
