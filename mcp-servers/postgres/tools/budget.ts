import { z } from "zod";
import { addBudgetLine, getBudgetSummary } from "../../../domain/budget.js";
import { BUDGET_CATEGORIES, type BudgetLine } from "../../../drizzle/schema/index.js";
import { currencyCode, minorUnits, uuid } from "../../../lib/formats.js";
import { defineTool } from "../../host/tool.js";
import { money, moneyOrNull, moneyOutput } from "../present.js";

export const budgetLineOutput = z.object({
  id: z.string(),
  category: z.enum(BUDGET_CATEGORIES),
  description: z.string(),
  planned: moneyOutput,
  committed: moneyOutput,
  venueBookingId: z.string().nullable(),
  vendorQuoteId: z.string().nullable(),
});

export function presentBudgetLine(line: BudgetLine): z.infer<typeof budgetLineOutput> {
  return {
    id: line.id,
    category: line.category,
    description: line.description,
    planned: money(line.plannedMinor, line.currency),
    committed: money(line.committedMinor, line.currency),
    venueBookingId: line.venueBookingId,
    vendorQuoteId: line.vendorQuoteId,
  };
}

export const budgetTools = [
  defineTool({
    name: "add_budget_line",
    title: "Add budget line",
    description:
      "Record a planned cost on an event's budget, and what is already committed (signed or accepted) if any, in integer minor units of the event's currency; link the venue booking or vendor quote it pays for. Check budget_summary first: never commit past the event's budget. Returns the line.",
    input: {
      eventId: uuid.describe("id returned by create_event or list_events"),
      category: z.enum(BUDGET_CATEGORIES),
      description: z.string().trim().min(1, { error: "must not be empty" }).max(500).describe("what the money is for, e.g. 'Lunch for 40, two days'"),
      plannedMinor: minorUnits.describe("expected cost in integer minor units (EUR 1,200 = 120000)"),
      committedMinor: minorUnits.optional().describe("the part already contractually committed, in minor units; default 0"),
      currency: currencyCode.describe("ISO 4217; must be the event's currency"),
      venueBookingId: uuid.optional().describe("the event's venue booking this line pays for"),
      vendorQuoteId: uuid.optional().describe("the event's vendor quote this line pays for"),
    },
    output: { line: budgetLineOutput },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, { eventId, ...line }) => ({ line: presentBudgetLine(await addBudgetLine(ctx, eventId, line)) }),
  }),
  defineTool({
    name: "budget_summary",
    title: "Budget summary",
    description:
      "An event's budget against what is planned and committed, overall and per category, with what remains. overBudget is true once planned or committed spend exceeds the budget; the agent must not commit money past the budget, and should tell the requester instead.",
    input: { eventId: uuid.describe("id returned by create_event or list_events") },
    output: {
      eventId: z.string(),
      currency: z.string(),
      budget: moneyOutput.nullable().describe("the event's budget; null when none is set"),
      planned: moneyOutput,
      committed: moneyOutput,
      remaining: moneyOutput.nullable().describe("budget - committed; negative once commitments exceed the budget; null without a budget"),
      overBudget: z.boolean().describe("planned or committed spend exceeds the budget"),
      categories: z
        .array(z.object({ category: z.enum(BUDGET_CATEGORIES), planned: moneyOutput, committed: moneyOutput }))
        .describe("categories with at least one line; they have no budget of their own"),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: false,
    handler: async (ctx, { eventId }) => {
      const summary = await getBudgetSummary(ctx, eventId);
      const { currency } = summary;
      return {
        eventId: summary.eventId,
        currency,
        budget: moneyOrNull(summary.budgetMinor, currency),
        planned: money(summary.plannedMinor, currency),
        committed: money(summary.committedMinor, currency),
        remaining: moneyOrNull(summary.remainingMinor, currency),
        overBudget: summary.overBudget,
        categories: summary.categories.map((c) => ({ category: c.category, planned: money(c.plannedMinor, currency), committed: money(c.committedMinor, currency) })),
      };
    },
  }),
];
