import { randomBytes } from "node:crypto";
import type { Database } from "../drizzle/client.js";
import type { DomainContext } from "../domain/context.js";
import { ensureWorkspace } from "../domain/workspaces.js";

/** A context for a new workspace with a unique name, acting as the system. */
export async function newWorkspaceContext(db: Database, prefix = "ws"): Promise<DomainContext> {
  const workspace = await ensureWorkspace(db, `${prefix}-${randomBytes(4).toString("hex")}`);
  return { db, workspaceId: workspace.id, actor: { kind: "system" } };
}
