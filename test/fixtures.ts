import type { Database } from "../drizzle/client.js";
import { createEvent, type CreateEventInput } from "../domain/events.js";
import { newWorkspaceContext } from "./context.js";

export const LISBON_OFFSITE: CreateEventInput = {
  title: "Engineering offsite",
  kind: "offsite",
  city: "Lisbon",
  countryCode: "PT",
  timeZone: "Europe/Lisbon",
  headcount: 40,
  currency: "EUR",
};

/** Workspaces A and B with one event each: the starting point of every isolation test. */
export async function twoWorkspacesWithEvents(db: Database) {
  const a = await newWorkspaceContext(db, "a");
  const b = await newWorkspaceContext(db, "b");
  const eventA = await createEvent(a, LISBON_OFFSITE);
  const eventB = await createEvent(b, { ...LISBON_OFFSITE, title: "Sales kickoff" });
  return { a, b, eventA, eventB };
}
