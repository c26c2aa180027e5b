import { and, asc, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { conversations, messages, runs, type Conversation, type Message } from "../drizzle/schema/index.js";
import { NotFoundError } from "../lib/errors.js";
import { uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { ownedRow, pageSize } from "./scope.js";
import { createInsertSchema } from "./zod.js";

/** Matches the messages_content_size check, so an oversized message is refused by name, not by the database. */
export const MAX_MESSAGE_LENGTH = 100_000;

export const createConversationInput = createInsertSchema(conversations, {
  title: (s) => s.trim().min(1, { error: "must not be empty" }).max(200),
  externalRef: (s) => s.trim().min(1, { error: "must not be empty" }).max(500),
})
  .pick({ title: true, channel: true, externalRef: true })
  // drizzle-zod types refined nullable columns as required although they are optional at runtime.
  .partial()
  .strict();
export type CreateConversationInput = z.input<typeof createConversationInput>;

export const addMessageInput = createInsertSchema(messages, {
  content: (s) => s.trim().min(1, { error: "must not be empty" }).max(MAX_MESSAGE_LENGTH, { error: `must be at most ${MAX_MESSAGE_LENGTH} characters` }),
  runId: uuid.nullish(),
})
  .pick({ role: true, content: true, runId: true })
  .strict();
export type AddMessageInput = z.input<typeof addMessageInput>;

export const listConversationsInput = z.object({ limit: z.number().int().positive().optional() }).strict();

export async function createConversation(ctx: DomainContext, input: CreateConversationInput = {}): Promise<Conversation> {
  const values = parseInput(createConversationInput, input);
  const [row] = await ctx.db
    .insert(conversations)
    .values({ ...values, workspaceId: ctx.workspaceId })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function getConversation(ctx: DomainContext, id: string): Promise<Conversation> {
  const [row] = await ctx.db.select().from(conversations).where(ownedRow(conversations, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("conversation", id);
  return row;
}

export async function listConversations(ctx: DomainContext, input: z.input<typeof listConversationsInput> = {}): Promise<Conversation[]> {
  const { limit } = parseInput(listConversationsInput, input);
  return ctx.db
    .select()
    .from(conversations)
    .where(eq(conversations.workspaceId, ctx.workspaceId))
    .orderBy(desc(conversations.updatedAt), desc(conversations.id))
    .limit(pageSize(limit));
}

/** The conversation a Slack thread (or another outside channel) maps to; unique per workspace. */
export async function findConversationByExternalRef(ctx: DomainContext, ref: string): Promise<Conversation | undefined> {
  const externalRef = parseInput(z.string().trim().min(1, { error: "must not be empty" }).max(500), ref);
  const [row] = await ctx.db
    .select()
    .from(conversations)
    .where(and(eq(conversations.workspaceId, ctx.workspaceId), eq(conversations.externalRef, externalRef)))
    .orderBy(desc(conversations.updatedAt), desc(conversations.id))
    .limit(1);
  return row;
}

/**
 * The conversation for an outside thread (a Slack `channel:thread_ts`), created on its first message.
 * Two events of a new thread may arrive at once; the unique (workspace, externalRef) key makes the
 * second insert a no-op, so both get the same conversation.
 */
export async function ensureExternalConversation(ctx: DomainContext, input: { channel: Conversation["channel"]; externalRef: string; title?: string }): Promise<Conversation> {
  const values = parseInput(createConversationInput, input);
  await ctx.db
    .insert(conversations)
    .values({ ...values, workspaceId: ctx.workspaceId })
    .onConflictDoNothing({ target: [conversations.workspaceId, conversations.externalRef] });
  const row = await findConversationByExternalRef(ctx, input.externalRef);
  if (!row) throw new Error(`conversation ${input.externalRef} was inserted and removed meanwhile`);
  return row;
}

/** Append a message and mark the conversation as active, atomically, so list order follows the latest message. */
export async function addMessage(ctx: DomainContext, conversationId: string, input: AddMessageInput): Promise<Message> {
  const id = parseInput(uuid, conversationId);
  const values = parseInput(addMessageInput, input);
  return ctx.db.transaction(async (tx) => {
    // Database clock, like createdAt, so "newest-updated first" never mixes two clocks. The row lock
    // taken here also serialises messages of one conversation, so their createdAt order is exact.
    const [bumped] = await tx
      .update(conversations)
      .set({ updatedAt: sql`now()` })
      .where(ownedRow(conversations, ctx, id))
      .returning({ id: conversations.id });
    if (!bumped) throw new NotFoundError("conversation", conversationId);
    if (values.runId) {
      // The foreign key alone would accept a run from another workspace or conversation.
      const [run] = await tx
        .select({ id: runs.id })
        .from(runs)
        .where(and(ownedRow(runs, ctx, values.runId), eq(runs.conversationId, id)))
        .limit(1);
      if (!run) throw new NotFoundError("run", values.runId);
    }
    const [row] = await tx
      .insert(messages)
      .values({ ...values, conversationId: id, workspaceId: ctx.workspaceId })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return row;
  });
}

export async function listMessages(ctx: DomainContext, conversationId: string): Promise<Message[]> {
  const conversation = await getConversation(ctx, conversationId);
  return ctx.db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, ctx.workspaceId), eq(messages.conversationId, conversation.id)))
    .orderBy(asc(messages.createdAt), asc(messages.id));
}

/** The conversation with its messages and runs, both oldest first: what GET /v1/conversations/:id shows. */
export async function getConversationThread(ctx: DomainContext, id: string) {
  const row = await ctx.db.query.conversations.findFirst({
    where: ownedRow(conversations, ctx, parseInput(uuid, id)),
    with: {
      messages: { where: (m, { eq }) => eq(m.workspaceId, ctx.workspaceId), orderBy: (m, { asc }) => [asc(m.createdAt), asc(m.id)] },
      runs: { where: (r, { eq }) => eq(r.workspaceId, ctx.workspaceId), orderBy: (r, { asc }) => [asc(r.createdAt), asc(r.id)] },
    },
  });
  if (!row) throw new NotFoundError("conversation", id);
  return row;
}
export type ConversationThread = Awaited<ReturnType<typeof getConversationThread>>;
