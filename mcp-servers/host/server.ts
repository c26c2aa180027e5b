import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Config } from "../../lib/config.js";
import type { Logger } from "../../lib/logger.js";
import type { ToolContext } from "./context.js";
import { noToolMetrics, type ToolMetrics } from "./metrics.js";
import type { Tool } from "./tool.js";

export const MCP_SERVER_NAMES = ["postgres", "calendar", "gdrive", "slack", "stripe", "twilio"] as const;
export type McpServerName = (typeof MCP_SERVER_NAMES)[number];

/** What a server factory gets to choose its backend: credentials present → the vendor's SDK, absent → the sandbox. */
export interface McpServerDeps {
  config: Config;
  logger: Logger;
}

/** One server's identity and tools. `createMcpServer` turns it into a fresh McpServer per connection. */
export interface McpServerDefinition {
  name: McpServerName;
  version: string;
  /** Told to the model on initialize: what this server is for. */
  instructions: string;
  tools: readonly Tool[];
}

/**
 * A new McpServer for one connection (stdio session, HTTP request, in-memory pair). Never shared
 * between clients: a shared instance can leak one client's responses to another (GHSA-345p-7cg4-v4c7).
 */
export function createMcpServer(definition: McpServerDefinition, ctx: ToolContext, metrics: ToolMetrics = noToolMetrics): McpServer {
  const server = new McpServer(
    { name: `event-planner-${definition.name}`, version: definition.version },
    { instructions: definition.instructions, capabilities: { tools: {}, logging: {} } },
  );
  for (const tool of definition.tools) tool.register(server, definition.name, ctx, metrics);
  return server;
}
