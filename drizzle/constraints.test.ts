import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import type { AppError } from "../lib/errors.js";
import { describeEachDriver } from "../test/db.js";
import type { Database } from "./client.js";
import { fromDatabaseError } from "./errors.js";
import {
  apiKeys,
  approvals,
  budgetLines,
  conversations,
  events,
  guests,
  runSteps,
  runs,
  tasks,
  toolCalls,
  vendors,
  venueBookings,
  venues,
  webhookDeliveries,
  workspaces,
} from "./schema/index.js";

/** The database is the last line of defence: these rows bypass the domain's zod validation on purpose. */

async function refusal(write: Promise<unknown>): Promise<AppError> {
  try {
    await write;
  } catch (error) {
    return fromDatabaseError(error);
  }
  throw new Error("the database accepted a row it must refuse");
}

interface Fixture {
  workspaceId: string;
  eventId: string;
  venueId: string;
  vendorId: string;
  conversationId: string;
  runId: string;
}

async function fixture(db: Database, name: string): Promise<Fixture> {
  const [workspace] = await db.insert(workspaces).values({ name }).returning();
  const workspaceId = workspace!.id;
  const [event] = await db.insert(events).values({ workspaceId, title: "Offsite", timeZone: "Europe/Lisbon", headcount: 10, currency: "EUR" }).returning();
  const [venue] = await db.select().from(venues).limit(1);
  const [vendor] = await db.select().from(vendors).limit(1);
  const [conversation] = await db.insert(conversations).values({ workspaceId }).returning();
  const [run] = await db.insert(runs).values({ workspaceId, conversationId: conversation!.id }).returning();
  return { workspaceId, eventId: event!.id, venueId: venue!.id, vendorId: vendor!.id, conversationId: conversation!.id, runId: run!.id };
}

