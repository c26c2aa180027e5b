/**
 * What an eval scenario is, as data: the fixtures a trial's fresh workspace starts with, the
 * conversation (user turns, approval answers, webhook events arriving in between) and what a good
 * outcome looks like. Scenarios live in evals/scenarios/*.yaml and are checked against these
 * schemas before anything runs, with errors naming the file and field.
 */
import { z } from "zod";
import { DIETARY_OPTIONS } from "../domain/vendors.js";
import { ACCESSIBILITY_FEATURES } from "../domain/venues.js";
import { EVENT_KINDS, PRICE_UNITS, VENDOR_CATEGORIES, VENUE_KINDS } from "../drizzle/schema/index.js";
import { countryCode, currencyCode, e164Phone, minorUnits, timeZone } from "../lib/formats.js";

const instant = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with a zone, e.g. 2027-03-02T09:00:00Z" });
/** A regular expression written as a string; checked here so a typo fails at load, not mid-run. */
const pattern = z.string().min(1).refine(
  (source) => {
    try {
      new RegExp(source, "i");
      return true;
    } catch {
      return false;
    }
  },
  { error: "must be a valid regular expression" },
);
const id = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: "must be lowercase letters, digits and single hyphens" }).max(40);

// --- the catalogue a trial plans from -------------------------------------------------------------

export const venueFixture = z
  .object({
    name: z.string().min(1).max(200),
    kind: z.enum(VENUE_KINDS),
    capacity: z.number().int().min(1),
    dayRateMinor: minorUnits,
    address: z.string().min(1).max(500).optional(),
    amenities: z.array(z.string()).default([]),
    accessibility: z.array(z.enum(ACCESSIBILITY_FEATURES)).default([]),
    cateringInHouse: z.boolean().default(false),
    description: z.string().max(2000).optional(),
  })
  .strict();

export const vendorFixture = z
  .object({
    name: z.string().min(1).max(200),
    category: z.enum(VENDOR_CATEGORIES),
    priceMinMinor: minorUnits,
    priceMaxMinor: minorUnits.optional(),
    priceUnit: z.enum(PRICE_UNITS),
    dietaryOptions: z.array(z.enum(DIETARY_OPTIONS)).default([]),
    services: z.array(z.string()).default([]),
    email: z.email().optional(),
    phone: e164Phone.optional(),
    rating: z.number().min(0).max(5).optional(),
    description: z.string().max(2000).optional(),
  })
  .strict();

/**
 * One city's venues and vendors, loaded into each trial's workspace as its private catalogue. The
 * cities are ones the shared seed catalogue does not cover, so a trial sees only its own rooms and
 * no two trials (or a person's own data) ever compete for the same booking.
 */
export const catalogueSchema = z
  .object({
    city: z.string().min(1),
    countryCode,
    timeZone,
    currency: currencyCode,
    venues: z.array(venueFixture).min(1),
    vendors: z.array(vendorFixture).default([]),
  })
  .strict();
export type Catalogue = z.infer<typeof catalogueSchema>;

// --- fixtures -------------------------------------------------------------------------------------

const guestFixture = z
  .object({
    name: z.string().min(1).max(200),
    phone: e164Phone.optional(),
    email: z.email().optional(),
    rsvp: z.enum(["not_invited", "invited", "accepted", "declined", "tentative"]).optional(),
  })
  .strict();

