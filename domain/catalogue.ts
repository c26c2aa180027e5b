import { randomUUID } from "node:crypto";
import { and, eq, isNull, or, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { fromDatabaseError } from "../drizzle/errors.js";
import { ConflictError } from "../lib/errors.js";
import type { DomainContext } from "./context.js";

/** What venues and vendors share: the shared-or-mine visibility rule, tag and slug formats. */

/**
 * The catalogue rows a workspace may see: the shared catalogue (no workspace) plus its own private
 * entries. Shared by venues and vendors; bookings and quotes use the stricter `ownedRow`.
 */
export function visibleCatalogueRows(table: { workspaceId: PgColumn }, ctx: DomainContext): SQL {
  return or(isNull(table.workspaceId), eq(table.workspaceId, ctx.workspaceId)) as SQL;
}

export function visibleCatalogueRow(table: { id: PgColumn; workspaceId: PgColumn }, ctx: DomainContext, id: string): SQL {
  return and(eq(table.id, id), visibleCatalogueRows(table, ctx)) as SQL;
}

/** `Step-free access` and `step_free_access` mean the same thing to a model writing tool calls; store one spelling. */
export const catalogueTag = z
  .string()
  .trim()
  .toLowerCase()
  .transform((value) => value.replace(/[\s-]+/g, "_"))
  .pipe(z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, { error: "must be a short lowercase word such as wifi or step_free_access" }));

export const catalogueTagList = z
  .array(catalogueTag)
  .max(30)
  .transform((values) => [...new Set(values)]);

const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const catalogueSlug = z
  .string()
  .trim()
  .max(120)
  .regex(SLUG_PATTERN, { error: "must be lowercase letters, digits and single hyphens, e.g. lisbon-tagus-riverside-hall" });

/** `<city>-<name>` in ASCII, the same shape as the seed catalogue's slugs. */
export function slugFor(city: string, name: string): string {
  const part = (value: string) =>
    value
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/&/g, " and ")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "");
  // A name written entirely in another script has no ASCII slug; a random suffix keeps it unique.
  const namePart = part(name) || randomUUID().slice(0, 8);
  return [part(city), namePart].filter(Boolean).join("-").slice(0, 120).replace(/-+$/, "");
}

/** A unique-key violation on the slug becomes a conflict naming the field; anything else is rethrown untouched. */
export function rethrowSlugConflict(error: unknown, entity: string, slug: string): never {
  if (fromDatabaseError(error).code === "conflict") {
    throw new ConflictError(`slug: this workspace already has a ${entity} with slug ${slug}`, { field: "slug", slug });
  }
  throw error;
}
