import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createLogger } from "../../lib/logger.js";
import type { DomainContext } from "../../domain/context.js";
import type { DatabaseHandle } from "../../drizzle/client.js";
import type { ToolContext } from "./context.js";

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