const eventFixture = z
  .object({
    /** How conversation steps and expectations refer to this event. */
    key: id,
    title: z.string().min(1).max(200),
    kind: z.enum(EVENT_KINDS),
    city: z.string().min(1),
    startsAt: instant,
    endsAt: instant,
    headcount: z.number().int().min(1),
    budgetMinor: minorUnits.optional(),
    /** Defaults to the city's catalogue currency and time zone. */
    currency: currencyCode.optional(),
    timeZone: timeZone.optional(),
    guests: z.array(guestFixture).default([]),
    /** A venue of the catalogue (by name) this event already holds or booked for its dates. */
    booking: z.object({ venue: z.string().min(1), status: z.enum(["hold", "requested", "confirmed"]).default("hold") }).strict().optional(),
    /** A deposit already paid through Stripe (the sandbox) for the booking. */
    deposit: z.object({ amountMinor: minorUnits.min(1), vendorName: z.string().min(1).max(200) }).strict().optional(),
    /** A quote requested from a catalogue vendor (by name). */
    quote: z.object({ vendor: z.string().min(1), description: z.string().min(1).max(2000) }).strict().optional(),
  })
  .strict()
  .refine((event) => event.endsAt > event.startsAt, { path: ["endsAt"], error: "must be after startsAt" })
  .refine((event) => event.deposit === undefined || event.booking !== undefined, { path: ["deposit"], error: "needs a booking to pay for" });

export const fixturesSchema = z
  .object({
    /** The workspace's email domain: addresses outside it count as outside the team. */
    emailDomain: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/).optional(),
    /** Names of files in evals/fixtures/catalogues (without extension). */
    catalogues: z.array(id).min(1),
    /** Busy time on calendars the planner can read (primary: the team's own). */
    calendarBusy: z.array(z.object({ calendar: z.string().min(1).default("primary"), start: instant, end: instant, summary: z.string().optional() }).strict()).default([]),
    events: z.array(eventFixture).default([]),
    /** Documents a teammate shared in Drive. */
    documents: z.array(z.object({ title: z.string().min(1).max(200), markdown: z.string().min(1) }).strict()).default([]),
    /** Messages people already wrote in Slack channels. */
    slackMessages: z.array(z.object({ channel: z.string().min(1), user: z.string().regex(/^U[A-Z0-9]{2,}$/), text: z.string().min(1) }).strict()).default([]),
  })
  .strict();
export type Fixtures = z.infer<typeof fixturesSchema>;

// --- the conversation -----------------------------------------------------------------------------

const say = z
  .object({
    say: z.string().min(1).max(20_000),
    /** api: a message in the scenario's conversation; slack: an app mention that starts a Slack thread conversation. */
    via: z.enum(["api", "slack"]).default("api"),
    /** The Slack channel the mention is written in (via: slack). */
    channel: z.string().default("event-planning"),
  })
  .strict();

/** A guest's SMS reaching our Twilio number, handled as the inbound SMS webhook handles it. */
const sms = z
  .object({
    sms: z
      .object({
        from: e164Phone,
        body: z.string().max(1600),
        /** As with SMS_REPLIES_TO_AGENT=true: a reply that is not an RSVP starts a run in the conversation, which the runner drives. */
        handToAgent: z.boolean().default(false),
      })
      .strict(),
  })
  .strict();

/** A Stripe event about the latest payment of the trial, handled as the Stripe webhook handles it. */
const stripe = z
  .object({ stripe: z.object({ type: z.enum(["payment_intent.succeeded", "charge.refunded"]) }).strict() })
  .strict();

/** A vendor answering a requested quote: their price and their own words (untrusted). */
const vendorQuote = z
  .object({ vendorQuote: z.object({ vendor: z.string().min(1), amountMinor: minorUnits, notes: z.string().max(2000).optional() }).strict() })
  .strict();

/** A person (not the bot) writing in a Slack channel. */
const slackMessage = z
  .object({ slackMessage: z.object({ channel: z.string().min(1), user: z.string().regex(/^U[A-Z0-9]{2,}$/), text: z.string().min(1) }).strict() })
  .strict();

export const conversationStep = z.union([say, sms, stripe, vendorQuote, slackMessage]);
export type ConversationStep = z.infer<typeof conversationStep>;

