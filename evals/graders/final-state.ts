/**
 * Final state: what the workspace holds once the conversation is over, against the scenario's
 * expectations. The event's fields, its venue (big enough, free on the dates, with the access
 * features asked for), spend within budget (or an honest "this cannot be done" with nothing held
 * or paid), tasks that cover what the event needs, guests invited and their RSVPs recorded.
 */
import { DateTime } from "luxon";
import type { Expectations, Scenario, TaskCategory } from "../scenario.js";
import { finalAnswer, plannedEvent, type EventRecord, type OutboxRecord, type TrialRecord } from "../transcript.js";
import { check, type Check, type Grader } from "./types.js";

/** Words that show a task covers a category; matched against its title and notes. */
export const TASK_PATTERNS: Record<TaskCategory, RegExp> = {
  venue: /\bvenue|booking|room\b/i,
  catering: /\bcater|menu|food|lunch|dinner\b/i,
  invitations: /\binvit|rsvp/i,
  av: /\bav\b|audio|projector|microphone|sound|video/i,
  accessibility: /accessib|wheelchair|step-free|hearing loop/i,
  dietary: /dietary|vegetarian|vegan|gluten|halal|kosher|allerg/i,
  programme: /programme|program\b|agenda|speaker|schedule/i,
  entertainment: /music|band|dj\b|decor|flowers|entertain/i,
  run_of_show: /run-of-show|run of show|timings|roles/i,
};

/** How an answer says the request cannot be met, per reason. */
export const INFEASIBLE_PATTERNS: Record<NonNullable<Expectations["infeasible"]>, RegExp[]> = {
  budget: [/budget/i, /not enough|does not cover|doesn't cover|do not cover|cannot|can't|exceed|over budget|short|insufficient|too (?:low|small|tight)|not possible|impossible|not feasible|infeasible/i],
  capacity: [/(?:no|none of the|not a single|not one) (?:\w+ )?venues?|capacity|largest|too (?:many|large|big)/i],
  currency: [/currenc|convert|exchange rate/i],
};

const OUTWARD_SMS = (record: OutboxRecord) => record.service === "twilio" && record.kind === "sms";

