import { index, jsonb, pgEnum, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.js";
import { workspaces } from "./workspaces.js";

export const WEBHOOK_PROVIDERS = ["slack", "twilio", "stripe"] as const;
export const webhookProvider = pgEnum("webhook_provider", WEBHOOK_PROVIDERS);

export const WEBHOOK_DELIVERY_STATUSES = ["received", "processed", "failed", "ignored"] as const;
export const webhookDeliveryStatus = pgEnum("webhook_delivery_status", WEBHOOK_DELIVERY_STATUSES);

/**
 * One row per delivery a provider sent, keyed by the provider's own id (Slack event_id, Twilio
 * MessageSid, Stripe event id): a redelivery hits the unique key and is acknowledged, not redone.
 * The workspace is known only once the payload has been routed, so it may be null at first.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: id(),
    workspaceId: uuid().references(() => workspaces.id, { onDelete: "cascade" }),
    provider: webhookProvider().notNull(),
    externalId: text().notNull(),
    eventType: text().notNull(),
    status: webhookDeliveryStatus().notNull().default("received"),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    error: text(),
    receivedAt: createdAt(),
    processedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    unique("webhook_deliveries_provider_external_id_unique").on(t.provider, t.externalId),
    index("webhook_deliveries_workspace_received_idx").on(t.workspaceId, t.receivedAt),
    // Redelivery of deliveries that failed or were never processed after a crash.
    index("webhook_deliveries_status_received_idx").on(t.status, t.receivedAt),
  ],
);

export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];
