/**
 * Reads a finished trial back from the database into the plain transcript the graders grade: the
 * runs with every persisted step, approvals, the sandbox objects created during the conversation
 * (tagged with the step they appeared in) and the events the workspace ends with.
 */
import { eq } from "drizzle-orm";
import type { McpToolDescriptor } from "../agent/mcp/manager.js";
import { parseStep } from "../agent/steps.js";
import { listApprovals } from "../domain/approvals.js";
import { getBudgetSummary } from "../domain/budget.js";
import type { DomainContext } from "../domain/context.js";
import { getEventDetails, listEvents } from "../domain/events.js";
import { getRun, listRunSteps, runUsage } from "../domain/runs.js";
import { findVenueConflicts } from "../domain/venue-bookings.js";
import { sandboxObjects, type SandboxObject } from "../drizzle/schema/index.js";
import type { ApprovalRecord, BookingRecord, EventRecord, OutboxRecord, RunRecord, StepRecord, ToolRecord } from "./transcript.js";

export async function collectRuns(ctx: DomainContext, runs: readonly { id: string; step: number }[]): Promise<RunRecord[]> {
  return Promise.all(
    runs.map(async ({ id, step }) => {
      const run = await getRun(ctx, id);
      const steps = (await listRunSteps(ctx, id)).map((stored) => {
        const { seq, kind, payload } = parseStep(stored);
        return { seq, kind, payload } as StepRecord;
      });
      const text = run.result?.text;
      return { id, step, status: run.status, error: run.error ?? null, answer: typeof text === "string" ? text : "", steps, usage: runUsage(run) };
    }),
  );
}

export async function collectApprovals(ctx: DomainContext): Promise<ApprovalRecord[]> {
  const rows = await listApprovals(ctx, { limit: 500 });
  return rows.reverse().map((row) => ({
    id: row.id,
    runId: row.runId,
    action: row.action,
    status: row.status,
    summary: row.summary,
    payload: row.payload,
    approvedPayload: row.approvedPayload,
    amountMinor: row.amountMinor,
    currency: row.currency,
  }));
}

/** Every sandbox object of the workspace, oldest first, without the sandbox store's page cap. */
export async function allSandboxObjects(ctx: DomainContext): Promise<SandboxObject[]> {
  const rows = await ctx.db.select().from(sandboxObjects).where(eq(sandboxObjects.workspaceId, ctx.workspaceId));
  return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
}

export function outboxRecords(objects: readonly SandboxObject[], stepOf: ReadonlyMap<string, number>): OutboxRecord[] {
  return objects
    .filter((object) => stepOf.has(object.id))
    .map((object) => ({
      service: object.service,
      kind: object.kind,
      externalId: object.externalId,
      parentExternalId: object.parentExternalId,
      idempotencyKey: object.idempotencyKey,
      status: object.status,
      data: object.data,
      step: stepOf.get(object.id) ?? 0,
    }));
}

export async function collectEvents(ctx: DomainContext, fixtureEventIds: ReadonlySet<string>): Promise<EventRecord[]> {
  const events = (await listEvents(ctx, { limit: 200 })).reverse();
  return Promise.all(
    events.map(async (event) => {
      const details = await getEventDetails(ctx, event.id);
      const bookings: BookingRecord[] = await Promise.all(
        details.venueBookings.map(async (booking) => ({
          id: booking.id,
          status: booking.status,
          startsAt: booking.startsAt.toISOString(),
          endsAt: booking.endsAt.toISOString(),
          venue: { id: booking.venue.id, name: booking.venue.name, capacity: booking.venue.capacity, accessibility: booking.venue.accessibility },
          overlapping: booking.status === "cancelled" ? 0 : (await findVenueConflicts(ctx, booking.venueId, booking.startsAt, booking.endsAt)).total,
        })),
      );
      const summary = await getBudgetSummary(ctx, event.id).catch(() => undefined);
      const sum = (pick: (line: (typeof details.budgetLines)[number]) => number) => details.budgetLines.reduce((total, line) => total + pick(line), 0);
      return {
        id: event.id,
        fixture: fixtureEventIds.has(event.id),
        title: event.title,
        kind: event.kind,
        status: event.status,
        city: event.city,
        countryCode: event.countryCode,
        timeZone: event.timeZone,
        startsAt: event.startsAt?.toISOString() ?? null,
        endsAt: event.endsAt?.toISOString() ?? null,
        headcount: event.headcount,
        budgetMinor: event.budgetMinor,
        currency: event.currency,
        requirements: { ...(event.requirements.dietary ? { dietary: event.requirements.dietary } : {}), ...(event.requirements.accessibility ? { accessibility: event.requirements.accessibility } : {}) },
        bookings,
        guests: details.guests.map((guest) => ({ name: guest.name, phone: guest.phone, rsvpStatus: guest.rsvpStatus, plusOnes: guest.plusOnes })),
        tasks: details.tasks.map((task) => ({ title: task.title, notes: task.notes })),
        budget: {
          plannedMinor: summary?.plannedMinor ?? sum((line) => line.plannedMinor),
          committedMinor: summary?.committedMinor ?? sum((line) => line.committedMinor),
          categories: [...new Set(details.budgetLines.map((line) => line.category))],
        },
      };
    }),
  );
}

export function toolRecords(tools: readonly McpToolDescriptor[]): ToolRecord[] {
  return tools.map((tool) => ({ name: tool.name, ...(tool.annotations ? { annotations: tool.annotations } : {}) }));
}
