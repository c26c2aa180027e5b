import { AppError } from "../../lib/errors.js";
import type { McpServerDefinition, McpServerDeps } from "../host/server.js";

export function createCalendarServerFromConfig(_deps: McpServerDeps): McpServerDefinition {
  throw new AppError("invalid_state", "The calendar MCP server is not built yet (issue 4).");
}
