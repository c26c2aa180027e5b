import { index, jsonb, pgEnum, pgTable, text, unique } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt, workspaceId } from "./columns.js";

export const SANDBOX_SERVICES = ["calendar", "gdrive", "slack", "stripe", "twilio"] as const;
export const sandboxService = pgEnum("sandbox_service", SANDBOX_SERVICES);

/**
 * What the sandbox backends did, for real and inspectable: an SMS in the outbox, a Slack post in a
 * thread, a payment in the ledger, a calendar event with its .ics, a document revision. One table
 * for all five services: each row has the vendor-style id the sandbox handed out, the object it
 * hangs under (thread, document, calendar), its status and the vendor-shaped payload. Each
 * service's code gives `data` its type with zod.
 */
export const sandboxObjects = pgTable(
  "sandbox_objects",
  {
    id: id(),
    workspaceId: workspaceId(),
    service: sandboxService().notNull(),
    /** e.g. sms, message, reaction, calendar, event, document, revision, customer, payment, refund, ledger_entry */
    kind: text().notNull(),
    /** The id the vendor would have returned (SM…, 1712345678.000100, pi_…, the caller-chosen event id). */
    externalId: text().notNull(),
    /** The thread, document, calendar or payment this belongs to. */
    parentExternalId: text(),
    /** The tool call's key: the same key never creates a second object. */
    idempotencyKey: text(),
    status: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("sandbox_objects_external_id_unique").on(t.workspaceId, t.service, t.kind, t.externalId),
    unique("sandbox_objects_idempotency_key_unique").on(t.workspaceId, t.service, t.kind, t.idempotencyKey),
    index("sandbox_objects_listing_idx").on(t.workspaceId, t.service, t.kind, t.createdAt),
    index("sandbox_objects_parent_idx").on(t.workspaceId, t.service, t.parentExternalId),
  ],
);

export type SandboxObject = typeof sandboxObjects.$inferSelect;
export type SandboxService = (typeof SANDBOX_SERVICES)[number];
