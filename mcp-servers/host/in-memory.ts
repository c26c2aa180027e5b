import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { sharedSchemaValidator } from "./client-validator.js";
import type { ToolContext } from "./context.js";
import type { ToolMetrics } from "./metrics.js";
import { createMcpServer, type McpServerDefinition } from "./server.js";

export interface InMemoryConnection {
  client: Client;
  close: () => Promise<void>;
}

/** A real MCP client linked to a fresh server in this process: how `serve`, `plan` and evals connect. */
export async function connectInMemory(definition: McpServerDefinition, ctx: ToolContext, options: { metrics?: ToolMetrics; clientName?: string } = {}): Promise<InMemoryConnection> {
  const server = createMcpServer(definition, ctx, options.metrics);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: options.clientName ?? "event-planner-agent", version: "1.0.0" }, { jsonSchemaValidator: sharedSchemaValidator });
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
