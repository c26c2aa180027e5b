import { relations } from "drizzle-orm";
import { vendors, venues } from "./catalogue.js";
import { conversations, messages } from "./conversations.js";
import { budgetLines, events, guests, tasks, vendorQuotes, venueBookings } from "./events.js";
import { approvals, runSteps, runs, toolCalls } from "./runs.js";

export const eventsRelations = relations(events, ({ many, one }) => ({
  conversation: one(conversations, { fields: [events.conversationId], references: [conversations.id] }),
  venueBookings: many(venueBookings),
  vendorQuotes: many(vendorQuotes),
  guests: many(guests),
  tasks: many(tasks),
  budgetLines: many(budgetLines),
}));

export const venueBookingsRelations = relations(venueBookings, ({ one }) => ({
  event: one(events, { fields: [venueBookings.eventId], references: [events.id] }),
  venue: one(venues, { fields: [venueBookings.venueId], references: [venues.id] }),
}));

export const vendorQuotesRelations = relations(vendorQuotes, ({ one }) => ({
  event: one(events, { fields: [vendorQuotes.eventId], references: [events.id] }),
  vendor: one(vendors, { fields: [vendorQuotes.vendorId], references: [vendors.id] }),
}));

export const guestsRelations = relations(guests, ({ one }) => ({ event: one(events, { fields: [guests.eventId], references: [events.id] }) }));
export const tasksRelations = relations(tasks, ({ one }) => ({ event: one(events, { fields: [tasks.eventId], references: [events.id] }) }));
export const budgetLinesRelations = relations(budgetLines, ({ one }) => ({ event: one(events, { fields: [budgetLines.eventId], references: [events.id] }) }));

export const conversationsRelations = relations(conversations, ({ many }) => ({
  messages: many(messages),
  runs: many(runs),
}));

export const messagesRelations = relations(messages, ({ one }) => ({
  conversation: one(conversations, { fields: [messages.conversationId], references: [conversations.id] }),
}));

export const runsRelations = relations(runs, ({ one, many }) => ({
  conversation: one(conversations, { fields: [runs.conversationId], references: [conversations.id] }),
  steps: many(runSteps),
  approvals: many(approvals),
  toolCalls: many(toolCalls),
}));

export const runStepsRelations = relations(runSteps, ({ one }) => ({ run: one(runs, { fields: [runSteps.runId], references: [runs.id] }) }));
export const approvalsRelations = relations(approvals, ({ one }) => ({ run: one(runs, { fields: [approvals.runId], references: [runs.id] }) }));
export const toolCallsRelations = relations(toolCalls, ({ one }) => ({ run: one(runs, { fields: [toolCalls.runId], references: [runs.id] }) }));
