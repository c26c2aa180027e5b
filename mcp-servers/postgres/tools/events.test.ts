import { expect, it } from "vitest";
import { connectInMemory } from "../../host/in-memory.js";
import { callError, callOk, testToolContext } from "../../host/testing.js";
import { newWorkspaceContext } from "../../../test/context.js";
import { describeEachDriver } from "../../../test/db.js";
import { postgresServer } from "../server.js";

const offsite = { title: "Engineering offsite", kind: "offsite", city: "Lisbon", countryCode: "PT", timeZone: "Europe/Lisbon", startsAt: "2027-03-10T09:00:00Z", endsAt: "2027-03-11T17:00:00Z", headcount: 40, budgetMinor: 3_000_000, currency: "EUR" };

describeEachDriver("postgres MCP: event tools", (t) => {
  async function connect() {
    const ctx = await newWorkspaceContext(t().db);
    return { ctx, ...(await connectInMemory(postgresServer, testToolContext(t().handle, ctx))) };
  }

  it("creates an event and shows times in its zone and money in minor units", async () => {
    const { client, close } = await connect();
    const { event } = await callOk<{ event: { id: string; startsAt: { local: string }; budget: { display: string } } }>(client, "create_event", { ...offsite, idempotency_key: "create-offsite-1" });
    expect(event.startsAt.local).toBe("2027-03-10 09:00");
    expect(event.budget.display).toBe("€30,000.00");
    const details = await callOk<{ event: { id: string }; guests: { total: number } }>(client, "get_event", { eventId: event.id });
    expect(details).toMatchObject({ event: { id: event.id }, guests: { total: 0 } });
    await close();
  });

  it("acts once for a repeated idempotency key and returns the first result", async () => {
    const { client, close } = await connect();
    const first = await callOk<{ event: { id: string } }>(client, "create_event", { ...offsite, idempotency_key: "same-key-123" });
    const second = await callOk<{ event: { id: string } }>(client, "create_event", { ...offsite, idempotency_key: "same-key-123" });
    expect(second.event.id).toBe(first.event.id);
    const { events } = await callOk<{ events: unknown[] }>(client, "list_events", {});
    expect(events).toHaveLength(1);
    expect(await callError(client, "create_event", { ...offsite, headcount: 41, idempotency_key: "same-key-123" })).toMatch(/conflict: .*idempotencyKey/);
    await close();
  });

  it("answers bad input with a tool error naming the field", async () => {
    const { client, close } = await connect();
    expect(await callError(client, "create_event", { ...offsite, headcount: 0, idempotency_key: "bad-headcount" })).toMatch(/headcount/);
    expect(await callError(client, "create_event", { ...offsite, timeZone: "Mars/Olympus", idempotency_key: "bad-zone-1" })).toMatch(/timeZone/);
    expect(await callError(client, "create_event", { ...offsite, idempotency_key: "x" })).toMatch(/idempotency_key/);
    expect(await callError(client, "create_event", { ...offsite, workspaceId: "00000000-0000-0000-0000-000000000000", idempotency_key: "sneaky-ws-1" })).toMatch(/workspaceId|Unrecognized/);
    expect(await callError(client, "get_event", { eventId: "not-a-uuid" })).toMatch(/eventId/);
    await close();
  });
});
