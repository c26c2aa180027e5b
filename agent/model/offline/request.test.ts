import { describe, expect, it } from "vitest";
import { parseConversation, parsePlanningRequest, saysAnything } from "./request.js";

/** A Tuesday in late November: "in March" is next year's March, "in November" the one after. */
const NOW = new Date("2026-11-24T10:00:00Z");
const parse = (text: string) => parsePlanningRequest(text, NOW);

describe("parsePlanningRequest", () => {
  it("reads the done-when request completely", () => {
    expect(parse("Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000")).toEqual({
      kind: "offsite",
      headcount: 40,
      city: "Lisbon",
      // The first Tuesday of March 2027: a multi-day work event starts on a weekday.
      startDate: "2027-03-02",
      endDate: "2027-03-03",
      days: 2,
      dateBasis: "month",
      budget: { amountMinor: 3_000_000, currency: "EUR", ambiguousDollar: false },
      dietary: [],
      accessibility: [],
      guests: [],
      missing: [],
    });
  });

  it("reads a 300-person conference on an exact date with access needs", () => {
    const request = parse("We need a 300-person conference in Berlin on 12 June 2027, budget €250,000, step-free access and a hearing loop");
    expect(request).toMatchObject({ kind: "conference", headcount: 300, city: "Berlin", startDate: "2027-06-12", endDate: "2027-06-12", days: 1, dateBasis: "explicit" });
    expect(request.budget).toEqual({ amountMinor: 25_000_000, currency: "EUR", ambiguousDollar: false });
    expect(request.accessibility).toEqual(["step_free_access", "hearing_loop"]);
  });

  it("reads a wedding with dietary needs, wheelchair access and guests with their phones", () => {
    const request = parse(
      "Plan a wedding for 120 guests in Barcelona on 12 June 2027, budget €60.000, vegetarian and gluten-free menu, one coeliac, wheelchair access. Invite Ana Silva +351912345678 and Ben +44 7700 900123.",
    );
    expect(request).toMatchObject({ kind: "wedding", headcount: 120, city: "Barcelona", startDate: "2027-06-12" });
    expect(request.budget?.amountMinor).toBe(6_000_000);
    expect(request.dietary).toEqual(["vegetarian", "gluten_free"]);
    expect(request.accessibility).toEqual(["step_free_access", "accessible_toilets"]);
    expect(request.guests).toEqual([
      { name: "Ana Silva", phone: "+351912345678" },
      { name: "Ben", phone: "+447700900123" },
    ]);
  });

  it.each([
    ["budget EUR 30000", 3_000_000, "EUR"],
    ["budget of €30,000", 3_000_000, "EUR"],
    ["€30.000 all in", 3_000_000, "EUR"],
    ["USD 5,000", 500_000, "USD"],
    ["$12k", 1_200_000, "USD"],
    ["£8,500.50 total", 850_050, "GBP"],
    ["budget 1.5m JPY", 1_500_000, "JPY"],
    ["¥2,000,000", 2_000_000, "JPY"],
    ["20k EUR", 2_000_000, "EUR"],
    ["S$40,000", 4_000_000, "SGD"],
    ["CA$9,000", 900_000, "CAD"],
    ["30000 euros", 3_000_000, "EUR"],
  ])("reads the budget in %s", (phrase, amountMinor, currency) => {
    expect(parse(`Team meeting for 20 people in Lisbon, ${phrase}`).budget).toMatchObject({ amountMinor, currency });
  });

  it("marks a bare $ as ambiguous, so the planner may take the local dollar", () => {
    expect(parse("Party for 25 friends in Toronto, $12k").budget).toEqual({ amountMinor: 1_200_000, currency: "USD", ambiguousDollar: true });
    expect(parse("Party for 25 friends in Toronto, USD 12000").budget?.ambiguousDollar).toBe(false);
  });

  it("takes the amount after 'budget' rather than an earlier price", () => {
    expect(parse("Tickets are €50 each; 200 people in Berlin, budget €20,000").budget?.amountMinor).toBe(2_000_000);
  });

  it.each([
    ["on 12 June 2027", "2027-06-12", "2027-06-12"],
    ["on June 12th, 2027", "2027-06-12", "2027-06-12"],
    ["on 2027-09-10", "2027-09-10", "2027-09-10"],
    ["from 10-12 May 2027", "2027-05-10", "2027-05-12"],
    ["June 3-4, 2027", "2027-06-03", "2027-06-04"],
    ["on 3 February", "2027-02-03", "2027-02-03"],
    ["on 30 November", "2026-11-30", "2026-11-30"],
    ["in March", "2027-03-02", "2027-03-02"],
    ["in November", "2027-11-02", "2027-11-02"],
    ["next month", "2026-12-01", "2026-12-01"],
  ])("reads the dates in '%s'", (phrase, startDate, endDate) => {
    expect(parse(`Meeting for 12 people in London ${phrase}`)).toMatchObject({ startDate, endDate });
  });

  it("starts a month-only celebration on a Saturday, and a multi-day one on the Friday", () => {
    expect(parse("Birthday party for 30 people in Berlin in May 2027")).toMatchObject({ kind: "birthday", startDate: "2027-05-01", endDate: "2027-05-01" });
    expect(parse("A weekend wedding for 80 guests in Lisbon in May 2027")).toMatchObject({ startDate: "2027-05-07", endDate: "2027-05-08", days: 2 });
  });

  it.each([
    ["a 3-day workshop for forty people", 3, 40, "workshop"],
    ["a two-day retreat for a team of 12", 2, 12, "offsite"],
    ["a summit, 1,200 attendees, over 3 days", 3, 1200, "conference"],
    ["dinner for 8 pax", 1, 8, "party"],
    ["a 150-person gala", 1, 150, "party"],
  ])("reads length, headcount and type from '%s'", (phrase, days, headcount, kind) => {
    expect(parse(`Plan ${phrase} in Singapore on 10 September 2027`)).toMatchObject({ days, headcount, kind });
  });

  it("does not take a year or a date for a headcount", () => {
    expect(parse("Christmas party 2027 in Berlin on 10 December 2027").headcount).toBeNull();
    expect(parse("Offsite in Lisbon on 12 June 2027, 120 guests").headcount).toBe(120);
  });

  it("knows cities written other ways, and reads others from 'in <City>'", () => {
    expect(parse("Offsite for 20 people in NYC").city).toBe("New York");
    expect(parse("Offsite for 20 people in Lisboa").city).toBe("Lisbon");
    expect(parse("Offsite for 20 people in Porto in May").city).toBe("Porto");
    expect(parse("Offsite for 20 people in March").city).toBeNull();
  });

  it("lists what is missing when the request has no city, date or budget", () => {
    const request = parse("Plan an offsite for 40 people");
    expect(request).toMatchObject({ city: null, startDate: null, endDate: null, dateBasis: null, budget: null, kind: "offsite", headcount: 40 });
    expect(request.missing).toEqual(["city", "dates", "budget"]);
  });
});

