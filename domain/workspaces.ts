import { eq } from "drizzle-orm";
import type { Database } from "../drizzle/client.js";
import { workspaces, type Workspace } from "../drizzle/schema/index.js";
import { NotFoundError } from "../lib/errors.js";
import { workspaceName } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";

/**
 * Workspaces are the tenancy boundary, so these functions take a bare `db`: they are how a
 * caller finds the workspace id that every other operation is scoped by.
 */

export async function findWorkspaceByName(db: Database, name: string): Promise<Workspace | undefined> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.name, name)).limit(1);
  return row;
}

export async function getWorkspace(db: Database, id: string): Promise<Workspace> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id)).limit(1);
  if (!row) throw new NotFoundError("workspace", id);
  return row;
}

/** The workspace with this name, created on first use (the CLI's `--workspace acme`). */
export async function ensureWorkspace(db: Database, name: string): Promise<Workspace> {
  const valid = parseInput(workspaceName, name);
  await db.insert(workspaces).values({ name: valid }).onConflictDoNothing({ target: workspaces.name });
  const row = await findWorkspaceByName(db, valid);
  if (!row) throw new NotFoundError("workspace", valid);
  return row;
}
