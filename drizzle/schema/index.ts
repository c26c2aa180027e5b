export * from "./workspaces.js";
export * from "./catalogue.js";
export * from "./events.js";
export * from "./conversations.js";
export * from "./runs.js";
export * from "./webhooks.js";
export * from "./sandbox.js";
export * from "./relations.js";
