import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, unique, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import { checks, createdAt, id, money, sameWorkspaceParent, updatedAt, workspaceId } from "./columns.js";
import { vendors, venues } from "./catalogue.js";
import { conversations } from "./conversations.js";

export const EVENT_KINDS = ["offsite", "conference", "wedding", "birthday", "party", "meeting", "workshop", "other"] as const;
export const eventKind = pgEnum("event_kind", EVENT_KINDS);

export const EVENT_STATUSES = ["draft", "planning", "confirmed", "completed", "cancelled"] as const;
export const eventStatus = pgEnum("event_status", EVENT_STATUSES);

export const BOOKING_STATUSES = ["hold", "requested", "confirmed", "cancelled"] as const;
export const bookingStatus = pgEnum("booking_status", BOOKING_STATUSES);

export const QUOTE_STATUSES = ["requested", "received", "accepted", "declined", "expired"] as const;
export const quoteStatus = pgEnum("quote_status", QUOTE_STATUSES);

export const RSVP_STATUSES = ["not_invited", "invited", "accepted", "declined", "tentative"] as const;
export const rsvpStatus = pgEnum("rsvp_status", RSVP_STATUSES);

export const TASK_STATUSES = ["todo", "in_progress", "done", "cancelled"] as const;
export const taskStatus = pgEnum("task_status", TASK_STATUSES);

export const BUDGET_CATEGORIES = ["venue", "catering", "av", "photography", "transport", "decor", "entertainment", "accommodation", "staff", "other"] as const;
export const budgetCategory = pgEnum("budget_category", BUDGET_CATEGORIES);

export interface EventRequirements {
  dietary?: string[];
  accessibility?: string[];
  notes?: string;
}

export const events = pgTable(
  "events",
  {
    id: id(),
    workspaceId: workspaceId(),
    conversationId: uuid().references((): AnyPgColumn => conversations.id, { onDelete: "set null" }),
    title: text().notNull(),
    kind: eventKind().notNull().default("other"),
    status: eventStatus().notNull().default("draft"),
    city: text(),
    countryCode: text(),
    /** The event's IANA zone: times are stored as instants and shown in this zone. */
    timeZone: text().notNull(),
    startsAt: timestamp({ withTimezone: true }),
    endsAt: timestamp({ withTimezone: true }),
    headcount: integer().notNull(),
    budgetMinor: money(),
    currency: text().notNull(),
    requirements: jsonb().$type<EventRequirements>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("events_id_workspace_unique").on(t.id, t.workspaceId),
    index("events_workspace_created_idx").on(t.workspaceId, t.createdAt),
    index("events_workspace_status_idx").on(t.workspaceId, t.status),
    index("events_conversation_idx").on(t.conversationId),
    check("events_headcount_positive", sql`${t.headcount} > 0`),
    check("events_budget_non_negative", checks.nonNegative(t.budgetMinor)),
    check("events_currency_iso4217", checks.currency(t.currency)),
    check("events_country_code_iso3166", checks.countryCode(t.countryCode)),
    check("events_time_zone_iana", checks.timeZone(t.timeZone)),
    check("events_ends_after_starts", sql`${t.endsAt} > ${t.startsAt}`),
  ],
);

/** Child rows reference their event together with the workspace (see sameWorkspaceParent). */
const eventId = () => uuid().notNull();

export const venueBookings = pgTable(
  "venue_bookings",
  {
    id: id(),
    workspaceId: workspaceId(),
    eventId: eventId(),
    // A catalogue venue with bookings on record cannot silently disappear.
    venueId: uuid()
      .notNull()
      .references(() => venues.id, { onDelete: "restrict" }),
    status: bookingStatus().notNull().default("hold"),
    startsAt: timestamp({ withTimezone: true }).notNull(),
    endsAt: timestamp({ withTimezone: true }).notNull(),
    priceMinor: money().notNull(),
    currency: text().notNull(),
    notes: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    sameWorkspaceParent("venue_bookings_event_fk", { parentId: t.eventId, workspaceId: t.workspaceId }, events),
    unique("venue_bookings_id_workspace_unique").on(t.id, t.workspaceId),
    index("venue_bookings_event_idx").on(t.eventId),
    index("venue_bookings_venue_time_idx").on(t.venueId, t.startsAt, t.endsAt),
    index("venue_bookings_workspace_idx").on(t.workspaceId),
    check("venue_bookings_ends_after_starts", sql`${t.endsAt} > ${t.startsAt}`),
    check("venue_bookings_price_non_negative", checks.nonNegative(t.priceMinor)),
    check("venue_bookings_currency_iso4217", checks.currency(t.currency)),
  ],
);

