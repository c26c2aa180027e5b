/**
 * Everything the offline planner writes for people: progress lines, questions, the planning
 * document, the Slack post, the SMS template and the final summary. Plain words and Markdown,
 * always saying that no language model was involved, so nobody mistakes a rule's output for Claude's.
 */
import { DateTime } from "luxon";
import type { z } from "zod";
import { formatMinor } from "../../../lib/money.js";
import type { BudgetLinePlan, PlanView, TaskPlan } from "./planner.js";
import type { PlanningRequest } from "./request.js";
import { calendarResult, declinedWords, documentResult, failureOf, guestsResult, invitationsResult, messageResult, paymentResult, tasksResult, valueOf, type CreatedEvent, type Money, type Venue } from "./results.js";
import type { CallRecord } from "./transcript.js";

export const OFFLINE_NOTE = "Produced by the offline rule-based planner (no language model was used; set ANTHROPIC_API_KEY to plan with Claude).";

const LOCALE = "en-GB";
const EXAMPLE = '"Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000"';

// --- small formatters ----------------------------------------------------------------------------

export function money(amountMinor: number, currency: string): string {
  return formatMinor(amountMinor, currency);
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1) ?? ""}`;
}

const NEED_WORDS: Record<string, string> = { gluten_free: "gluten-free", nut_free: "nut-free", dairy_free: "dairy-free", step_free_access: "step-free access" };

export function need(value: string): string {
  return NEED_WORDS[value] ?? value.replace(/_/g, " ");
}

/** How a vendor's price was counted: per person and per hour prices are taken per day of the event. */
export function unit(priceUnit: string, days: number): string {
  const words = priceUnit.replace(/_/g, " ");
  return days > 1 && (priceUnit === "per_person" || priceUnit === "per_hour") ? `${words} per day` : words;
}

function day(iso: string, zone = "utc"): DateTime {
  return DateTime.fromISO(iso, { zone, locale: LOCALE });
}

/** "12 June 2027", "2-3 March 2027", "30 March-2 April 2027" (ASCII, so an SMS stays in GSM-7). */
function dayRange(start: DateTime, end: DateTime): string {
  if (start.hasSame(end, "day")) return start.toFormat("d LLLL yyyy");
  if (start.hasSame(end, "month")) return `${start.toFormat("d")}-${end.toFormat("d LLLL yyyy")}`;
  if (start.hasSame(end, "year")) return `${start.toFormat("d LLLL")}-${end.toFormat("d LLLL yyyy")}`;
  return `${start.toFormat("d LLLL yyyy")}-${end.toFormat("d LLLL yyyy")}`;
}

export function dateRange(event: CreatedEvent): string {
  return dayRange(day(event.startsAt.utc, event.timeZone), day(event.endsAt.utc, event.timeZone));
}

function whenExactly(event: CreatedEvent): string {
  const start = day(event.startsAt.utc, event.timeZone);
  const end = day(event.endsAt.utc, event.timeZone);
  const endText = start.hasSame(end, "day") ? end.toFormat("HH:mm") : end.toFormat("ccc d LLLL yyyy HH:mm");
  return `${start.toFormat("ccc d LLLL yyyy HH:mm")} to ${endText} (${event.timeZone})`;
}

function kindLabel(kind: PlanningRequest["kind"]): string {
  return kind === "other" ? "event" : kind;
}

export function eventTitle(facts: PlanningRequest, dates: { start: string; end: string }): string {
  return `${facts.city ?? "Event"} ${kindLabel(facts.kind)}, ${dayRange(day(dates.start), day(dates.end))}`.slice(0, 200);
}

function understood(facts: PlanningRequest): string {
  const parts = [`${kindLabel(facts.kind)}`];
  if (facts.headcount !== null) parts.push(`for ${facts.headcount} people`);
  if (facts.city !== null) parts.push(`in ${facts.city}`);
  if (facts.startDate !== null && facts.endDate !== null) parts.push(`on ${dayRange(day(facts.startDate), day(facts.endDate))}`);
  if (facts.budget !== null) parts.push(`budget ${money(facts.budget.amountMinor, facts.budget.currency)}`);
  if (facts.dietary.length > 0) parts.push(`catering: ${list(facts.dietary.map(need))}`);
  if (facts.accessibility.length > 0) parts.push(`access: ${list(facts.accessibility.map(need))}`);
  if (facts.guests.length > 0) parts.push(`guests: ${list(facts.guests.map((guest) => guest.name))}`);
  return parts.join(", ");
}

function withNote(text: string): string {
  return `${text}\n\n_${OFFLINE_NOTE}_`;
}

// --- answers that end a pass early ---------------------------------------------------------------

export function askForRequest(): string {
  return withNote(`What should I plan? Tell me the city, the number of people, the dates and the budget, e.g. ${EXAMPLE}.`);
}

export function nothingNew(): string {
  return withNote(
    "I found nothing in that message to change the plan. I understand the city, number of people, dates (\"on 12 June 2027\", \"in April\"), length (\"2-day\"), budget (\"EUR 30000\"), event type, dietary and accessibility needs, and guests to invite with their phone numbers (\"invite Ana Silva +351912345678\").",
  );
}

export function askForEssentials(facts: PlanningRequest): string {
  const missing = [facts.city === null ? "which city" : undefined, facts.headcount === null ? "how many people" : undefined].filter((item): item is string => item !== undefined);
  return withNote(`To plan this I need to know ${list(missing)}. So far I understood: ${understood(facts)}. For example: ${EXAMPLE}.`);
}

export function missingTool(tool: string): string {
  return withNote(`I cannot plan without ${tool}, which is not available in this run. Nothing was created.`);
}

export function searchFailed(error: string): string {
  return withNote(`Searching for venues failed (${error}). Nothing was created or held.`);
}

export function stepFailed(what: string, error: string): string {
  return withNote(`I could not ${what}: ${error}. I stopped there; nothing after this step was done.`);
}

export function noVenueFits(facts: PlanningRequest, cityVenues: readonly Venue[]): string {
  const access = facts.accessibility.length > 0 ? ` with ${list(facts.accessibility.map(need))}` : "";
  const largest = [...cityVenues].sort((a, b) => b.capacity - a.capacity)[0];
  const detail =
    cityVenues.length === 0
      ? `The venue catalogue has no venues in ${facts.city ?? "that city"}.`
      : `No venue in ${facts.city ?? "that city"}${access} holds ${facts.headcount ?? 0} people: the largest there is ${largest?.name ?? "?"} for ${largest?.capacity ?? 0}.`;
  const options = cityVenues.length === 0 ? "You could choose a city the catalogue covers, or add a venue you know to it." : "You could split the group, choose another city, or add a venue you know to the catalogue.";
  return withNote(`${detail} I did not create an event or hold a venue. ${options}`);
}

export function currencyMismatch(facts: PlanningRequest, venues: readonly Venue[]): string {
  const charged = [...new Set(venues.map((venue) => venue.dayRate.currency))];
  return withNote(
    `The venues in ${facts.city ?? "that city"} charge in ${list(charged)}, but the budget is in ${facts.budget?.currency ?? "another currency"}. The offline planner does not convert currencies, so I did not create anything: please give the budget in ${list(charged)}.`,
  );
}

export function overBudget(facts: PlanningRequest, budget: Money, candidates: readonly Venue[], venueCost: (venue: Venue) => number, cateringMinor: number, dates: { start: string; end: string }): string {
  const cheapest = [...candidates].sort((a, b) => venueCost(a) - venueCost(b))[0];
  const venueMinor = cheapest ? venueCost(cheapest) : 0;
  const catering = cateringMinor > 0 ? ` plus catering from ${money(cateringMinor, budget.currency)}` : "";
  return withNote(
    `The budget of ${money(budget.amountMinor, budget.currency)} does not cover the cheapest venue that fits ${facts.headcount ?? 0} people in ${facts.city ?? "that city"} for ${dayRange(day(dates.start), day(dates.end))}: ` +
      `${cheapest?.name ?? "?"} at ${money(venueMinor, budget.currency)} for ${plural(facts.days, "day")}${catering}, at least ${money(venueMinor + cateringMinor, budget.currency)} in all. ` +
      "I did not create an event or hold a venue rather than overspend. A larger budget, fewer days or fewer people would make it possible.",
  );
}

export function noVenueFree(facts: PlanningRequest, event: CreatedEvent, candidates: readonly Venue[], holdFailures: readonly string[], canHold: boolean): string {
  const why = canHold ? `none of the ${plural(candidates.length, "venue")} that fit and are within budget is free then` : "the hold_venue tool is not available in this run";
  const failures = holdFailures.filter(Boolean).map((failure) => `- hold refused: ${failure}`);
  return withNote(
    [`I created the draft event "${event.title}" (${event.id}) for ${whenExactly(event)}, but could not hold a venue: ${why}. Try other dates; the event is kept as a draft.`, ...failures].join("\n"),
  );
}

// --- progress lines for tool turns ---------------------------------------------------------------

export const progress = {
  searching: (facts: PlanningRequest) => `Searching venues in ${facts.city ?? "?"} for ${facts.headcount ?? 0} people, and caterers${facts.dietary.length > 0 ? ` (${list(facts.dietary.map(need))})` : ""}.`,
  surveying: (facts: PlanningRequest) => `No venue fits; looking at every venue in ${facts.city ?? "?"} to say why.`,
  creating: (facts: PlanningRequest, candidates: readonly Venue[]) =>
    `Creating the ${kindLabel(facts.kind)} and checking availability of ${list(candidates.slice(0, 3).map((venue) => venue.name))}.`,
  holding: (venue: Venue) => `Holding ${venue.name}.`,
  checkingMore: (count: number) => `The venues checked so far are taken; checking ${plural(Math.min(count, 3), "more venue")}.`,
  recording: (view: PlanView) =>
    `Recording ${list([`the budget (${plural(view.lines.length, "line")})`, "the timeline", ...(view.caterer ? ["a catering quote request"] : []), ...(view.facts.guests.length > 0 ? ["the guests"] : [])])}.`,
  sharing: (invites: boolean) => `Adding a team calendar entry, the planning document and a Slack post${invites ? ", and sending SMS invitations (needs approval)" : ""}.`,
  deposit: () => "Requesting the venue deposit payment (needs approval).",
};

// --- what the plan shares ------------------------------------------------------------------------

function total(lines: readonly BudgetLinePlan[]): number {
  return lines.reduce((sum, line) => sum + line.plannedMinor, 0);
}

function budgetTable(view: PlanView): string[] {
  const currency = view.booking.price.currency;
  const rows = view.lines.map((line) => `| ${line.category} | ${line.description.replace(/\|/g, "/")} | ${money(line.plannedMinor, currency)} |`);
  const planned = total(view.lines);
  const footer = [`| | **Total planned** | **${money(planned, currency)}** |`];
  if (view.budget) footer.push(`| | Budget | ${money(view.budget.amountMinor, currency)} |`, `| | Left | ${money(view.budget.amountMinor - planned, currency)} |`);
  return ["| Category | Line | Planned |", "| --- | --- | ---: |", ...rows, ...footer];
}

function find(calls: readonly CallRecord[], name: string): CallRecord | undefined {
  return calls.find((call) => call.name.endsWith(`__${name}`));
}

/** Due dates as the server set them when the tasks were recorded, else counted back from the event. */
function timeline(view: PlanView): string[] {
  const recorded = valueOf(find(view.calls, "add_tasks"), tasksResult)?.tasks;
  if (recorded) return recorded.map((task) => `- ${task.dueAt ? task.dueAt.local.slice(0, 10) : "no date"}: ${task.title}`);
  return view.tasks.map((task: TaskPlan) => `- ${plural(task.daysBeforeEvent, "day")} before: ${task.title}`);
}

export function calendarDescription(view: PlanView): string {
  return `${view.facts.headcount ?? 0} people at ${view.venue.name} (on hold). Team calendar entry from the offline rule-based planner; the planning document in Drive has the budget and timeline.`;
}

export function documentMarkdown(view: PlanView): string {
  const { event, venue, facts } = view;
  const needs = [...facts.dietary.map(need), ...facts.accessibility.map(need)];
  return [
    `# ${event.title}`,
    "",
    `_Draft plan from the offline rule-based planner (no language model). Check it before relying on it._`,
    "",
    "## Event",
    `- Type: ${kindLabel(facts.kind)}, ${facts.headcount ?? 0} people`,
    `- When: ${whenExactly(event)}`,
    `- Venue: ${venue.name}, ${venue.address} (capacity ${venue.capacity}; on hold, not yet confirmed)`,
    ...(needs.length > 0 ? [`- Needs: ${list(needs)}`] : []),
    ...(view.caterer ? [`- Caterer: ${view.caterer.name} (quote requested)`] : []),
    ...(view.cateringNote ? [`- Catering: ${view.cateringNote}`] : []),
    "",
    `## Budget (${view.booking.price.currency})`,
    ...budgetTable(view),
    "",
    "## Timeline",
    ...timeline(view),
    "",
    "## Guests",
    ...(facts.guests.length > 0 ? facts.guests.map((guest) => `- ${guest.name} (invitation by SMS, needs approval)`) : ["- No guests listed yet."]),
    "",
    "## Waiting for approval",
    `- Venue deposit: ${money(view.deposit.amountMinor, view.deposit.currency)} (${view.deposit.percent}%) to ${venue.name}`,
    ...(facts.guests.length > 0 ? [`- SMS invitations to ${plural(facts.guests.length, "guest")}`] : []),
    "",
  ].join("\n");
}

