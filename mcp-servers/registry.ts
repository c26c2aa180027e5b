import type { Config } from "../lib/config.js";
import type { Logger } from "../lib/logger.js";
import type { McpServerDefinition, McpServerName } from "./host/server.js";
import { postgresServer } from "./postgres/server.js";

export interface McpServerDeps {
  config: Config;
  logger: Logger;
}

/** Each server's definition, with its backend chosen from the configuration (sandbox without credentials). */
const FACTORIES: Partial<Record<McpServerName, (deps: McpServerDeps) => McpServerDefinition>> = {
  postgres: () => postgresServer,
};

export function isMcpServerBuilt(name: McpServerName): boolean {
  return FACTORIES[name] !== undefined;
}

export function buildMcpServer(name: McpServerName, deps: McpServerDeps): McpServerDefinition | undefined {
  return FACTORIES[name]?.(deps);
}
