import type { DatabaseHandle } from "../../drizzle/client.js";
import type { DomainContext } from "../../domain/context.js";
import type { Logger } from "../../lib/logger.js";

/**
 * What a tool handler gets: the domain context for the workspace the *connection* acts for (an
 * HTTP header our MCP client sets, or the environment in stdio mode; never a tool argument), the
 * database handle for the rare tool that needs a raw connection, and a logger.
 */
export interface ToolContext extends DomainContext {
  handle: DatabaseHandle;
  logger: Logger;
  /** The agent run this connection serves, when there is one; recorded on the tool-call ledger. */
  runId?: string;
}
