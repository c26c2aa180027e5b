import type { McpServerDefinition, McpServerName } from "./host/server.js";
import { postgresServer } from "./postgres/server.js";

/** The servers built so far; the rest of MCP_SERVER_NAMES arrive with issue 4. */
export const MCP_SERVERS: Partial<Record<McpServerName, McpServerDefinition>> = {
  postgres: postgresServer,
};
