import { AppError } from "../../lib/errors.js";
import type { McpServerDefinition, McpServerDeps } from "../host/server.js";

export function createGdriveServerFromConfig(_deps: McpServerDeps): McpServerDefinition {
  throw new AppError("invalid_state", "The gdrive MCP server is not built yet (issue 4).");
}
