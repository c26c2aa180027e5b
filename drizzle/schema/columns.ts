import { sql, type SQL } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { bigint, foreignKey, timestamp, uuid, type AnyPgColumn, type PgColumn } from "drizzle-orm/pg-core";
import { workspaces } from "./workspaces.js";

/** Column builders shared by every table, so ids, money and timestamps look the same everywhere. */

/**
 * Time-ordered UUIDv7 from the app (monotonic within a process), so `order by created_at, id` is
 * insertion order even when rows share a timestamp: PGlite's clock ticks in milliseconds, and a
 * transaction's rows all share now(). The database default covers rows written by raw SQL.
 */
export const id = () =>
  uuid()
    .primaryKey()
    .defaultRandom()
    .$defaultFn(() => uuidv7());

export const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow();

export const updatedAt = () =>
  timestamp({ withTimezone: true })
    .notNull()
    .defaultNow()
    // The database's clock, like created_at, so the two never disagree across app hosts.
    .$onUpdate(() => sql`now()`);

/** Integer minor units (cents); JS number is exact up to 2^53, far beyond any event budget. */
export const money = () => bigint({ mode: "number" });

/** The owning workspace. Deleting a workspace deletes everything it owns. */
export const workspaceId = () =>
  uuid()
    .notNull()
    .references((): AnyPgColumn => workspaces.id, { onDelete: "cascade" });

/** SQL check fragments, named so a refused row says which rule it broke. */
export const checks = {
  currency: (column: AnyPgColumn): SQL => sql`${column} ~ '^[A-Z]{3}$'`,
  e164: (column: AnyPgColumn): SQL => sql`${column} ~ '^\\+[1-9][0-9]{6,14}$'`,
  email: (column: AnyPgColumn): SQL => sql`${column} ~ '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$' and ${column} = lower(${column})`,
  // Postgres raises "time zone ... not recognized" for an unknown IANA name.
  timeZone: (column: AnyPgColumn): SQL => sql`(timestamp '2000-01-01 00:00' at time zone ${column}) is not null`,
  countryCode: (column: AnyPgColumn): SQL => sql`${column} ~ '^[A-Z]{2}$'`,
  nonNegative: (column: AnyPgColumn): SQL => sql`${column} >= 0`,
};

/**
 * `(parent_id, workspace_id) → parent(id, workspace_id)`, cascading: the database itself refuses a
 * child row that points at another workspace's parent. The parent declares `unique(id, workspace_id)`.
 */
export function sameWorkspaceParent(name: string, child: { parentId: PgColumn; workspaceId: PgColumn }, parent: { id: PgColumn; workspaceId: PgColumn }) {
  return foreignKey({ name, columns: [child.parentId, child.workspaceId], foreignColumns: [parent.id, parent.workspaceId] }).onDelete("cascade");
}