export function slackText(view: PlanView): string {
  const { event, venue, facts, booking } = view;
  const currency = booking.price.currency;
  const budget = view.budget ? `budget ${money(view.budget.amountMinor, currency)}, planned ${money(total(view.lines), currency)}` : `planned ${money(total(view.lines), currency)} (no budget given)`;
  return [
    `*${event.title}* (draft plan from the offline planner)`,
    `• ${facts.headcount ?? 0} people at ${venue.name} (on hold), ${whenExactly(event)}`,
    `• ${budget}`,
    `• Waiting for approval: venue deposit${facts.guests.length > 0 ? `, SMS invitations to ${plural(facts.guests.length, "guest")}` : ""}`,
    "• The planning document in Drive has the budget table and the timeline.",
  ].join("\n");
}

export function invitationTemplate(view: PlanView): string {
  return `Hi {name}! You're invited to ${view.event.title} at ${view.venue.name}, ${view.venue.city}. Please reply YES or NO.`;
}

// --- the final answer ----------------------------------------------------------------------------

function outcomeLine(call: CallRecord | undefined, done: string, what: string): string {
  if (!call) return `${what}: not done (the tool is not available in this run).`;
  const failure = failureOfAny(call);
  return failure === undefined ? done : `${what}: not done, ${failure}.`;
}