describeEachDriver("database constraints", (t) => {
  const checkCases: [string, (db: Database, f: Fixture) => Promise<unknown>][] = [
    ["workspaces_name_format", (db) => db.insert(workspaces).values({ name: "Not A Slug" })],
    ["api_keys_hash_sha256_hex", (db, f) => db.insert(apiKeys).values({ workspaceId: f.workspaceId, prefix: "p1", hash: "plaintext-key" })],
    ["events_headcount_positive", (db, f) => db.insert(events).values({ workspaceId: f.workspaceId, title: "x", timeZone: "UTC", headcount: -4, currency: "EUR" })],
    ["events_headcount_positive", (db, f) => db.insert(events).values({ workspaceId: f.workspaceId, title: "x", timeZone: "UTC", headcount: 0, currency: "EUR" })],
    ["events_currency_iso4217", (db, f) => db.insert(events).values({ workspaceId: f.workspaceId, title: "x", timeZone: "UTC", headcount: 5, currency: "eur" })],
    ["events_budget_non_negative", (db, f) => db.insert(events).values({ workspaceId: f.workspaceId, title: "x", timeZone: "UTC", headcount: 5, currency: "EUR", budgetMinor: -1 })],
    ["events_ends_after_starts", (db, f) => db.insert(events).values({ workspaceId: f.workspaceId, title: "x", timeZone: "UTC", headcount: 5, currency: "EUR", startsAt: new Date("2027-01-02"), endsAt: new Date("2027-01-01") })],
    ["venues_capacity_positive", (db) => db.insert(venues).values({ slug: "zero", name: "Zero", kind: "loft", city: "Lisbon", countryCode: "PT", timeZone: "Europe/Lisbon", address: "x", capacity: 0, dayRateMinor: 1, currency: "EUR" })],
    ["venues_day_rate_non_negative", (db) => db.insert(venues).values({ slug: "neg", name: "Neg", kind: "loft", city: "Lisbon", countryCode: "PT", timeZone: "Europe/Lisbon", address: "x", capacity: 5, dayRateMinor: -100, currency: "EUR" })],
    ["vendors_price_range_ordered", (db) => db.insert(vendors).values({ slug: "rev", name: "Rev", category: "av", city: "Lisbon", countryCode: "PT", priceMinMinor: 500, priceMaxMinor: 100, currency: "EUR", priceUnit: "per_day" })],
    ["vendors_rating_range", (db) => db.insert(vendors).values({ slug: "rate", name: "Rate", category: "av", city: "Lisbon", countryCode: "PT", priceMinMinor: 1, priceMaxMinor: 2, currency: "EUR", priceUnit: "per_day", rating: 7 })],
    ["guests_phone_e164", (db, f) => db.insert(guests).values({ workspaceId: f.workspaceId, eventId: f.eventId, name: "Ana", phone: "912 345 678" })],
    ["guests_email_format", (db, f) => db.insert(guests).values({ workspaceId: f.workspaceId, eventId: f.eventId, name: "Ana", email: "not-an-email" })],
    ["guests_email_format", (db, f) => db.insert(guests).values({ workspaceId: f.workspaceId, eventId: f.eventId, name: "Ana", email: "Ana@Example.com" })],
    ["guests_plus_ones_range", (db, f) => db.insert(guests).values({ workspaceId: f.workspaceId, eventId: f.eventId, name: "Ana", email: "ana@example.com", plusOnes: -1 })],
    ["guests_name_not_blank", (db, f) => db.insert(guests).values({ workspaceId: f.workspaceId, eventId: f.eventId, name: "  ", email: "ana@example.com" })],
    ["guests_contact_present", (db, f) => db.insert(guests).values({ workspaceId: f.workspaceId, eventId: f.eventId, name: "Ana" })],
    ["tasks_completed_when_done", (db, f) => db.insert(tasks).values({ workspaceId: f.workspaceId, eventId: f.eventId, title: "Book venue", status: "done" })],
    ["budget_lines_planned_non_negative", (db, f) => db.insert(budgetLines).values({ workspaceId: f.workspaceId, eventId: f.eventId, category: "venue", description: "x", plannedMinor: -5, currency: "EUR" })],
    ["venue_bookings_ends_after_starts", (db, f) => db.insert(venueBookings).values({ workspaceId: f.workspaceId, eventId: f.eventId, venueId: f.venueId, startsAt: new Date("2027-01-02"), endsAt: new Date("2027-01-02"), priceMinor: 1, currency: "EUR" })],
    ["runs_error_when_failed", (db, f) => db.insert(runs).values({ workspaceId: f.workspaceId, conversationId: f.conversationId, status: "failed", finishedAt: new Date() })],
    ["runs_finished_when_terminal", (db, f) => db.insert(runs).values({ workspaceId: f.workspaceId, conversationId: f.conversationId, status: "succeeded" })],
    ["runs_usage_non_negative", (db, f) => db.insert(runs).values({ workspaceId: f.workspaceId, conversationId: f.conversationId, costMicros: -1 })],
    ["run_steps_seq_non_negative", (db, f) => db.insert(runSteps).values({ workspaceId: f.workspaceId, runId: f.runId, seq: -1, kind: "model_turn", payload: {} })],
    ["approvals_amount_has_currency", (db, f) => db.insert(approvals).values({ workspaceId: f.workspaceId, runId: f.runId, action: "stripe__create_payment", summary: "Pay", amountMinor: 100, payload: {} })],
    ["approvals_decided_when_not_pending", (db, f) => db.insert(approvals).values({ workspaceId: f.workspaceId, runId: f.runId, action: "x", summary: "x", payload: {}, status: "approved" })],
    ["tool_calls_key_not_blank", (db, f) => db.insert(toolCalls).values({ workspaceId: f.workspaceId, server: "stripe", tool: "pay", idempotencyKey: "", arguments: {} })],
  ];

  it.each(checkCases)("refuses a row breaking %s", async (constraint, write) => {
    const f = await fixture(t().db, `c-${Math.random().toString(36).slice(2, 10)}`);
    const error = await refusal(write(t().db, f));
    expect(error.code).toBe("constraint_violation");
    expect(error.details?.constraint).toBe(constraint);
    expect(error.message).toContain(constraint);
  });

  it("refuses an unknown RSVP state and an unknown time zone with a validation error", async () => {
    const f = await fixture(t().db, "c-enums");
    const rsvp = await refusal(t().db.insert(guests).values({ workspaceId: f.workspaceId, eventId: f.eventId, name: "Ana", email: "ana@example.com", rsvpStatus: "maybe" as "accepted" }));
    expect(rsvp).toMatchObject({ code: "validation_failed" });
    expect(rsvp.message).toMatch(/rsvp_status/);
    const zone = await refusal(t().db.insert(events).values({ workspaceId: f.workspaceId, title: "x", timeZone: "Mars/Olympus", headcount: 5, currency: "EUR" }));
    expect(zone).toMatchObject({ code: "validation_failed" });
    expect(zone.message).toMatch(/Mars\/Olympus/);
  });

  it("refuses duplicates on every idempotency and dedupe key", async () => {
    const f = await fixture(t().db, "c-dupes");
    const db = t().db;
    await db.insert(guests).values({ workspaceId: f.workspaceId, eventId: f.eventId, name: "Ana", phone: "+351912345678" });
    expect(await refusal(db.insert(guests).values({ workspaceId: f.workspaceId, eventId: f.eventId, name: "Bea", phone: "+351912345678" }))).toMatchObject({ code: "conflict", details: { constraint: "guests_event_phone_unique" } });
    await db.insert(runSteps).values({ workspaceId: f.workspaceId, runId: f.runId, seq: 0, kind: "model_turn", payload: {} });
    expect(await refusal(db.insert(runSteps).values({ workspaceId: f.workspaceId, runId: f.runId, seq: 0, kind: "model_turn", payload: {} }))).toMatchObject({ code: "conflict", details: { constraint: "run_steps_run_seq_unique" } });
    await db.insert(toolCalls).values({ workspaceId: f.workspaceId, server: "stripe", tool: "pay", idempotencyKey: "k1", arguments: {} });
    expect(await refusal(db.insert(toolCalls).values({ workspaceId: f.workspaceId, server: "stripe", tool: "pay", idempotencyKey: "k1", arguments: {} }))).toMatchObject({ code: "conflict" });
    await db.insert(webhookDeliveries).values({ provider: "twilio", externalId: "SM1", eventType: "sms", payload: {} });
    expect(await refusal(db.insert(webhookDeliveries).values({ provider: "twilio", externalId: "SM1", eventType: "sms", payload: {} }))).toMatchObject({ code: "conflict" });
    await db.insert(runs).values({ workspaceId: f.workspaceId, conversationId: f.conversationId, idempotencyKey: "req-1" });
    expect(await refusal(db.insert(runs).values({ workspaceId: f.workspaceId, conversationId: f.conversationId, idempotencyKey: "req-1" }))).toMatchObject({ code: "conflict" });
  });

  it("refuses a child row that points at another workspace's parent", async () => {
    const db = t().db;
    const a = await fixture(db, "c-cross-a");
    const b = await fixture(db, "c-cross-b");
    const cases: [string, Promise<unknown>][] = [
      ["guests_event_fk", db.insert(guests).values({ workspaceId: b.workspaceId, eventId: a.eventId, name: "Ana", email: "ana@example.com" })],
      ["tasks_event_fk", db.insert(tasks).values({ workspaceId: b.workspaceId, eventId: a.eventId, title: "Book venue" })],
      ["budget_lines_event_fk", db.insert(budgetLines).values({ workspaceId: b.workspaceId, eventId: a.eventId, category: "venue", description: "x", currency: "EUR" })],
      ["venue_bookings_event_fk", db.insert(venueBookings).values({ workspaceId: b.workspaceId, eventId: a.eventId, venueId: a.venueId, startsAt: new Date("2027-01-01"), endsAt: new Date("2027-01-02"), priceMinor: 1, currency: "EUR" })],
      ["runs_conversation_fk", db.insert(runs).values({ workspaceId: b.workspaceId, conversationId: a.conversationId })],
      ["run_steps_run_fk", db.insert(runSteps).values({ workspaceId: b.workspaceId, runId: a.runId, seq: 0, kind: "model_turn", payload: {} })],
      ["approvals_run_fk", db.insert(approvals).values({ workspaceId: b.workspaceId, runId: a.runId, action: "x", summary: "x", payload: {} })],
      ["tool_calls_run_fk", db.insert(toolCalls).values({ workspaceId: b.workspaceId, runId: a.runId, server: "stripe", tool: "pay", idempotencyKey: "cross", arguments: {} })],
    ];
    for (const [constraint, write] of cases) {
      expect(await refusal(write)).toMatchObject({ code: "constraint_violation", details: { constraint } });
    }
  });

  it("keeps a booked venue (restrict) and deletes a workspace's rows with it (cascade)", async () => {
    const db = t().db;
    const f = await fixture(db, "c-fk");
    await db.insert(venueBookings).values({ workspaceId: f.workspaceId, eventId: f.eventId, venueId: f.venueId, startsAt: new Date("2027-05-01"), endsAt: new Date("2027-05-02"), priceMinor: 100, currency: "EUR" });
    expect(await refusal(db.delete(venues).where(eq(venues.id, f.venueId)))).toMatchObject({ code: "constraint_violation", details: { constraint: "venue_bookings_venue_id_venues_id_fk" } });
    await db.delete(workspaces).where(eq(workspaces.id, f.workspaceId));
    expect(await db.select().from(events).where(eq(events.id, f.eventId))).toEqual([]);
    expect(await db.select().from(venueBookings).where(eq(venueBookings.eventId, f.eventId))).toEqual([]);
    expect(await db.select().from(runs).where(eq(runs.id, f.runId))).toEqual([]);
    expect(await db.select().from(venues).where(eq(venues.id, f.venueId))).toHaveLength(1);
  });
});
