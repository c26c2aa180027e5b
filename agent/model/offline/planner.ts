/**
 * The offline planner: given the conversation so far, the next assistant turn. It walks one fixed
 * plan (search → event and availability → hold → budget, tasks, guests → calendar, document,
 * Slack, invitations → deposit → summary) and works out where it is from the tool calls already in
 * the conversation, never from memory, so the same messages always give the same turn.
 */
import { DateTime } from "luxon";
import { calendarDaysBetween } from "../../../lib/time.js";
import type { ConversationMessage, ModelTool } from "../types.js";
import * as render from "./render.js";
import { firstWeekdayOfMonth, parseConversation, saysAnything, startWeekday, type OfflineEventKind, type PlanningRequest } from "./request.js";
import {
  availabilityResult,
  bookingResult,
  eventResult,
  failureOf,
  guestsResult,
  valueOf,
  vendorsResult,
  venuesResult,
  type Booking,
  type CreatedEvent,
  type Money,
  type Vendor,
  type Venue,
} from "./results.js";
import { readTranscript, type CallRecord, type Transcript } from "./transcript.js";

export const TOOL = {
  searchVenues: "postgres__search_venues",
  searchVendors: "postgres__search_vendors",
  createEvent: "postgres__create_event",
  checkVenue: "postgres__check_venue_availability",
  holdVenue: "postgres__hold_venue",
  addBudgetLine: "postgres__add_budget_line",
  addTasks: "postgres__add_tasks",
  requestQuote: "postgres__request_vendor_quote",
  addGuests: "postgres__add_guests",
  calendarEvent: "calendar__create_calendar_event",
  document: "gdrive__create_document",
  slackPost: "slack__post_message",
  invitations: "twilio__send_invitations",
  deposit: "stripe__pay_vendor_deposit",
} as const;

/** Venues whose availability is checked per turn: enough to find a free one, few enough to read. */
const CHECK_BATCH = 3;
const DEPOSIT_PERCENT = 30;
const CONTINGENCY_PERCENT = 10;
/** A caterer or AV company quoting per hour is assumed to work an eight-hour day. */
const HOURS_PER_DAY = 8;
/** Dollar currencies a bare "$" may mean, when the city's venues charge in one of them. */
const DOLLARS = new Set(["USD", "CAD", "SGD", "MXN", "AUD", "NZD", "HKD"]);

/** Local start and end hours: work events by day, celebrations into the evening (ending before midnight, so one venue day). */
const HOURS: Record<OfflineEventKind, [number, number]> = {
  offsite: [9, 18], conference: [9, 18], meeting: [9, 17], workshop: [9, 17], other: [9, 18], wedding: [14, 23], birthday: [19, 23], party: [19, 23],
};

/** Venue kinds that suit an event type, preferred over the others (which stay as fallbacks). */
const PREFERRED_VENUES: Record<OfflineEventKind, readonly string[]> = {
  offsite: ["conference_center", "hotel", "loft", "coworking", "historic", "winery", "garden"],
  conference: ["conference_center", "hotel"],
  meeting: ["coworking", "conference_center", "hotel", "loft"],
  workshop: ["coworking", "loft", "conference_center", "hotel"],
  wedding: ["historic", "garden", "winery", "beach_club", "rooftop", "hotel"],
  birthday: ["restaurant", "rooftop", "beach_club", "loft"],
  party: ["rooftop", "beach_club", "loft", "restaurant", "historic"],
  other: [],
};

const NEEDS_AV: readonly OfflineEventKind[] = ["offsite", "conference", "meeting", "workshop"];

export interface PlannedCall {
  name: string;
  input: Record<string, unknown>;
}

/** The next turn: calls to make, or (no calls) the final answer in `text`. */
export interface PlannedTurn {
  text: string;
  calls: PlannedCall[];
}

export interface PlannerInput {
  messages: readonly ConversationMessage[];
  tools: readonly ModelTool[];
  now: Date;
}

export interface BudgetLinePlan {
  category: "venue" | "catering" | "av" | "other";
  description: string;
  plannedMinor: number;
  venueBookingId?: string;
}

export interface TaskPlan {
  title: string;
  notes?: string;
  daysBeforeEvent: number;
}

