import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addBudgetLine } from "../domain/budget.js";
import { createEvent } from "../domain/events.js";
import { addGuests } from "../domain/guests.js";
import { createSandboxObject } from "../domain/sandbox.js";
import { createTasks } from "../domain/tasks.js";
import { LISBON_OFFSITE } from "../test/fixtures.js";
import { bodyOf, createHarness, dataOf, errorOf, type Harness } from "./testing/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const api = () => request(h.app.callback());

describe("GET /v1/events", () => {
  it("lists the workspace's events, newest first, by status", async () => {
    const { auth, ctx } = await h.workspace();
    const other = await h.workspace();
    const first = await createEvent(ctx, LISBON_OFFSITE);
    const second = await createEvent(ctx, { ...LISBON_OFFSITE, title: "Sales kickoff" });
    await createEvent(other.ctx, { ...LISBON_OFFSITE, title: "Not mine" });
    const res = await api().get("/v1/events").set("Authorization", auth).expect(200);
    expect(dataOf(res).map((e) => e.id)).toEqual([second.id, first.id]);
    const drafts = await api().get(`/v1/events?status=${first.status}`).set("Authorization", auth).expect(200);
    expect(dataOf(drafts)).toHaveLength(2);
    const bad = await api().get("/v1/events?status=partying").set("Authorization", auth).expect(400);
    expect(errorOf(bad).details?.field).toBe("status");
  });
});

describe("GET /v1/events/:id", () => {
  it("shows the event with guests, tasks and budget lines, money in integer minor units", async () => {
    const { auth, ctx } = await h.workspace();
    const event = await createEvent(ctx, { ...LISBON_OFFSITE, budgetMinor: 3_000_000 });
    await addGuests(ctx, event.id, [{ name: "Ana Silva", phone: "+351912345678" }]);
    await createTasks(ctx, event.id, [{ title: "Book the venue" }]);
    await addBudgetLine(ctx, event.id, { category: "venue", description: "Venue hire", plannedMinor: 1_250_050, currency: "EUR" });
    const res = await api().get(`/v1/events/${event.id}`).set("Authorization", auth).expect(200);
    expect(res.body).toMatchObject({ id: event.id, title: LISBON_OFFSITE.title, budgetMinor: 3_000_000, currency: "EUR", venueBookings: [], vendorQuotes: [] });
    expect(bodyOf(res).guests).toEqual([expect.objectContaining({ name: "Ana Silva", phone: "+351912345678" })]);
    expect(bodyOf(res).tasks).toEqual([expect.objectContaining({ title: "Book the venue" })]);
    expect(bodyOf(res).budgetLines).toEqual([expect.objectContaining({ plannedMinor: 1_250_050, currency: "EUR" })]);
  });

  it("answers 404 for another workspace's event", async () => {
    const mine = await h.workspace();
    const theirs = await h.workspace();
    const foreign = await createEvent(theirs.ctx, LISBON_OFFSITE);
    const res = await api().get(`/v1/events/${foreign.id}`).set("Authorization", mine.auth).expect(404);
    expect(errorOf(res).code).toBe("not_found");
  });
});

describe("GET /v1/outbox", () => {
  it("shows what the sandbox integrations did, by kind, for this workspace only", async () => {
    const { auth, ctx } = await h.workspace();
    const other = await h.workspace();
    const sms = await createSandboxObject(ctx, { service: "twilio", kind: "sms", externalId: "SM0001", status: "delivered", data: { to: "+351912345678", body: "You're invited" } });
    await createSandboxObject(ctx, { service: "slack", kind: "message", externalId: "1.0001", status: "posted", data: { text: "Approve?" } });
    await createSandboxObject(other.ctx, { service: "twilio", kind: "sms", externalId: "SM0002", status: "delivered", data: { body: "not mine" } });
    const all = await api().get("/v1/outbox").set("Authorization", auth).expect(200);
    expect(dataOf(all)).toHaveLength(2);
    const onlySms = await api().get("/v1/outbox?kind=sms").set("Authorization", auth).expect(200);
    expect(dataOf(onlySms).map((o) => o.id)).toEqual([sms.object.id]);
    const bad = await api().get("/v1/outbox?kind=fax").set("Authorization", auth).expect(400);
    expect(errorOf(bad)).toMatchObject({ details: { field: "kind" }, message: expect.stringContaining("sms") as string });
  });
});
