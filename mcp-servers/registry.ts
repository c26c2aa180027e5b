import { createCalendarServerFromConfig } from "./calendar/server.js";
import { createGdriveServerFromConfig } from "./gdrive/server.js";
import type { McpServerDefinition, McpServerDeps, McpServerName } from "./host/server.js";
import { postgresServer } from "./postgres/server.js";
import { createSlackServerFromConfig } from "./slack/server.js";
import { createStripeServerFromConfig } from "./stripe/server.js";
import { createTwilioServerFromConfig } from "./twilio/server.js";

/** Each server's definition, with its backend chosen from the configuration (the sandbox without credentials). */
const FACTORIES: Record<McpServerName, (deps: McpServerDeps) => McpServerDefinition> = {
  postgres: () => postgresServer,
  calendar: createCalendarServerFromConfig,
  gdrive: createGdriveServerFromConfig,
  slack: createSlackServerFromConfig,
  stripe: createStripeServerFromConfig,
  twilio: createTwilioServerFromConfig,
};

export function buildMcpServer(name: McpServerName, deps: McpServerDeps): McpServerDefinition {
  return FACTORIES[name](deps);
}