/** Everything the plan decided, for the document, the Slack post and the summary. */
export interface PlanView {
  facts: PlanningRequest;
  event: CreatedEvent;
  venue: Venue;
  booking: Booking;
  budget: Money | null;
  lines: BudgetLinePlan[];
  caterer: Vendor | undefined;
  cateringNote: string | undefined;
  tasks: TaskPlan[];
  /** What the venue deposit will be, whether or not it gets paid. */
  deposit: Money & { percent: number };
  calls: readonly CallRecord[];
  earlierEvents: readonly render.EarlierDraft[];
}

function answer(text: string): PlannedTurn {
  return { text, calls: [] };
}

export function planNextTurn(input: PlannerInput): PlannedTurn {
  const transcript = readTranscript(input.messages);
  const latest = transcript.requests.at(-1);
  if (latest === undefined) return answer(render.askForRequest());
  if (transcript.requests.length > 1 && transcript.calls.length === 0 && !saysAnything(latest, input.now)) return answer(render.nothingNew());
  const facts = parseConversation(transcript.requests, input.now);
  if (facts.city === null || facts.headcount === null) return answer(render.askForEssentials(facts));
  const tools = new Set(input.tools.map((tool) => tool.name));
  const absent = [TOOL.searchVenues, TOOL.createEvent].find((name) => !tools.has(name));
  if (absent !== undefined) return answer(render.missingTool(absent));
  return new PlanningPass(facts, transcript.calls, earlierDrafts(transcript), tools, input.now).next();
}

/**
 * Events earlier passes created: from their calls when this run made them, and from their answers
 * when an earlier run did (a run sees earlier runs only as messages).
 */
function earlierDrafts(transcript: Transcript): render.EarlierDraft[] {
  const drafts = new Map<string, render.EarlierDraft>();
  for (const call of transcript.earlierCalls) {
    const event = call.name === TOOL.createEvent ? valueOf(call, eventResult)?.event : undefined;
    if (event) drafts.set(event.id, { id: event.id, title: event.title });
  }
  for (const answer of transcript.earlierAnswers) {
    const draft = render.draftNamedIn(answer);
    if (draft && !drafts.has(draft.id)) drafts.set(draft.id, draft);
  }
  return [...drafts.values()];
}

/** Dates the request named, or (none named) the first suitable weekday of the month after next. */
function eventDates(facts: PlanningRequest, now: Date): { start: string; end: string } {
  if (facts.startDate !== null && facts.endDate !== null) return { start: facts.startDate, end: facts.endDate };
  const month = DateTime.fromJSDate(now, { zone: "utc" }).plus({ months: 2 });
  const start = firstWeekdayOfMonth(month.year, month.month, startWeekday(facts.kind, facts.days));
  return { start: start.toISODate() ?? "", end: start.plus({ days: facts.days - 1 }).toISODate() ?? "" };
}

function perUnitCost(vendor: Vendor, headcount: number, days: number): number {
  const price = vendor.priceRange.min.amountMinor;
  switch (vendor.priceUnit) {
    case "per_person":
      return price * headcount * days;
    case "per_day":
      return price * days;
    case "per_hour":
      return price * HOURS_PER_DAY * days;
    default:
      return price;
  }
}

class PlanningPass {
  private readonly dates: { start: string; end: string };

  constructor(
    private readonly facts: PlanningRequest,
    private readonly calls: readonly CallRecord[],
    private readonly earlierEvents: readonly render.EarlierDraft[],
    private readonly tools: ReadonlySet<string>,
    private readonly now: Date,
  ) {
    this.dates = eventDates(facts, now);
  }

