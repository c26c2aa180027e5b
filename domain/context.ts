import type { Database } from "../drizzle/client.js";

/** Who is acting: recorded on approvals and in logs, never used to widen what can be seen. */
export interface Actor {
  kind: "user" | "agent" | "system" | "webhook";
  /** API key id, run id, Slack user id … */
  id?: string;
}

/**
 * What every domain operation receives: `({ db, workspaceId, actor }, input)`. The workspace comes
 * from the API key, the MCP connection or the CLI's environment, never from tool arguments.
 */
export interface DomainContext {
  db: Database;
  workspaceId: string;
  actor: Actor;
}