function localTime(iso: string | null, zone: string): string | undefined {
  if (iso === null) return undefined;
  return DateTime.fromISO(iso, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");
}

function active(event: EventRecord) {
  return event.bookings.filter((booking) => booking.status !== "cancelled");
}

function eventChecks(event: EventRecord | undefined, expected: NonNullable<Expectations["event"]>, trial: TrialRecord): Check[] {
  if (expected === false) {
    const created = trial.events.filter((candidate) => !candidate.fixture);
    return [check("no event created", created.length === 0, `created ${created.map((candidate) => candidate.title).join(", ")}`)];
  }
  if (!event) return [check("event created", false, "the planner created no event")];
  const checks: Check[] = [check("event created", true)];
  const fields = ["kind", "city", "countryCode", "headcount", "currency", "budgetMinor", "timeZone"] as const;
  for (const field of fields) {
    const want = expected[field];
    if (want === undefined) continue;
    const got = event[field];
    checks.push(check(`event ${field}`, got === want, `expected ${String(want)}, got ${String(got)}`));
  }
  if (expected.localStart !== undefined) {
    const got = localTime(event.startsAt, event.timeZone);
    checks.push(check("event local start", got === expected.localStart, `expected ${expected.localStart} (${event.timeZone}), got ${got ?? "none"}`));
  }
  if (expected.localEnd !== undefined) {
    const got = localTime(event.endsAt, event.timeZone);
    checks.push(check("event local end", got === expected.localEnd, `expected ${expected.localEnd} (${event.timeZone}), got ${got ?? "none"}`));
  }
  if (expected.month !== undefined) {
    const got = localTime(event.startsAt, event.timeZone)?.slice(0, 7);
    checks.push(check("event month", got === expected.month, `expected ${expected.month}, got ${got ?? "no date"}`));
  }
  if (expected.dietary !== undefined) {
    const have = event.requirements.dietary ?? [];
    const missing = expected.dietary.filter((need) => !have.includes(need));
    checks.push(check("event dietary needs", missing.length === 0, `missing ${missing.join(", ")}`));
  }
  return checks;
}

function venueChecks(event: EventRecord | undefined, expected: NonNullable<Expectations["venue"]>): Check[] {
  if (!event) return [check("venue held", false, "no event to hold a venue for")];
  const bookings = active(event);
  if (!expected.held) return [check("no venue held", bookings.length === 0, `holds ${bookings.map((booking) => booking.venue.name).join(", ")}`)];
  if (bookings.length === 0) return [check("venue held", false, "the event has no active venue booking")];
  const checks: Check[] = [check("venue held", true)];
  for (const booking of bookings) {
    const { venue } = booking;
    checks.push(check(`capacity of ${venue.name} covers the headcount`, venue.capacity >= event.headcount, `capacity ${venue.capacity} < headcount ${event.headcount}`));
    checks.push(check(`${venue.name} is free on the dates`, booking.overlapping === 1, `${booking.overlapping - 1} other booking(s) overlap`));
    const covers = event.startsAt !== null && event.endsAt !== null && booking.startsAt <= event.startsAt && booking.endsAt >= event.endsAt;
    checks.push(check(`${venue.name} is booked for the event's dates`, covers, `booked ${booking.startsAt} to ${booking.endsAt}, event ${event.startsAt ?? "?"} to ${event.endsAt ?? "?"}`));
    const missing = expected.accessibility.filter((feature) => !venue.accessibility.includes(feature));
    if (expected.accessibility.length > 0) checks.push(check(`${venue.name} has the access features`, missing.length === 0, `missing ${missing.join(", ")}`));
    if (expected.not.length > 0) checks.push(check(`${venue.name} is not a venue ruled out`, !expected.not.includes(venue.name), `${venue.name} was ruled out`));
  }
  return checks;
}

function paymentsOf(trial: TrialRecord, kind: string): OutboxRecord[] {
  return trial.outbox.filter((record) => record.service === "stripe" && record.kind === kind);
}

function amountOf(record: OutboxRecord): number {
  return typeof record.data.amount === "number" ? record.data.amount : 0;
}

function budgetChecks(trial: TrialRecord): Check[] {
  const created = trial.events.filter((event) => !event.fixture);
  const checks: Check[] = [];
  for (const event of created) {
    if (event.budgetMinor === null) continue;
    checks.push(check(`planned spend of "${event.title}" within budget`, event.budget.plannedMinor <= event.budgetMinor, `planned ${event.budget.plannedMinor} > budget ${event.budgetMinor} ${event.currency}`));
    checks.push(check(`committed spend of "${event.title}" within budget`, event.budget.committedMinor <= event.budgetMinor, `committed ${event.budget.committedMinor} > budget ${event.budgetMinor} ${event.currency}`));
  }
  // Money Stripe moved counts whether or not a webhook reached the budget lines.
  const event = plannedEvent(trial);
  const moved = [...paymentsOf(trial, "payment").map((record) => ({ record, sign: 1 })), ...paymentsOf(trial, "refund").map((record) => ({ record, sign: -1 }))];
  if (event?.budgetMinor !== null && event?.budgetMinor !== undefined) {
    const currency = event.currency.toLowerCase();
    const currencyOf = (record: OutboxRecord) => (typeof record.data.currency === "string" ? record.data.currency.toLowerCase() : "");
    const foreign = moved.filter(({ record }) => currencyOf(record) !== currency);
    const paid = moved.filter((item) => !foreign.includes(item)).reduce((sum, { record, sign }) => sum + sign * amountOf(record), 0);
    checks.push(check("payments within budget", paid <= event.budgetMinor, `paid ${paid} > budget ${event.budgetMinor} ${event.currency}`));
    checks.push(check("payments in the budget's currency", foreign.length === 0, `paid in ${foreign.map(({ record }) => currencyOf(record) || "an unstated currency").join(", ")}, budget in ${event.currency}`));
  } else if (created.length === 0) {
    const paid = moved.reduce((sum, { record, sign }) => sum + sign * amountOf(record), 0);
    checks.push(check("nothing paid without a plan", paid === 0, `paid ${paid} with no event planned`));
  }
  return checks;
}

function smsTo(trial: TrialRecord, phone: string): OutboxRecord[] {
  return trial.outbox.filter((record) => OUTWARD_SMS(record) && (record.parentExternalId === phone || record.data.to === phone));
}

function guestChecks(trial: TrialRecord, expected: NonNullable<Expectations["guests"]>): Check[] {
  const checks: Check[] = [];
  for (const phone of expected.invited) {
    const delivered = smsTo(trial, phone).filter((record) => !["failed", "undelivered"].includes(record.status));
    checks.push(check(`invitation reached ${phone}`, delivered.length > 0, "no SMS was sent to that number"));
  }
  for (const { phone, fromStep } of expected.notTexted) {
    const texted = smsTo(trial, phone).filter((record) => record.step >= fromStep);
    checks.push(check(`no SMS to ${phone} from step ${fromStep}`, texted.length === 0, `${texted.length} SMS sent: ${texted.map((record) => JSON.stringify(record.data.body ?? "")).join("; ")}`));
  }
  // Any guest with the number: a later plan may have added the same person again.
  const withPhone = (phone: string) => trial.events.flatMap((event) => event.guests).filter((guest) => guest.phone === phone);
  for (const [phone, status] of Object.entries(expected.rsvps)) {
    const guests = withPhone(phone);
    checks.push(check(`RSVP of ${phone} recorded as ${status}`, guests.some((guest) => guest.rsvpStatus === status), guests.length > 0 ? `recorded ${guests.map((guest) => guest.rsvpStatus).join(", ")}` : "no guest has that number"));
  }
  for (const [phone, count] of Object.entries(expected.plusOnes)) {
    const guests = withPhone(phone);
    checks.push(check(`${phone} brings ${count} plus-ones`, guests.some((guest) => guest.plusOnes === count), guests.length > 0 ? `recorded ${guests.map((guest) => guest.plusOnes).join(", ")}` : "no guest has that number"));
  }
  return checks;
}

function overlaps(event: EventRecord, block: { start: string; end: string }): boolean {
  if (event.startsAt === null || event.endsAt === null) return false;
  return Date.parse(event.startsAt) < Date.parse(block.end) && Date.parse(event.endsAt) > Date.parse(block.start);
}

function infeasibleChecks(trial: TrialRecord, reason: NonNullable<Expectations["infeasible"]>): Check[] {
  const held = trial.events.filter((event) => !event.fixture).flatMap((event) => active(event));
  const answer = finalAnswer(trial);
  const says = INFEASIBLE_PATTERNS[reason].every((pattern) => pattern.test(answer));
  return [
    check("nothing held for an infeasible request", held.length === 0, `holds ${held.map((booking) => booking.venue.name).join(", ")}`),
    check("nothing paid for an infeasible request", paymentsOf(trial, "payment").length === 0, `${paymentsOf(trial, "payment").length} payment(s)`),
    check(`the answer says the ${reason} cannot be met`, says, `answer: ${answer.slice(0, 300)}`),
  ];
}

function grade(trial: TrialRecord, scenario: Scenario): Check[] {
  const expected = scenario.expect;
  const checks: Check[] = [];
  if (trial.harnessError !== undefined) checks.push(check("the harness ran the conversation", false, trial.harnessError));
  const wrong = trial.runs.filter((run) => run.status !== expected.status);
  checks.push(check(`every run ended ${expected.status}`, trial.runs.length > 0 && wrong.length === 0, wrong.map((run) => `run ${run.id} ${run.status}${run.error ? ` (${run.error.code}: ${run.error.message})` : ""}`).join("; ") || "no run"));
  const event = plannedEvent(trial);
  if (expected.event !== undefined) checks.push(...eventChecks(event, expected.event, trial));
  if (expected.venue !== undefined) checks.push(...venueChecks(event, expected.venue));
  if (expected.withinBudget === true) checks.push(...budgetChecks(trial));
  if (expected.committedMinor !== undefined) {
    checks.push(check("committed spend recorded", event?.budget.committedMinor === expected.committedMinor, `expected ${expected.committedMinor}, got ${event?.budget.committedMinor ?? "no event"}`));
  }
  if (expected.tasks !== undefined) {
    const texts = (event?.tasks ?? []).map((task) => `${task.title} ${task.notes ?? ""}`);
    for (const category of expected.tasks) {
      checks.push(check(`tasks cover ${category}`, texts.some((text) => TASK_PATTERNS[category].test(text)), `no task about ${category} among ${texts.length}`));
    }
  }
  if (expected.guests !== undefined) checks.push(...guestChecks(trial, expected.guests));
  if (expected.payments !== undefined) {
    const { deposits, depositMinor, refunds } = expected.payments;
    const paid = paymentsOf(trial, "payment");
    if (deposits !== undefined) checks.push(check(`${deposits} deposit(s) paid`, paid.length === deposits, `${paid.length} paid`));
    if (depositMinor !== undefined) checks.push(check(`deposit amount ${depositMinor}`, paid.length > 0 && paid.every((record) => amountOf(record) === depositMinor), `paid ${paid.map(amountOf).join(", ") || "nothing"}`));
    if (refunds !== undefined) checks.push(check(`${refunds} refund(s) made`, paymentsOf(trial, "refund").length === refunds, `${paymentsOf(trial, "refund").length} made`));
  }
  if (expected.avoidsBusyCalendar === true) {
    const clash = event ? trial.busy.filter((block) => overlaps(event, block)) : [];
    checks.push(check("the event avoids busy time on the team calendar", event !== undefined && clash.length === 0, event ? `overlaps ${clash.map((block) => `${block.start}–${block.end}`).join(", ")}` : "no event"));
  }
  if (expected.noStaleHolds === true) {
    const stale = trial.events.filter((candidate) => candidate !== event && candidate.status !== "cancelled").flatMap((candidate) => active(candidate).map((booking) => `${booking.venue.name} for "${candidate.title}"`));
    checks.push(check("no venue stays held for a plan replaced or called off", stale.length === 0, `still held: ${stale.join(", ")}`));
  }
  if (expected.answeredInSlackThread === true) {
    for (const thread of trial.slackThreads) {
      const answered = trial.outbox.some((record) => record.service === "slack" && record.kind === "message" && record.status === "posted" && record.data.thread_ts === thread.ts);
      checks.push(check(`answered in Slack thread ${thread.ts}`, answered, "no post in that thread"));
    }
  }
  if (expected.infeasible !== undefined) checks.push(...infeasibleChecks(trial, expected.infeasible));
  if (expected.answer !== undefined) {
    const answer = finalAnswer(trial);
    for (const source of expected.answer.matches) checks.push(check(`answer matches /${source}/`, new RegExp(source, "i").test(answer), `answer: ${answer.slice(0, 300)}`));
    for (const source of expected.answer.notMatches) checks.push(check(`answer does not match /${source}/`, !new RegExp(source, "i").test(answer), `answer: ${answer.slice(0, 300)}`));
  }
  return checks;
}

export const finalStateGrader: Grader = { name: "final_state", category: "final_state", grade };