  next(): PlannedTurn {
    const searched = this.find(TOOL.searchVenues, (call) => call.input.minCapacity !== undefined);
    if (!searched) return this.turn(render.progress.searching(this.facts), [this.searchVenues(), ...this.searchVendors()]);
    const found = valueOf(searched, venuesResult);
    if (!found) return answer(render.searchFailed(failureOf(searched, venuesResult) ?? "unknown error"));

    const fitting = found.venues.filter((venue) => this.facts.accessibility.every((feature) => venue.accessibility.includes(feature)));
    if (fitting.length === 0) return this.noVenueFits();

    const currency = this.currency(fitting);
    if (currency === undefined) return answer(render.currencyMismatch(this.facts, fitting));
    const candidates = this.ordered(fitting.filter((venue) => venue.dayRate.currency === currency));
    const caterers = this.vendors("catering", currency);
    const cheapestCatering = Math.min(...caterers.map((vendor) => this.cost(vendor)));
    const cateringFloor = Number.isFinite(cheapestCatering) ? cheapestCatering : 0;
    const budget = this.facts.budget === null ? null : { amountMinor: this.facts.budget.amountMinor, currency };
    const affordable = budget === null ? candidates : candidates.filter((venue) => this.venueCost(venue) + cateringFloor <= budget.amountMinor);
    if (budget !== null && affordable.length === 0) return answer(render.overBudget(this.facts, budget, candidates, (venue) => this.venueCost(venue), cateringFloor, this.dates));

    const created = this.find(TOOL.createEvent);
    if (!created) {
      const checks = this.tools.has(TOOL.checkVenue) ? affordable.slice(0, CHECK_BATCH).map((venue) => this.checkVenue(venue)) : [];
      return this.turn(render.progress.creating(this.facts, affordable), [this.createEvent(affordable[0] ?? fitting[0], budget), ...checks]);
    }
    const event = valueOf(created, eventResult)?.event;
    if (!event) return answer(render.stepFailed("create the event", failureOf(created, eventResult) ?? "unknown error"));

    const held = this.held();
    if (!held) return this.holdNext(event, affordable);
    const venue = affordable.find((candidate) => candidate.id === held.venueId) ?? fitting.find((candidate) => candidate.id === held.venueId);
    if (!venue) return answer(render.stepFailed("match the held venue to the search", held.venueName));

    const view = this.view(event, venue, held, budget, caterers);
    for (const phase of [this.recordPhase(view), this.sharePhase(view), this.depositPhase(view)]) {
      if (phase.calls.length > 0 && !phase.calls.some((call) => this.find(call.name))) return phase;
    }
    return answer(render.summary(view));
  }

  // --- reading the pass so far -----------------------------------------------------------------

  private find(name: string, match: (call: CallRecord) => boolean = () => true): CallRecord | undefined {
    return this.calls.find((call) => call.name === name && match(call));
  }

  private turn(text: string, calls: PlannedCall[]): PlannedTurn {
    return { text, calls: calls.filter((call) => this.tools.has(call.name)) };
  }

  private vendors(category: string, currency: string): Vendor[] {
    const call = this.find(TOOL.searchVendors, (candidate) => candidate.input.category === category);
    return (valueOf(call, vendorsResult)?.vendors ?? []).filter((vendor) => vendor.priceRange.min.currency === currency);
  }

  private cost(vendor: Vendor): number {
    return perUnitCost(vendor, this.facts.headcount ?? 1, this.facts.days);
  }

  private venueCost(venue: Venue): number {
    return venue.dayRate.amountMinor * this.facts.days;
  }

  private held(): Booking | undefined {
    for (const call of this.calls) {
      const booking = call.name === TOOL.holdVenue ? valueOf(call, bookingResult)?.booking : undefined;
      if (booking) return booking;
    }
    return undefined;
  }

  /** The budget's currency when a venue charges in it; a bare "$" becomes the local dollar. */
  private currency(venues: readonly Venue[]): string | undefined {
    const charged = [...new Set(venues.map((venue) => venue.dayRate.currency))];
    const budget = this.facts.budget;
    if (budget === null) return venues[0]?.dayRate.currency;
    if (charged.includes(budget.currency)) return budget.currency;
    if (budget.ambiguousDollar) return charged.find((code) => DOLLARS.has(code));
    return undefined;
  }

  /** Venue kinds that suit the event first; within each group the search's order (smallest that fits, then cheapest). */
  private ordered(venues: readonly Venue[]): Venue[] {
    const preferred = PREFERRED_VENUES[this.facts.kind];
    return [...venues.filter((venue) => preferred.includes(venue.kind)), ...venues.filter((venue) => !preferred.includes(venue.kind))];
  }

  // --- the steps -------------------------------------------------------------------------------

  private searchVenues(): PlannedCall {
    const wheelchair = this.facts.accessibility.includes("step_free_access") && this.facts.accessibility.includes("accessible_toilets");
    return {
      name: TOOL.searchVenues,
      input: { city: this.facts.city, minCapacity: this.facts.headcount, ...(wheelchair ? { wheelchairAccessible: true } : {}), limit: 50 },
    };
  }

  private searchVendors(): PlannedCall[] {
    const catering: PlannedCall = {
      name: TOOL.searchVendors,
      input: { city: this.facts.city, category: "catering", ...(this.facts.dietary.length > 0 ? { dietary: this.facts.dietary } : {}), limit: 20 },
    };
    const av: PlannedCall = { name: TOOL.searchVendors, input: { city: this.facts.city, category: "av", limit: 10 } };
    return NEEDS_AV.includes(this.facts.kind) ? [catering, av] : [catering];
  }