function callSchema(call: CallRecord): z.ZodType | undefined {
  if (call.name.endsWith("__create_calendar_event")) return calendarResult;
  if (call.name.endsWith("__create_document")) return documentResult;
  if (call.name.endsWith("__post_message")) return messageResult;
  if (call.name.endsWith("__pay_vendor_deposit")) return paymentResult;
  if (call.name.endsWith("__send_invitations")) return invitationsResult;
  if (call.name.endsWith("__add_guests")) return guestsResult;
  if (call.name.endsWith("__add_tasks")) return tasksResult;
  return undefined;
}

function failureOfAny(call: CallRecord): string | undefined {
  const schema = callSchema(call);
  if (schema) return failureOf(call, schema);
  if (call.outcome === undefined) return "no result came back";
  return call.outcome.ok ? undefined : (declinedWords(call.outcome.declined) ?? call.outcome.error);
}

function guestsSummary(view: PlanView): string[] {
  if (view.facts.guests.length === 0) return [];
  const names = list(view.facts.guests.map((guest) => guest.name));
  const invitations = find(view.calls, "send_invitations");
  const result = valueOf(invitations, invitationsResult);
  if (result) {
    const skipped = result.results.filter((item) => item.status !== "sent").map((item) => `${item.name} (${item.reason ?? "skipped"})`);
    return [`- Guests: ${names}. SMS invitations: ${result.sent} sent${skipped.length > 0 ? `, not sent to ${list(skipped)}` : ""}.`];
  }
  if (invitations) return [`- Guests: ${names}. SMS invitations were not sent: ${failureOfAny(invitations) ?? "unknown"}.`];
  return [`- Guests: ${names}. SMS invitations were not sent (${find(view.calls, "add_guests") ? "the guests could not be added" : "no SMS tool in this run"}).`];
}