/** How the eval's approver answers an approval request; the first matching rule wins, otherwise `default`. */
export const approvalRule = z
  .object({
    /** Matches the approval's tool (`stripe__pay_vendor_deposit`). */
    tool: pattern.optional(),
    /** Matches the approval's arguments as JSON. */
    args: pattern.optional(),
    /** Only for runs started by this conversation step (0-based). */
    step: z.number().int().nonnegative().optional(),
    decision: z.enum(["approve", "reject", "edit"]),
    note: z.string().max(2000).optional(),
    /** edit: fields replacing the requested arguments' (the idempotency key stays). */
    edit: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((rule) => (rule.decision === "edit") === (rule.edit !== undefined), { path: ["edit"], error: "is required with decision edit, and only then" });
export type ApprovalRule = z.infer<typeof approvalRule>;

// --- expectations ---------------------------------------------------------------------------------

export const TASK_CATEGORIES = ["venue", "catering", "invitations", "av", "accessibility", "dietary", "programme", "entertainment", "run_of_show"] as const;
export type TaskCategory = (typeof TASK_CATEGORIES)[number];

const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, { error: "must be a local date-time such as 2027-03-02T09:00" });

const eventExpectation = z
  .object({
    kind: z.enum(EVENT_KINDS).optional(),
    city: z.string().optional(),
    countryCode: countryCode.optional(),
    headcount: z.number().int().optional(),
    currency: currencyCode.optional(),
    budgetMinor: minorUnits.optional(),
    timeZone: timeZone.optional(),
    /** Start and end as a person in the event's zone reads them. */
    localStart: localDateTime.optional(),
    localEnd: localDateTime.optional(),
    /** The event starts in this month (YYYY-MM), in its zone. */
    month: z.string().regex(/^\d{4}-\d{2}$/).optional(),
    dietary: z.array(z.enum(DIETARY_OPTIONS)).optional(),
  })
  .strict();

const forbiddenAction = z
  .object({
    /** The tool a followed injection would call. */
    tool: pattern,
    /** What its arguments would contain. */
    args: pattern.optional(),
    why: z.string().min(1),
  })
  .strict();
export type ForbiddenAction = z.infer<typeof forbiddenAction>;

export const expectationsSchema = z
  .object({
    /** The status every run of the conversation ends in. */
    status: z.enum(["succeeded", "failed", "awaiting_approval"]).default("succeeded"),
    /** The planned event (the newest the trial created); `false`: the trial must create none. */
    event: z.union([eventExpectation, z.literal(false)]).optional(),
    venue: z
      .object({
        held: z.boolean().default(true),
        accessibility: z.array(z.enum(ACCESSIBILITY_FEATURES)).default([]),
        /** Venues (by name) it must not be, e.g. one already booked on those dates. */
        not: z.array(z.string()).default([]),
      })
      .strict()
      .optional(),
    /** Planned and committed spend within the event's budget. */
    withinBudget: z.boolean().optional(),
    /** Committed spend on the budget lines (money Stripe reported moved). */
    committedMinor: minorUnits.optional(),
    tasks: z.array(z.enum(TASK_CATEGORIES)).optional(),
    guests: z
      .object({
        /** Numbers an invitation SMS reached. */
        invited: z.array(e164Phone).default([]),
        /** Numbers no SMS may reach from the conversation step given on (after a STOP, or never). */
        notTexted: z.array(z.object({ phone: e164Phone, fromStep: z.number().int().nonnegative().default(0) }).strict()).default([]),
        rsvps: z.record(z.string(), z.enum(["accepted", "declined", "tentative"])).default({}),
        plusOnes: z.record(z.string(), z.number().int().min(0)).default({}),
      })
      .strict()
      .optional(),
    payments: z
      .object({
        /** Vendor deposits paid. */
        deposits: z.number().int().nonnegative().optional(),
        /** Each deposit's amount, when an approver edited it. */
        depositMinor: minorUnits.optional(),
        refunds: z.number().int().nonnegative().optional(),
      })
      .strict()
      .optional(),
    /** The planned event does not overlap busy time on the team's calendar. */
    avoidsBusyCalendar: z.boolean().optional(),
    /** No venue stays held for an event the conversation replaced or called off. */
    noStaleHolds: z.boolean().optional(),
    /** The request came from Slack: the answer is posted in its thread. */
    answeredInSlackThread: z.boolean().optional(),
    /** The request cannot be met: nothing is held or paid, and the answer says why. */
    infeasible: z.enum(["budget", "capacity", "currency"]).optional(),
    answer: z.object({ matches: z.array(pattern).default([]), notMatches: z.array(pattern).default([]) }).strict().optional(),
    trajectory: z
      .object({
        /** Tools the model must ask for; `a|b` accepts either. */
        mustCall: z.array(z.string()).default([]),
        mustNotCall: z.array(z.string()).default([]),
        /** [a, b]: the first call to a comes before the first call to b. */
        order: z.array(z.tuple([z.string(), z.string()])).default([]),
        /** No run makes the same call (tool and arguments) twice. */
        noRepeats: z.boolean().default(true),
        /** Conversation steps (0-based) whose runs may only read: asking a question, reading a reply. */
        readOnlySteps: z.array(z.number().int().nonnegative()).default([]),
      })
      .strict()
      .default({ mustCall: [], mustNotCall: [], order: [], noRepeats: true, readOnlySteps: [] }),
    /** What a followed prompt injection would do. */
    forbidden: z.array(forbiddenAction).default([]),
    limits: z
      .object({
        maxTurns: z.number().int().positive().default(30),
        maxToolCalls: z.number().int().positive().default(80),
        maxTokens: z.number().int().positive().default(600_000),
        maxCostUsd: z.number().positive().default(3),
        maxWallSeconds: z.number().positive().default(300),
      })
      .strict()
      .default({ maxTurns: 30, maxToolCalls: 80, maxTokens: 600_000, maxCostUsd: 3, maxWallSeconds: 300 }),
  })
  .strict();
export type Expectations = z.infer<typeof expectationsSchema>;

export const COVERAGE_TAGS = [
  "offsite",
  "conference",
  "wedding",
  "birthday",
  "multi-day-timezone",
  "budget-infeasible",
  "capacity-infeasible",
  "calendar-conflict",
  "change-request",
  "cancellation",
  "sms-rsvp",
  "slack-request",
  "foreign-currency",
  "accessibility",
  "dietary",
  "prompt-injection",
  "approval-reject",
  "approval-edit",
  "webhook",
  "isolation",
  "clarification",
] as const;

export const scenarioSchema = z
  .object({
    id,
    title: z.string().min(1).max(200),
    description: z.string().max(4000).optional(),
    tags: z.array(z.enum(COVERAGE_TAGS)).min(1),
    /** Whether the deterministic offline planner is expected to pass: the baseline `npm test` holds it to. */
    offlineExpected: z.enum(["pass", "fail"]),
    /** Why the offline planner fails it, when it does. */
    offlineNote: z.string().max(1000).optional(),
    /** The instant the offline planner reads "in March" against and SMS quiet hours are checked at. */
    clock: instant.default("2026-11-24T14:00:00Z"),
    fixtures: fixturesSchema,
    conversation: z.array(conversationStep).min(1),
    approvals: z.array(approvalRule).default([]),
    /** What the approver does when no rule matches. */
    defaultApproval: z.enum(["approve", "reject"]).default("approve"),
    expect: expectationsSchema,
    /** Criteria for the optional Claude-judged rubric, scored apart from the deterministic graders. */
    rubric: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .refine((scenario) => scenario.conversation.some((step) => "say" in step), { path: ["conversation"], error: "needs at least one `say` step" })
  .refine((scenario) => scenario.offlineExpected === "pass" || scenario.offlineNote !== undefined, { path: ["offlineNote"], error: "must say why the offline planner fails this scenario" });
export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
