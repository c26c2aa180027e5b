import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.js";

export const workspaces = pgTable(
  "workspaces",
  {
    id: id(),
    /** Stable slug used by the CLI (`--workspace acme`) and EVENT_PLANNER_WORKSPACE. */
    name: text().notNull().unique(),
    displayName: text(),
    /** Documents shared with an address outside this domain count as external (approval needed). */
    emailDomain: text(),
    /** Optional monthly LLM spend cap in USD micro-dollars, enforced before each model call. */
    monthlyBudgetMicros: bigint({ mode: "number" }),
    createdAt: createdAt(),
  },
  (t) => [
    check("workspaces_name_format", sql`${t.name} ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'`),
    check("workspaces_monthly_budget_non_negative", sql`${t.monthlyBudgetMicros} >= 0`),
  ],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: id(),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text().notNull().default("default"),
    /** Public lookup part of the key (`epk_<prefix>_…`); the secret part is only ever stored hashed. */
    prefix: text().notNull().unique(),
    /** SHA-256 (hex) of the whole key. Keys are 256-bit random, so a fast hash is the right one. */
    hash: text().notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index("api_keys_workspace_idx").on(t.workspaceId),
    check("api_keys_hash_sha256_hex", sql`${t.hash} ~ '^[0-9a-f]{64}$'`),
  ],
);

export type Workspace = typeof workspaces.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