function depositSummary(view: PlanView): string {
  const { amountMinor, currency, percent } = view.deposit;
  const what = `Deposit of ${money(amountMinor, currency)} (${percent}%) to ${view.venue.name}`;
  const call = find(view.calls, "pay_vendor_deposit");
  if (!call) return `- ${what}: not paid (no payment tool in this run).`;
  const payment = valueOf(call, paymentResult)?.payment;
  if (payment) return `- ${what}: ${payment.status === "succeeded" ? "paid" : `payment ${payment.status}`} (${payment.id}).`;
  const note = call.outcome?.ok === false && call.outcome.note ? ` Their note: "${call.outcome.note}"` : "";
  if (call.outcome?.ok === false && call.outcome.declined === "rejected") return `- ${what}: NOT paid. A person rejected the payment; the venue stays on hold, unpaid.${note}`;
  if (call.outcome?.ok === false && call.outcome.declined === "expired") return `- ${what}: NOT paid. Nobody approved the payment in time; the venue stays on hold, unpaid.`;
  return `- ${what}: NOT paid, the payment failed: ${failureOfAny(call) ?? "unknown"}.`;
}

function notes(view: PlanView): string[] {
  const { facts } = view;
  const notes: string[] = [];
  if (facts.dateBasis === "month") notes.push(`Only the month was given, so the plan starts on the first ${day(facts.startDate ?? "").toFormat("cccc 'of' LLLL yyyy")}.`);
  if (facts.dateBasis === null) notes.push("No dates were given, so I picked some two months out; tell me the dates to change them.");
  if (facts.budget === null) notes.push("No budget was given, so nothing was checked against one.");
  if (view.cateringNote) notes.push(`Catering: ${view.cateringNote}.`);
  const recordCalls = view.calls.filter((call) => /__(add_budget_line|add_tasks|request_vendor_quote|add_guests)$/.test(call.name));
  for (const call of recordCalls) {
    const failure = failureOfAny(call);
    if (failure !== undefined) notes.push(`${call.name} failed: ${failure}.`);
  }
  for (const event of view.earlierEvents) notes.push(`This is a new plan. The earlier draft "${event.title}" (${event.id}) and any hold it has are unchanged: release them if they are no longer needed.`);
  return notes.map((note) => `- ${note}`);
}