export const vendorQuotes = pgTable(
  "vendor_quotes",
  {
    id: id(),
    workspaceId: workspaceId(),
    eventId: eventId(),
    vendorId: uuid()
      .notNull()
      .references(() => vendors.id, { onDelete: "restrict" }),
    status: quoteStatus().notNull().default("requested"),
    amountMinor: money(),
    currency: text().notNull(),
    description: text().notNull().default(""),
    /** Text written by the vendor: untrusted, shown to the model fenced. */
    vendorNotes: text(),
    validUntil: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    sameWorkspaceParent("vendor_quotes_event_fk", { parentId: t.eventId, workspaceId: t.workspaceId }, events),
    index("vendor_quotes_event_idx").on(t.eventId),
    index("vendor_quotes_vendor_idx").on(t.vendorId),
    index("vendor_quotes_workspace_idx").on(t.workspaceId),
    check("vendor_quotes_amount_non_negative", checks.nonNegative(t.amountMinor)),
    check("vendor_quotes_currency_iso4217", checks.currency(t.currency)),
    check("vendor_quotes_priced_when_received", sql`${t.status} in ('requested', 'declined', 'expired') or ${t.amountMinor} is not null`),
  ],
);

export const guests = pgTable(
  "guests",
  {
    id: id(),
    workspaceId: workspaceId(),
    eventId: eventId(),
    name: text().notNull(),
    email: text(),
    phone: text(),
    rsvpStatus: rsvpStatus().notNull().default("not_invited"),
    dietary: text().array().notNull().default(sql`'{}'::text[]`),
    accessibility: text().array().notNull().default(sql`'{}'::text[]`),
    plusOnes: integer().notNull().default(0),
    /** Text written by the guest (SMS replies): untrusted, shown to the model fenced. */
    notes: text(),
    invitedAt: timestamp({ withTimezone: true }),
    respondedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    sameWorkspaceParent("guests_event_fk", { parentId: t.eventId, workspaceId: t.workspaceId }, events),
    unique("guests_event_phone_unique").on(t.eventId, t.phone),
    unique("guests_event_email_unique").on(t.eventId, t.email),
    index("guests_event_idx").on(t.eventId, t.rsvpStatus),
    // Inbound SMS webhooks find the guest by the sender's number.
    index("guests_workspace_phone_idx").on(t.workspaceId, t.phone),
    check("guests_phone_e164", checks.e164(t.phone)),
    check("guests_email_format", checks.email(t.email)),
    check("guests_plus_ones_range", sql`${t.plusOnes} between 0 and 10`),
    check("guests_name_not_blank", sql`length(trim(${t.name})) > 0`),
    // An invitation needs a way to reach the guest.
    check("guests_contact_present", sql`${t.email} is not null or ${t.phone} is not null`),
  ],
);

export const tasks = pgTable(
  "tasks",
  {
    id: id(),
    workspaceId: workspaceId(),
    eventId: eventId(),
    title: text().notNull(),
    notes: text(),
    status: taskStatus().notNull().default("todo"),
    dueAt: timestamp({ withTimezone: true }),
    assignee: text(),
    position: integer().notNull().default(0),
    completedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    sameWorkspaceParent("tasks_event_fk", { parentId: t.eventId, workspaceId: t.workspaceId }, events),
    index("tasks_event_due_idx").on(t.eventId, t.dueAt),
    index("tasks_workspace_idx").on(t.workspaceId),
    check("tasks_title_not_blank", sql`length(trim(${t.title})) > 0`),
    check("tasks_completed_when_done", sql`(${t.status} = 'done') = (${t.completedAt} is not null)`),
  ],
);

export const budgetLines = pgTable(
  "budget_lines",
  {
    id: id(),
    workspaceId: workspaceId(),
    eventId: eventId(),
    category: budgetCategory().notNull(),
    description: text().notNull(),
    plannedMinor: money().notNull().default(0),
    committedMinor: money().notNull().default(0),
    currency: text().notNull(),
    venueBookingId: uuid().references(() => venueBookings.id, { onDelete: "set null" }),
    vendorQuoteId: uuid().references(() => vendorQuotes.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    sameWorkspaceParent("budget_lines_event_fk", { parentId: t.eventId, workspaceId: t.workspaceId }, events),
    index("budget_lines_event_category_idx").on(t.eventId, t.category),
    index("budget_lines_workspace_idx").on(t.workspaceId),
    index("budget_lines_venue_booking_idx").on(t.venueBookingId),
    index("budget_lines_vendor_quote_idx").on(t.vendorQuoteId),
    check("budget_lines_planned_non_negative", checks.nonNegative(t.plannedMinor)),
    check("budget_lines_committed_non_negative", checks.nonNegative(t.committedMinor)),
    check("budget_lines_currency_iso4217", checks.currency(t.currency)),
  ],
);

export type Event = typeof events.$inferSelect;
export type NewEvent = typeof events.$inferInsert;
export type VenueBooking = typeof venueBookings.$inferSelect;
export type VendorQuote = typeof vendorQuotes.$inferSelect;
export type Guest = typeof guests.$inferSelect;
export type Task = typeof tasks.$inferSelect;
export type BudgetLine = typeof budgetLines.$inferSelect;
export type EventKind = (typeof EVENT_KINDS)[number];
export type EventStatus = (typeof EVENT_STATUSES)[number];
export type RsvpStatus = (typeof RSVP_STATUSES)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type BudgetCategory = (typeof BUDGET_CATEGORIES)[number];
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
export type QuoteStatus = (typeof QUOTE_STATUSES)[number];
