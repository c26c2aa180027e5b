import type { Conversation, Message, Run } from "../drizzle/schema/index.js";
import { addMessage, createConversation, getConversation, type CreateConversationInput } from "./conversations.js";
import type { DomainContext } from "./context.js";
import { createRun, findRunByIdempotencyKey } from "./runs.js";

export interface SubmitPlanningRequestInput {
  /** Continue this conversation; omitted starts a new one. */
  conversationId?: string;
  conversation?: CreateConversationInput;
  content: string;
  /** The same key returns the run it first created, without a second message. */
  idempotencyKey?: string;
  provider?: string;
  model?: string;
}

export interface SubmittedPlanningRequest {
  conversation: Conversation;
  message: Message | undefined;
  run: Run;
  created: boolean;
}

/**
 * A person's message and the run that answers it, stored together: one transaction, so a crash
 * cannot leave a message nobody will answer or a run without its message. The API, the Slack
 * webhook and `event-planner plan` all start work here.
 */
export async function submitPlanningRequest(ctx: DomainContext, input: SubmitPlanningRequestInput): Promise<SubmittedPlanningRequest> {
  try {
    return await submitOnce(ctx, input);
  } catch (error) {
    if (!(error instanceof LostRace)) throw error;
    // A concurrent request with the same key won: this one's message was rolled back with it.
    return { conversation: await getConversation(ctx, error.run.conversationId), message: undefined, run: error.run, created: false };
  }
}

class LostRace extends Error {
  constructor(readonly run: Run) {
    super("a concurrent request with the same idempotency key created the run");
  }
}

async function submitOnce(ctx: DomainContext, input: SubmitPlanningRequestInput): Promise<SubmittedPlanningRequest> {
  return ctx.db.transaction(async (tx) => {
    const txCtx: DomainContext = { ...ctx, db: tx };
    if (input.idempotencyKey !== undefined) {
      const existing = await findRunByIdempotencyKey(txCtx, input.idempotencyKey);
      if (existing) {
        // createRun refuses a key reused for another conversation, with the field named.
        const { run } = await createRun(txCtx, { conversationId: input.conversationId ?? existing.conversationId, idempotencyKey: input.idempotencyKey });
        return { conversation: await getConversation(txCtx, run.conversationId), message: undefined, run, created: false };
      }
    }
    const conversation = input.conversationId !== undefined ? await getConversation(txCtx, input.conversationId) : await createConversation(txCtx, input.conversation);
    const message = await addMessage(txCtx, conversation.id, { role: "user", content: input.content });
    const { run, created } = await createRun(txCtx, {
      conversationId: conversation.id,
      triggerMessageId: message.id,
      ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
      ...(input.provider !== undefined ? { provider: input.provider } : {}),
      ...(input.model !== undefined ? { model: input.model } : {}),
    });
    if (!created) throw new LostRace(run);
    return { conversation, message, run, created };
  });
}