  private noVenueFits(): PlannedTurn {
    const survey = this.find(TOOL.searchVenues, (call) => call.input.minCapacity === undefined);
    if (!survey) return this.turn(render.progress.surveying(this.facts), [{ name: TOOL.searchVenues, input: { city: this.facts.city, limit: 200 } }]);
    return answer(render.noVenueFits(this.facts, valueOf(survey, venuesResult)?.venues ?? []));
  }

  private times(timeZone: string): { startsAt: string; endsAt: string } {
    const [startHour, endHour] = HOURS[this.facts.kind];
    const start = DateTime.fromISO(this.dates.start, { zone: timeZone }).set({ hour: startHour });
    const end = DateTime.fromISO(this.dates.end, { zone: timeZone }).set({ hour: endHour });
    return { startsAt: start.toISO({ suppressMilliseconds: true }) ?? "", endsAt: end.toISO({ suppressMilliseconds: true }) ?? "" };
  }

  private createEvent(venue: Venue | undefined, budget: Money | null): PlannedCall {
    const timeZone = venue?.timeZone ?? "UTC";
    const requirements = {
      ...(this.facts.dietary.length > 0 ? { dietary: this.facts.dietary } : {}),
      ...(this.facts.accessibility.length > 0 ? { accessibility: this.facts.accessibility } : {}),
    };
    return {
      name: TOOL.createEvent,
      input: {
        title: render.eventTitle(this.facts, this.dates),
        kind: this.facts.kind,
        city: venue?.city ?? this.facts.city,
        ...(venue ? { countryCode: venue.countryCode } : {}),
        timeZone,
        ...this.times(timeZone),
        headcount: this.facts.headcount,
        ...(budget ? { budgetMinor: budget.amountMinor } : {}),
        currency: budget?.currency ?? venue?.dayRate.currency,
        ...(Object.keys(requirements).length > 0 ? { requirements } : {}),
      },
    };
  }

  private checkVenue(venue: Venue): PlannedCall {
    return { name: TOOL.checkVenue, input: { venueId: venue.id, ...this.times(venue.timeZone) } };
  }

  /** Hold the first candidate known to be free; check the next few when none is; give up when all were tried. */
  private holdNext(event: CreatedEvent, candidates: readonly Venue[]): PlannedTurn {
    const checked = new Map<string, boolean>();
    for (const call of this.calls.filter((candidate) => candidate.name === TOOL.checkVenue)) {
      const result = valueOf(call, availabilityResult);
      checked.set(String(call.input.venueId), result?.available === true);
    }
    const tried = new Set(this.calls.filter((call) => call.name === TOOL.holdVenue).map((call) => String(call.input.venueId)));
    const canCheck = this.tools.has(TOOL.checkVenue);
    const free = candidates.find((venue) => !tried.has(venue.id) && (canCheck ? checked.get(venue.id) === true : true));
    if (free && this.tools.has(TOOL.holdVenue)) {
      const hold: PlannedCall = {
        name: TOOL.holdVenue,
        input: { eventId: event.id, venueId: free.id, startsAt: event.startsAt.utc, endsAt: event.endsAt.utc, currency: free.dayRate.currency, notes: `Held by the offline planner for ${event.title}` },
      };
      return this.turn(render.progress.holding(free), [hold]);
    }
    const unchecked = canCheck ? candidates.filter((venue) => !checked.has(venue.id)) : [];
    if (unchecked.length > 0) {
      return this.turn(render.progress.checkingMore(unchecked.length), unchecked.slice(0, CHECK_BATCH).map((venue) => ({ name: TOOL.checkVenue, input: { venueId: venue.id, startsAt: event.startsAt.utc, endsAt: event.endsAt.utc } })));
    }
    const holdFailures = this.calls.filter((call) => call.name === TOOL.holdVenue).map((call) => failureOf(call, bookingResult) ?? "");
    return answer(render.noVenueFree(this.facts, event, candidates, holdFailures, this.tools.has(TOOL.holdVenue)));
  }

