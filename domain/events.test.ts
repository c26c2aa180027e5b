import { expect, it } from "vitest";
import { describeEachDriver } from "../test/db.js";
import { newWorkspaceContext } from "../test/context.js";
import { createEvent, getEvent, getEventDetails, listEvents, updateEvent, type CreateEventInput } from "./events.js";

const offsite: CreateEventInput = {
  title: "Engineering offsite",
  kind: "offsite",
  city: "Lisbon",
  countryCode: "PT",
  timeZone: "Europe/Lisbon",
  startsAt: new Date("2027-03-10T09:00:00Z"),
  endsAt: new Date("2027-03-11T18:00:00Z"),
  headcount: 40,
  budgetMinor: 3_000_000,
  currency: "EUR",
  requirements: { dietary: ["vegetarian"] },
};

describeEachDriver("events", (t) => {
  it("creates an event and reads it back with its time zone and money intact", async () => {
    const ctx = await newWorkspaceContext(t().db);
    // Over JSON and MCP, dates arrive as ISO strings.
    const created = await createEvent(ctx, JSON.parse(JSON.stringify(offsite)) as CreateEventInput);
    const read = await getEvent(ctx, created.id);
    expect(read).toMatchObject({ title: "Engineering offsite", status: "draft", timeZone: "Europe/Lisbon", budgetMinor: 3_000_000, currency: "EUR", headcount: 40 });
    expect(read.startsAt?.toISOString()).toBe("2027-03-10T09:00:00.000Z");
    expect(read.requirements).toEqual({ dietary: ["vegetarian"] });
  });

  it("refuses bad input naming the field", async () => {
    const ctx = await newWorkspaceContext(t().db);
    await expect(createEvent(ctx, { ...offsite, headcount: -3 })).rejects.toMatchObject({ code: "validation_failed", details: { field: "headcount" } });
    await expect(createEvent(ctx, { ...offsite, headcount: 0 })).rejects.toMatchObject({ details: { field: "headcount" } });
    await expect(createEvent(ctx, { ...offsite, currency: "EURO" })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(createEvent(ctx, { ...offsite, currency: "XYZ" })).rejects.toMatchObject({ details: { field: "currency" } });
    await expect(createEvent(ctx, { ...offsite, timeZone: "Mars/Olympus" })).rejects.toMatchObject({ details: { field: "timeZone" } });
    await expect(createEvent(ctx, { ...offsite, budgetMinor: 12.5 })).rejects.toMatchObject({ details: { field: "budgetMinor" } });
    await expect(createEvent(ctx, { ...offsite, endsAt: new Date("2027-03-09T00:00:00Z") })).rejects.toMatchObject({ details: { field: "endsAt" } });
    await expect(createEvent(ctx, { ...offsite, title: "   " })).rejects.toThrow(/title/);
    await expect(createEvent(ctx, { ...offsite, workspaceId: "x" } as CreateEventInput)).rejects.toMatchObject({ code: "validation_failed" });
  });

  it("updates fields and keeps the date order rule across partial updates", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const created = await createEvent(ctx, offsite);
    const moved = await updateEvent(ctx, created.id, { status: "planning", headcount: 45 });
    expect(moved).toMatchObject({ status: "planning", headcount: 45 });
    await expect(updateEvent(ctx, created.id, { endsAt: new Date("2027-03-01T00:00:00Z") })).rejects.toMatchObject({ details: { field: "endsAt" } });
  });

  it("lists newest first, filters by status, and never shows another workspace's events", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const first = await createEvent(a, offsite);
    const second = await createEvent(a, { ...offsite, title: "Summer party", kind: "party" });
    await updateEvent(a, second.id, { status: "confirmed" });
    const foreign = await createEvent(b, offsite);
    expect((await listEvents(a)).map((e) => e.id)).toEqual([second.id, first.id]);
    expect((await listEvents(a, { status: "confirmed" })).map((e) => e.id)).toEqual([second.id]);
    await expect(getEvent(a, foreign.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(getEventDetails(a, foreign.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(updateEvent(a, foreign.id, { headcount: 1 })).rejects.toMatchObject({ code: "not_found" });
    expect((await getEvent(b, foreign.id)).headcount).toBe(40);
  });

  it("treats an empty patch as a no-op", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const created = await createEvent(ctx, offsite);
    expect(await updateEvent(ctx, created.id, {})).toEqual(created);
  });

  it("returns details with empty collections for a new event", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const created = await createEvent(ctx, offsite);
    const details = await getEventDetails(ctx, created.id);
    expect(details).toMatchObject({ id: created.id, venueBookings: [], vendorQuotes: [], guests: [], tasks: [], budgetLines: [] });
  });
});
