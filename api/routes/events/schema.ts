import { z } from "zod";
import { listEventsInput } from "../../../domain/events.js";
import { createSelectSchema } from "../../../domain/zod.js";
import { budgetLines, events, guests, tasks, vendorQuotes, vendors, venueBookings, venues } from "../../../drizzle/schema/index.js";
import { limitQuery, listOf } from "../../schemas.js";

export const listEventsQuery = z.object({ status: listEventsInput.shape.status, limit: limitQuery });

export const eventSchema = createSelectSchema(events);
export const eventListSchema = listOf(eventSchema);

/** Money fields are integer minor units beside an ISO 4217 currency, exactly as stored. */
export const eventDetailsSchema = eventSchema.extend({
  venueBookings: z.array(createSelectSchema(venueBookings).extend({ venue: createSelectSchema(venues) })),
  vendorQuotes: z.array(createSelectSchema(vendorQuotes).extend({ vendor: createSelectSchema(vendors) })),
  guests: z.array(createSelectSchema(guests)),
  tasks: z.array(createSelectSchema(tasks)),
  budgetLines: z.array(createSelectSchema(budgetLines)),
});
