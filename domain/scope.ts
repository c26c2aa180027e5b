import { and, eq, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { DomainContext } from "./context.js";

/** `workspace_id = ctx.workspaceId AND id = …`: the one filter every by-id lookup uses. */
export function ownedRow(table: { id: PgColumn; workspaceId: PgColumn }, ctx: DomainContext, id: string): SQL {
  return and(eq(table.workspaceId, ctx.workspaceId), eq(table.id, id)) as SQL;
}

/** Page size bounds shared by every list function. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
}
