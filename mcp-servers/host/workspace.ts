import type { DatabaseHandle } from "../../drizzle/client.js";
import { findWorkspaceByName, getWorkspace } from "../../domain/workspaces.js";
import type { Workspace } from "../../drizzle/schema/index.js";
import { NotFoundError } from "../../lib/errors.js";
import { uuid } from "../../lib/formats.js";
import type { Logger } from "../../lib/logger.js";
import type { ToolContext } from "./context.js";

/** The workspace named by a connection header: its id (what our client sends) or its name. Never created here. */
export async function findConnectionWorkspace(handle: DatabaseHandle, reference: string): Promise<Workspace> {
  if (uuid.safeParse(reference).success) return getWorkspace(handle.db, reference);
  const workspace = await findWorkspaceByName(handle.db, reference);
  if (!workspace) throw new NotFoundError("workspace", reference);
  return workspace;
}

export function toolContextFor(handle: DatabaseHandle, workspace: Workspace, logger: Logger, runId?: string): ToolContext {
  return { db: handle.db, handle, workspaceId: workspace.id, actor: { kind: "agent", id: runId }, logger: logger.child({ workspace: workspace.name }), runId };
}
