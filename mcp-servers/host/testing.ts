import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createLogger } from "../../lib/logger.js";
import type { DomainContext } from "../../domain/context.js";
import type { DatabaseHandle } from "../../drizzle/client.js";
import type { ToolContext } from "./context.js";
import { WORKSPACE_HEADER } from "./http.js";

/** A tool context for tests: silent logger, system actor. */
export function testToolContext(handle: DatabaseHandle, ctx: DomainContext): ToolContext {
  return { ...ctx, handle, logger: createLogger({ level: "silent" }) };
}

/** Call a tool and return its structured result, failing loudly if the tool reported an error. */
export async function callOk<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

/** Call a tool that must fail; returns the error text. */
export async function callError(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (!result.isError) throw new Error(`${name} unexpectedly succeeded: ${JSON.stringify(result.structuredContent)}`);
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

/** A real client over Streamable HTTP, sending the headers our agent's MCP client sends. */
export async function connectHttpClient(url: string, token: string, workspace: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const transport = new StreamableHTTPClientTransport(new URL("/mcp", url), { requestInit: { headers: { authorization: `Bearer ${token}`, [WORKSPACE_HEADER]: workspace } } });
  const client = new Client({ name: "conformance", version: "1.0.0" });
  await client.connect(transport);
  return { client, close: () => client.close() };
}

const BIN = fileURLToPath(new URL("../../bin/event-planner.js", import.meta.url));

/** A real client talking to `event-planner mcp <server> --stdio` in a child process. */
export async function connectStdioClient(server: string, env: Record<string, string>): Promise<{ client: Client; close: () => Promise<void>; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "mcp", server, "--stdio"],
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: "conformance", version: "1.0.0" });
  await client.connect(transport);
  const pid = transport.pid;
  return {
    client,
    // Wait for the child to be gone: the next child may open the same embedded database.
    close: async () => {
      await client.close();
      if (pid !== null) await waitForExit(pid);
    },
    stderr: () => stderr,
  };
}

async function waitForExit(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`MCP child process ${pid} did not exit`);
}
