import { z } from "zod";
import { OUTBOX_KINDS, type OutboxKind } from "../../../domain/sandbox.js";
import { createSelectSchema } from "../../../domain/zod.js";
import { sandboxObjects } from "../../../drizzle/schema/index.js";
import { limitQuery, listOf } from "../../schemas.js";

const kinds = Object.keys(OUTBOX_KINDS) as [OutboxKind, ...OutboxKind[]];

export const outboxQuery = z.object({
  kind: z.enum(kinds, { error: `must be one of ${kinds.join(", ")}` }).optional(),
  limit: limitQuery,
});

export const outboxListSchema = listOf(createSelectSchema(sandboxObjects));
