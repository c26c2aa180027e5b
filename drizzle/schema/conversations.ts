import { sql } from "drizzle-orm";
import { check, index, pgEnum, pgTable, text, unique, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import { createdAt, id, sameWorkspaceParent, updatedAt, workspaceId } from "./columns.js";
import { runs } from "./runs.js";

export const CONVERSATION_CHANNELS = ["api", "web", "slack", "cli"] as const;
export const conversationChannel = pgEnum("conversation_channel", CONVERSATION_CHANNELS);

export const MESSAGE_ROLES = ["user", "assistant"] as const;
export const messageRole = pgEnum("message_role", MESSAGE_ROLES);

export const conversations = pgTable(
  "conversations",
  {
    id: id(),
    workspaceId: workspaceId(),
    title: text(),
    channel: conversationChannel().notNull().default("api"),
    /** Where the conversation lives outside us, e.g. a Slack `channel:thread_ts`. */
    externalRef: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("conversations_id_workspace_unique").on(t.id, t.workspaceId),
    index("conversations_workspace_updated_idx").on(t.workspaceId, t.updatedAt),
    // One conversation per Slack thread, even when two events of a new thread arrive at once.
    unique("conversations_workspace_external_ref_unique").on(t.workspaceId, t.externalRef),
  ],
);

export const messages = pgTable(
  "messages",
  {
    id: id(),
    workspaceId: workspaceId(),
    conversationId: uuid().notNull(),
    role: messageRole().notNull(),
    content: text().notNull(),
    /** The run that wrote an assistant message. */
    runId: uuid().references((): AnyPgColumn => runs.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [
    sameWorkspaceParent("messages_conversation_fk", { parentId: t.conversationId, workspaceId: t.workspaceId }, conversations),
    index("messages_conversation_created_idx").on(t.conversationId, t.createdAt),
    index("messages_workspace_idx").on(t.workspaceId),
    index("messages_run_idx").on(t.runId),
    check("messages_content_not_blank", sql`length(trim(${t.content})) > 0`),
    check("messages_content_size", sql`length(${t.content}) <= 100000`),
  ],
);

export type Conversation = typeof conversations.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type ConversationChannel = (typeof CONVERSATION_CHANNELS)[number];
export type MessageRole = (typeof MESSAGE_ROLES)[number];