/** An earlier plan's event, as far as a later pass needs it: to say that it is still there. */
export interface EarlierDraft {
  id: string;
  title: string;
}

const SUMMARY_TITLE = /^\*\*(.+)\*\*: draft plan\.$/m;
const SUMMARY_EVENT = /^- Event: .*\(event ([^\s()]+)\)\.$/m;

/**
 * The draft a summary (below) names, read back from its words; undefined for any other answer. A
 * follow-up runs as a new run, which sees the earlier plan only as the answer it left.
 */
export function draftNamedIn(answer: string): EarlierDraft | undefined {
  const title = SUMMARY_TITLE.exec(answer)?.[1];
  const id = SUMMARY_EVENT.exec(answer)?.[1];
  return title !== undefined && id !== undefined ? { id, title } : undefined;
}

export function summary(view: PlanView): string {
  const { event, venue, facts, booking } = view;
  const doc = valueOf(find(view.calls, "create_document"), documentResult)?.document;
  const post = valueOf(find(view.calls, "post_message"), messageResult)?.message;
  const planNotes = notes(view);
  return [
    `**${event.title}**: draft plan.`,
    "",
    `- Event: ${kindLabel(facts.kind)} for ${facts.headcount ?? 0} people, ${whenExactly(event)} (event ${event.id}).`,
    `- Venue: ${venue.name}, ${venue.address} (capacity ${venue.capacity}), on hold for ${money(booking.price.amountMinor, booking.price.currency)}; confirm it with the venue.`,
    ...(view.caterer ? [`- Catering: quote requested from ${view.caterer.name}${facts.dietary.length > 0 ? ` (${list(facts.dietary.map(need))})` : ""}.`] : []),
    "",
    `Budget (${booking.price.currency}):`,
    "",
    ...budgetTable(view),
    "",
    "Timeline:",
    ...timeline(view),
    "",
    "Shared with the team:",
    `- ${outcomeLine(find(view.calls, "create_calendar_event"), "Calendar: a team entry, no outside attendees invited.", "Calendar")}`,
    `- ${outcomeLine(find(view.calls, "create_document"), `Planning document: "${doc?.title ?? ""}" ${doc?.webViewLink ?? ""}`.trim(), "Planning document")}`,
    `- ${outcomeLine(find(view.calls, "post_message"), `Slack: posted in #${post?.channel.name ?? ""}.`, "Slack post")}`,
    ...guestsSummary(view),
    "",
    "Payments:",
    depositSummary(view),
    ...(planNotes.length > 0 ? ["", "Notes:", ...planNotes] : []),
    "",
    `_${OFFLINE_NOTE}_`,
  ].join("\n");
}