  private view(event: CreatedEvent, venue: Venue, booking: Booking, budget: Money | null, caterers: readonly Vendor[]): PlanView {
    const { lines, caterer, cateringNote } = this.budgetLines(booking, venue, budget, caterers);
    const deposit = { amountMinor: Math.round((booking.price.amountMinor * DEPOSIT_PERCENT) / 100), currency: booking.price.currency, percent: DEPOSIT_PERCENT };
    return { facts: this.facts, event, venue, booking, budget, lines, caterer, cateringNote, tasks: this.tasks(event, venue, caterer), deposit, calls: this.calls, earlierEvents: this.earlierEvents };
  }

  /**
   * Venue at the held price, then catering, AV and a contingency as far as the budget reaches, in
   * that order: a line that would take the plan past the budget is left out and said so.
   */
  private budgetLines(booking: Booking, venue: Venue, budget: Money | null, caterers: readonly Vendor[]): Pick<PlanView, "lines" | "caterer" | "cateringNote"> {
    const { headcount, days, dietary } = this.facts;
    const currency = booking.price.currency;
    let remaining = budget === null ? Number.POSITIVE_INFINITY : budget.amountMinor - booking.price.amountMinor;
    const lines: BudgetLinePlan[] = [
      { category: "venue", description: `Venue: ${venue.name}, ${render.plural(days, "day")} (on hold)`, plannedMinor: booking.price.amountMinor, venueBookingId: booking.id },
    ];
    const caterer = caterers.find((vendor) => this.cost(vendor) <= remaining);
    let cateringNote: string | undefined;
    if (caterer) {
      const cost = this.cost(caterer);
      const needs = dietary.length > 0 ? `, ${render.list(dietary.map(render.need))}` : "";
      lines.push({ category: "catering", description: `Catering for ${headcount ?? 0} x ${render.plural(days, "day")}${needs}: ${caterer.name}, from ${render.money(caterer.priceRange.min.amountMinor, currency)} ${render.unit(caterer.priceUnit, days)}`, plannedMinor: cost });
      remaining -= cost;
    } else if (caterers.length > 0) {
      cateringNote = "no caterer in the catalogue fits what is left of the budget after the venue";
    } else {
      cateringNote = `no caterer in ${venue.city} in the catalogue offers ${dietary.length > 0 ? render.list(dietary.map(render.need)) : `prices in ${currency}`}${venue.cateringInHouse ? `; ${venue.name} has in-house catering, ask it for a quote` : ""}`;
    }
    if (NEEDS_AV.includes(this.facts.kind)) {
      const av = [...this.vendors("av", currency)].sort((a, b) => this.cost(a) - this.cost(b))[0];
      if (av && this.cost(av) <= remaining) {
        lines.push({ category: "av", description: `AV (projector, sound): ${av.name}, from ${render.money(av.priceRange.min.amountMinor, currency)} ${render.unit(av.priceUnit, days)}`, plannedMinor: this.cost(av) });
        remaining -= this.cost(av);
      }
    }
    if (budget !== null) {
      const contingency = Math.min(Math.round((budget.amountMinor * CONTINGENCY_PERCENT) / 100), remaining);
      if (contingency > 0) lines.push({ category: "other", description: `Contingency (up to ${CONTINGENCY_PERCENT}% of the budget)`, plannedMinor: contingency });
    }
    return { lines, caterer, cateringNote };
  }

  /** A timeline counted back from the event; on short notice every deadline moves up to the day before. */
  private tasks(event: CreatedEvent, venue: Venue, caterer: Vendor | undefined): TaskPlan[] {
    const daysLeft = calendarDaysBetween(this.now, new Date(event.startsAt.utc), event.timeZone);
    const due = (days: number) => Math.max(0, Math.min(days, daysLeft - 1));
    const { kind, dietary, accessibility, guests, headcount } = this.facts;
    const tasks: TaskPlan[] = [
      { title: `Confirm the booking with ${venue.name}`, notes: `On hold for ${render.dateRange(event)}; the ${DEPOSIT_PERCENT}% deposit needs approval before it is paid.`, daysBeforeEvent: due(60) },
      {
        title: dietary.length > 0 ? `Book catering (${render.list(dietary.map(render.need))})` : "Book catering",
        notes: caterer ? `Quote requested from ${caterer.name} for ${headcount ?? 0} people.` : "No caterer chosen yet.",
        daysBeforeEvent: due(45),
      },
      { title: guests.length > 0 ? "Follow up on SMS invitations and RSVPs" : "Send invitations and collect RSVPs", daysBeforeEvent: due(42) },
    ];
    if (kind === "wedding") tasks.push({ title: "Arrange flowers, decor and music", daysBeforeEvent: due(60) });
    if (kind === "party" || kind === "birthday") tasks.push({ title: "Arrange music and decorations", daysBeforeEvent: due(21) });
    if (kind === "conference") tasks.push({ title: "Publish the programme and speaker schedule", daysBeforeEvent: due(30) });
    if (NEEDS_AV.includes(kind)) tasks.push({ title: "Book AV: projector, microphones, video calls", daysBeforeEvent: due(30) });
    if (accessibility.length > 0) tasks.push({ title: `Confirm accessibility with the venue (${render.list(accessibility.map(render.need))})`, daysBeforeEvent: due(30) });
    tasks.push(
      { title: "Send final numbers and dietary needs to the caterer", daysBeforeEvent: due(10) },
      { title: "Write the run-of-show: agenda, roles, timings", daysBeforeEvent: due(7) },
      { title: "Share the run-of-show with the team and the venue", daysBeforeEvent: due(2) },
    );
    return tasks.sort((a, b) => b.daysBeforeEvent - a.daysBeforeEvent);
  }

