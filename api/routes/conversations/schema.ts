import { z } from "zod";
import { addMessageInput, createConversationInput } from "../../../domain/conversations.js";
import { createRunInput } from "../../../domain/runs.js";
import { createSelectSchema } from "../../../domain/zod.js";
import { conversations, messages, runs } from "../../../drizzle/schema/index.js";
import { limitQuery, listOf } from "../../schemas.js";

/** `POST /v1/conversations`: only the title is the client's to choose; the channel is "api". */
export const createConversationBody = createConversationInput.pick({ title: true });

/** `POST /v1/conversations/:id/messages`. */
export const sendMessageBody = addMessageInput.pick({ content: true });

export const sendMessageHeaders = z.object({
  "idempotency-key": createRunInput.shape.idempotencyKey.describe("Repeat a request safely: the same key returns the run it first created, and stores the message once"),
});

export const listConversationsQuery = z.object({ limit: limitQuery });

export const conversationSchema = createSelectSchema(conversations);
export const messageSchema = createSelectSchema(messages);
export const runRowSchema = createSelectSchema(runs);

export const createdConversationSchema = conversationSchema;

export const acceptedMessageSchema = z.object({
  runId: z.uuid(),
  conversationId: z.uuid(),
  /** Null when an Idempotency-Key replay returned an earlier run: that message was stored the first time. */
  messageId: z.uuid().nullable(),
  status: runRowSchema.shape.status,
  /** False when the Idempotency-Key had been used: nothing new was stored. */
  created: z.boolean(),
});

export const threadSchema = conversationSchema.extend({ messages: z.array(messageSchema), runs: z.array(runRowSchema) });

export const conversationListSchema = listOf(conversationSchema);