describe("parseConversation", () => {
  it("lets a follow-up move the dates while keeping the rest", () => {
    const request = parseConversation(["Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000", "Move it to April"], NOW);
    expect(request).toMatchObject({ kind: "offsite", headcount: 40, city: "Lisbon", startDate: "2027-04-06", endDate: "2027-04-07", days: 2 });
    expect(request.budget?.amountMinor).toBe(3_000_000);
  });

  it("fills in the city from a short answer and accumulates needs and guests", () => {
    const request = parseConversation(["Wedding for 80 guests in June 2027, vegetarian, invite Ana Silva +351912345678", "Lisbon", "also halal please; invite Ben +447700900123"], NOW);
    expect(request).toMatchObject({ city: "Lisbon", kind: "wedding", headcount: 80, dietary: ["vegetarian", "halal"] });
    expect(request.guests.map((guest) => guest.name)).toEqual(["Ana Silva", "Ben"]);
    expect(request.missing).toEqual(["budget"]);
  });

  it("keeps the start date when a follow-up changes only the length", () => {
    expect(parseConversation(["Offsite for 30 people in Berlin on 9 March 2027", "make it 3 days"], NOW)).toMatchObject({ startDate: "2027-03-09", endDate: "2027-03-11", days: 3 });
  });
});

describe("saysAnything", () => {
  it("is false for a message with nothing to plan from", () => {
    expect(saysAnything("thanks, looks good!", NOW)).toBe(false);
    expect(saysAnything("make it 60 people", NOW)).toBe(true);
  });
});
