import { createSchemaFactory } from "drizzle-zod";

/**
 * Input schemas are derived from the Drizzle tables (then narrowed with the shared formats in
 * lib/formats.ts), so a column and its validation never drift apart. Dates arrive as ISO strings
 * over JSON and MCP, hence the coercion.
 */
export const { createInsertSchema, createUpdateSchema, createSelectSchema } = createSchemaFactory({ coerce: { date: true } });
