import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { ToolContext } from "./context.js";
import type { ToolMetrics } from "./metrics.js";
import { createMcpServer, type McpServerDefinition } from "./server.js";

/**
 * Serve one client over stdin/stdout until it disconnects. stdout carries only protocol frames;
 * logs must go to stderr. Streams are injectable so this is testable without spawning.
 */
export async function serveStdio(
  definition: McpServerDefinition,
  ctx: ToolContext,
  options: { stdin?: Readable; stdout?: Writable; metrics?: ToolMetrics } = {},
): Promise<{ closed: Promise<void> }> {
  const server = createMcpServer(definition, ctx, options.metrics);
  const transport = new StdioServerTransport(options.stdin, options.stdout);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  // The client hanging up (EOF on stdin) ends the session; the transport does not notice by itself.
  (options.stdin ?? process.stdin).once("end", () => void server.close());
  return { closed };
}
