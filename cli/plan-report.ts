/**
 * The plan as a person reads it in a terminal: event, venue, budget table, timeline, guests and
 * what waits for approval, all from the database (never from the model's prose), plus the
 * planner's own summary.
 */
import type { EventDetails } from "../domain/events.js";
import type { RunPlan } from "../domain/run-plans.js";
import type { RunEvent } from "../agent/events.js";
import { formatMinor } from "../lib/money.js";
import { formatLocal } from "../lib/time.js";

function money(amountMinor: number | null, currency: string | null): string {
  if (amountMinor === null || !currency) return "—";
  return `${formatMinor(amountMinor, currency)}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ")}`.trimEnd());
}

function eventSection(event: EventDetails): string[] {
  const zone = event.timeZone;
  const when = event.startsAt && event.endsAt ? `${formatLocal(event.startsAt, zone)} → ${formatLocal(event.endsAt, zone)} (${zone})` : `dates not set (${zone})`;
  const lines = [`Event: ${event.title} — ${event.kind}, ${event.headcount ?? "?"} people${event.city ? `, ${event.city}` : ""}`, `  When: ${when}`];
  if (event.budgetMinor !== null) lines.push(`  Budget: ${money(event.budgetMinor, event.currency)}`);

  lines.push("Venue:");
  if (event.venueBookings.length === 0) lines.push("  none held yet");
  for (const booking of event.venueBookings) {
    lines.push(`  ${booking.venue.name} (capacity ${booking.venue.capacity}) — ${booking.status}, ${formatLocal(booking.startsAt, zone)} → ${formatLocal(booking.endsAt, zone)}, ${money(booking.priceMinor, booking.currency)}`);
  }

  lines.push("Budget:");
  if (event.budgetLines.length === 0) lines.push("  no lines yet");
  else {
    const planned = event.budgetLines.reduce((sum, line) => sum + line.plannedMinor, 0);
    const committed = event.budgetLines.reduce((sum, line) => sum + line.committedMinor, 0);
    const currency = event.budgetLines[0]!.currency;
    const share = (amount: number) => (event.budgetMinor ? `${Math.round((amount / event.budgetMinor) * 100)}%` : "");
    lines.push(
      ...table([
        ["category", "description", "planned", "committed", "of budget"],
        ...event.budgetLines.map((line) => [line.category, line.description, money(line.plannedMinor, line.currency), money(line.committedMinor, line.currency), share(line.plannedMinor)]),
        ["total", "", money(planned, currency), money(committed, currency), share(planned)],
      ]),
    );
  }

  lines.push("Timeline:");
  if (event.tasks.length === 0) lines.push("  no tasks yet");
  for (const task of event.tasks) lines.push(`  ${task.dueAt ? formatLocal(task.dueAt, zone).slice(0, 10) : "(no date)"}  ${task.title}${task.status === "todo" ? "" : ` [${task.status}]`}`);

  const byRsvp = new Map<string, number>();
  for (const guest of event.guests) byRsvp.set(guest.rsvpStatus, (byRsvp.get(guest.rsvpStatus) ?? 0) + 1);
  lines.push(`Guests: ${event.guests.length === 0 ? "none yet" : `${event.guests.length} (${[...byRsvp].map(([status, count]) => `${count} ${status}`).join(", ")})`}`);
  return lines;
}

export function formatPlan(plan: RunPlan): string {
  const { run } = plan;
  const lines: string[] = [];
  for (const event of plan.events) lines.push(...eventSection(event), "");
  if (plan.pendingApprovals.length > 0) {
    lines.push("Waiting for approval:");
    for (const approval of plan.pendingApprovals) lines.push(`  ${approval.id}  ${approval.summary}`);
    lines.push("");
  }
  const text = typeof run.result?.text === "string" ? run.result.text : undefined;
  if (text) lines.push("Planner's summary:", text, "");
  const cost = run.costMicros > 0 ? `, $${(run.costMicros / 1e6).toFixed(4)}` : "";
  lines.push(`Run ${run.id}: ${run.status} after ${run.stepCount} recorded steps (${run.inputTokens + run.cacheWriteTokens + run.cacheReadTokens} input and ${run.outputTokens} output tokens${cost}).`);
  if (run.error) lines.push(`Why it failed: ${run.error.message}`);
  return `${lines.join("\n")}\n`;
}

/** One line of progress per event worth a person's attention. */
export function progressLine(event: RunEvent): string | undefined {
  switch (event.type) {
    case "run_started":
      return event.resumed ? `Resuming run ${event.runId} (${event.provider})` : `Run ${event.runId} started (${event.provider}: ${event.model})`;
    case "tool_call":
      return `  → ${event.tool}`;
    case "tool_result":
      return event.isError ? `  ✗ ${event.tool}: ${event.content.split("\n")[0]!.slice(0, 200)}` : undefined;
    case "approval_requested":
      return `  ⏸ needs approval: ${event.summary}`;
    case "approval_decided":
      return `  ${event.status === "approved" ? "✓" : "✗"} approval ${event.status}${event.edited ? " (edited)" : ""}`;
    case "finished":
      return event.status === "awaiting_approval" ? "Waiting for approval." : `Run ${event.status}.`;
    default:
      return undefined;
  }
}