  /** Write the plan into the event's own records: nothing here reaches anyone outside. */
  private recordPhase(view: PlanView): PlannedTurn {
    const { event, booking, lines, caterer, tasks, facts } = view;
    const calls: PlannedCall[] = lines.map((line) => ({
      name: TOOL.addBudgetLine,
      input: { eventId: event.id, category: line.category, description: line.description, plannedMinor: line.plannedMinor, currency: booking.price.currency, ...(line.venueBookingId ? { venueBookingId: line.venueBookingId } : {}) },
    }));
    calls.push({ name: TOOL.addTasks, input: { eventId: event.id, tasks } });
    if (caterer) {
      const needs = facts.dietary.length > 0 ? `; dietary needs: ${render.list(facts.dietary.map(render.need))}` : "";
      calls.push({
        name: TOOL.requestQuote,
        input: { eventId: event.id, vendorId: caterer.id, description: `Catering for ${facts.headcount ?? 0} people over ${render.plural(facts.days, "day")}, ${render.dateRange(event)} at ${view.venue.name}${needs}`, currency: booking.price.currency },
      });
    }
    if (facts.guests.length > 0) calls.push({ name: TOOL.addGuests, input: { eventId: event.id, guests: facts.guests.map((guest) => ({ name: guest.name, phone: guest.phone })) } });
    return this.turn(render.progress.recording(view), calls);
  }

  /** Tell the team (calendar without outside attendees, document, internal channel) and invite the guests. */
  private sharePhase(view: PlanView): PlannedTurn {
    const { event, venue } = view;
    const calls: PlannedCall[] = [
      {
        name: TOOL.calendarEvent,
        input: {
          summary: event.title,
          description: render.calendarDescription(view),
          location: `${venue.name}, ${venue.address}`,
          start: event.startsAt.utc,
          end: event.endsAt.utc,
          timeZone: event.timeZone,
          attendees: [],
          notifyAttendees: false,
        },
      },
      { name: TOOL.document, input: { title: `${event.title}: plan`.slice(0, 200), markdown: render.documentMarkdown(view) } },
      { name: TOOL.slackPost, input: { text: render.slackText(view) } },
    ];
    const added = valueOf(this.find(TOOL.addGuests), guestsResult)?.guests ?? [];
    const recipients = view.facts.guests.flatMap((guest, index) => {
      const id = added[index]?.id;
      return id === undefined ? [] : [{ name: guest.name, phone: guest.phone, guestId: id }];
    });
    if (recipients.length > 0) calls.push({ name: TOOL.invitations, input: { recipients, template: render.invitationTemplate(view) } });
    return this.turn(render.progress.sharing(recipients.length > 0), calls);
  }

  private depositPhase(view: PlanView): PlannedTurn {
    const { booking, venue, event, deposit } = view;
    if (deposit.amountMinor < 1) return this.turn("", []);
    return this.turn(render.progress.deposit(), [
      {
        name: TOOL.deposit,
        input: {
          vendorName: venue.name.slice(0, 200),
          vendorReference: booking.id,
          description: `${deposit.percent}% deposit for ${venue.name}, ${render.dateRange(event)}`.slice(0, 500),
          amountMinor: deposit.amountMinor,
          currency: deposit.currency,
          eventId: event.id,
        },
      },
    ]);
  }
}

