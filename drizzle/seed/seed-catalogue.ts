import { getTableColumns, sql, type SQL } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Database } from "../client.js";
import { vendors, venues } from "../schema/index.js";
import { CATALOGUE_VENDORS } from "./catalogue/vendors.js";
import { CATALOGUE_VENUES } from "./catalogue/venues.js";

/** `set` clause that overwrites every column but the key and id from the proposed row. */
function excludedColumns(table: PgTable, keep: readonly string[]): Record<string, SQL> {
  return Object.fromEntries(
    Object.entries(getTableColumns(table))
      .filter(([key]) => !keep.includes(key))
      .map(([key, column]) => [key, sql`excluded.${sql.identifier(column.keyAsName ? toSnakeCase(column.name) : column.name)}`]),
  );
}

/**
 * Upsert the shared catalogue (rows without a workspace), keyed by slug: safe to run on every
 * start, and a catalogue edit in code reaches existing databases.
 */
export async function seedCatalogue(db: Database): Promise<{ venues: number; vendors: number }> {
  await db.transaction(async (tx) => {
    await tx
      .insert(venues)
      .values(CATALOGUE_VENUES.map((venue) => ({ ...venue, workspaceId: null })))
      .onConflictDoUpdate({ target: [venues.workspaceId, venues.slug], set: excludedColumns(venues, ["id", "workspaceId", "slug", "createdAt"]) });
    await tx
      .insert(vendors)
      .values(CATALOGUE_VENDORS.map((vendor) => ({ ...vendor, workspaceId: null })))
      .onConflictDoUpdate({ target: [vendors.workspaceId, vendors.slug], set: excludedColumns(vendors, ["id", "workspaceId", "slug", "createdAt"]) });
  });
  return { venues: CATALOGUE_VENUES.length, vendors: CATALOGUE_VENDORS.length };
}
