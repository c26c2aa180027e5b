import { canonicalHash } from "../../lib/canonical-json.js";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError, type CallToolResult, type Tool, type ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { DatabaseHandle } from "../../drizzle/client.js";
import type { Workspace } from "../../drizzle/schema/index.js";
import type { Config } from "../../lib/config.js";
import { AppError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { RUN_HEADER, WORKSPACE_HEADER } from "../../mcp-servers/host/http.js";
import { sharedSchemaValidator } from "../../mcp-servers/host/client-validator.js";
import { connectInMemory } from "../../mcp-servers/host/in-memory.js";
import { MCP_SERVER_NAMES, type McpServerDefinition, type McpServerDeps, type McpServerName } from "../../mcp-servers/host/server.js";
import { toolContextFor } from "../../mcp-servers/host/workspace.js";
import { buildMcpServer } from "../../mcp-servers/registry.js";

/** Separates the server from the tool in the names the model sees: `postgres__create_event`. */
export const TOOL_NAMESPACE_SEPARATOR = "__";

export type McpTransportKind = "in-process" | "stdio" | "http";

/** One tool as the agent loop sees it: namespaced, with the definition exactly as the server listed it. */
export interface McpToolDescriptor {
  /** `server__tool`, what the model calls. */
  name: string;
  server: McpServerName;
  /** The tool's own name on its server. */
  tool: string;
  title?: string;
  description: string;
  inputSchema: Tool["inputSchema"];
  outputSchema?: Tool["outputSchema"];
  annotations?: ToolAnnotations;
}

export interface McpClientManagerOptions {
  config: Config;
  logger: Logger;
  /** The workspace every connection acts for: its id goes over HTTP, its name to a stdio child. */
  workspace: Workspace;
  /** The agent run these connections serve; recorded on the tool-call ledger (in-process and HTTP only). */
  runId?: string;
  /** Needed for in-process servers, which run tools against this database directly. */
  handle?: DatabaseHandle;
  /** How to reach a server that has no URL in `config.mcp.urls`. Default `in-process`. */
  transport?: "in-process" | "stdio";
  /** Which servers to connect; default all six. */
  servers?: readonly McpServerName[];
  /** Builds an in-process server's definition, once per connection. Default: the registry. */
  definitions?: (name: McpServerName, deps: McpServerDeps) => McpServerDefinition;
  /** Extra environment for stdio children (on top of this process's environment). */
  stdioEnv?: Record<string, string>;
  /** Called when a connection is found dead, before reconnecting; awaited. For logging, metrics and tests. */
  onConnectionLost?: (server: McpServerName, error: unknown) => void | Promise<void>;
}

interface Connection {
  client: Client;
  close: () => Promise<void>;
  /** Set when the transport reports it closed; a closed connection is replaced before the next call. */
  closed: boolean;
}

interface ServerState {
  name: McpServerName;
  kind: McpTransportKind;
  connection: Connection;
  /** sha256 per tool name from the first listing; the only tools ever exposed. */
  pins: Map<string, string>;
  /** Pinned tools whose definition changed after a reconnect: refused until this process restarts. */
  refused: Set<string>;
  /** The latest listing of pinned, unchanged tools. */
  tools: Map<string, Tool>;
  /** A call found the connection dead: replace it before the next call (HTTP clients never report closing). */
  stale: boolean;
  reconnecting?: Promise<Connection>;
}

const BIN = fileURLToPath(new URL("../../bin/event-planner.js", import.meta.url));

/** The pin of one tool definition. Title is left out: it is display text that never reaches the model. */
export function toolDefinitionHash(tool: Tool): string {
  const pinned = { name: tool.name, description: tool.description, inputSchema: tool.inputSchema, outputSchema: tool.outputSchema, annotations: tool.annotations };
  return canonicalHash(pinned);
}

/** Whether an error means the transport is gone (server restarted, child died, nothing listening), not that the tool failed. */
function isConnectionFailure(error: unknown, connection: Connection): boolean {
  if (connection.closed) return true;
  if (error instanceof McpError && error.code === Number(ErrorCode.ConnectionClosed)) return true;
  if (!(error instanceof Error)) return false;
  if (error.message === "Not connected") return true;
  // undici reports a refused or reset socket as TypeError("fetch failed") with the socket error as cause.
  return error instanceof TypeError && error.message === "fetch failed";
}

function processEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * The agent's MCP clients for one workspace (and optionally one run): one connection per server,
 * in-process by default, a stdio child on request, or Streamable HTTP where `config.mcp.urls` names
 * the server. Everything above the transport (listing, namespacing, pinning, reconnecting) is one
 * code path.
 *
 * Pinning defends against tool poisoning: a server that changes a tool's description or schema
 * after we first trusted it (a compromised or swapped container) could steer the model. The first
 * listing is the trust decision; after a reconnect a changed tool is refused and a new one is never
 * exposed, until the process restarts and a person is around to notice.
 *
 * Reconnecting: when a call fails because the connection is gone, the manager reconnects. It retries
 * the call once only for read-only tools (`readOnlyHint`). A side-effect tool's request may have
 * reached the server before the connection dropped, so the failure surfaces as an outcome-unknown
 * `upstream_failed`: the run's tool-call ledger and the tool's idempotency key decide whether and
 * how to retry, never this transport layer.
 */
export class McpClientManager {
  private readonly servers = new Map<McpServerName, ServerState>();
  private closed = false;

  private constructor(private readonly options: McpClientManagerOptions) {}

  /** Connect to every configured server and pin its tools. Fails (closing what opened) if any server cannot be reached. */
  static async connect(options: McpClientManagerOptions): Promise<McpClientManager> {
    const manager = new McpClientManager(options);
    try {
      await Promise.all((options.servers ?? MCP_SERVER_NAMES).map((name) => manager.connectServer(name)));
    } catch (error) {
      await manager.close();
      throw error;
    }
    return manager;
  }

  /** Every exposed tool, in server then listing order (stable, so a cached prompt prefix stays valid). */
  tools(): McpToolDescriptor[] {
    const descriptors: McpToolDescriptor[] = [];
    for (const name of this.options.servers ?? MCP_SERVER_NAMES) {
      const state = this.servers.get(name);
      if (!state) continue;
      for (const tool of state.tools.values()) descriptors.push(describe(name, tool));
    }
    return descriptors;
  }

  /** How a server is reached. */
  transportOf(server: McpServerName): McpTransportKind | undefined {
    return this.servers.get(server)?.kind;
  }

  /**
   * Call a tool by its namespaced name. A tool-level failure comes back as `isError: true`; an
   * unknown or refused tool, or a lost connection, throws an AppError naming the tool.
   */
  async callTool(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    if (this.closed) throw new AppError("invalid_state", `MCP clients are closed; cannot call ${name}`, { tool: name });
    const { state, tool } = this.resolve(name);
    let connection = await this.current(state);
    const readOnly = this.usable(state, tool, name).annotations?.readOnlyHint === true;
    try {
      return await call(connection, tool, args);
    } catch (error) {
      if (!isConnectionFailure(error, connection)) throw error;
      state.stale = true;
      if (!readOnly) {
        // Reconnect now so the next call works, but never replay a side effect from here.
        void this.reconnectFrom(state, connection, error).catch(() => undefined);
        throw new AppError("upstream_failed", `Lost the connection to MCP server ${state.name} during ${name}; it may have acted, so it is not retried here`, { tool: name, outcomeUnknown: true }, { cause: error });
      }
      connection = await this.reconnectFrom(state, connection, error);
      this.usable(state, tool, name);
      return await call(connection, tool, args);
    }
  }

  /** Replace a server's connection and re-check its pins (also what a lost connection triggers). */
  async reconnect(server: McpServerName): Promise<void> {
    const state = this.servers.get(server);
    if (!state) throw new AppError("not_found", `MCP server ${server} is not connected`, { server });
    await this.reconnectFrom(state, state.connection, undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const states = [...this.servers.values()];
    this.servers.clear();
    await Promise.allSettled(states.map((state) => state.connection.close()));
  }

  private resolve(name: string): { state: ServerState; tool: string } {
    const at = name.indexOf(TOOL_NAMESPACE_SEPARATOR);
    const server = at > 0 ? name.slice(0, at) : "";
    const tool = at > 0 ? name.slice(at + TOOL_NAMESPACE_SEPARATOR.length) : "";
    const state = this.servers.get(server as McpServerName);
    if (!state || !state.pins.has(tool)) throw new AppError("not_found", `Unknown MCP tool ${name}: expected server__tool with a tool this agent was given`, { tool: name });
    return { state, tool };
  }

  /** The connection to call on: never one being replaced, nor one known to be dead. */
  private async current(state: ServerState): Promise<Connection> {
    if (state.reconnecting) await state.reconnecting.catch(() => undefined);
    // A stale connection was already reported when its call failed; a closed one is news.
    if (state.connection.closed && !state.stale) return this.reconnectFrom(state, state.connection, new Error("MCP connection closed"));
    if (state.stale) return this.reconnectFrom(state, state.connection, undefined);
    return state.connection;
  }

  private usable(state: ServerState, tool: string, name: string): Tool {
    if (state.refused.has(tool)) {
      throw new AppError("forbidden", `MCP tool ${name} is refused: its definition changed after it was first trusted (possible tool poisoning); restart to trust it again`, { tool: name });
    }
    const listed = state.tools.get(tool);
    if (!listed) throw new AppError("not_found", `MCP tool ${name} is no longer offered by server ${state.name}`, { tool: name });
    return listed;
  }

  private async connectServer(name: McpServerName): Promise<void> {
    const { connection, kind } = await this.open(name);
    const state: ServerState = { name, kind, connection, pins: new Map(), refused: new Set(), tools: new Map(), stale: false };
    try {
      for (const tool of await listAllTools(connection.client)) {
        state.pins.set(tool.name, toolDefinitionHash(tool));
        state.tools.set(tool.name, tool);
      }
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    this.servers.set(name, state);
  }

  /** One reconnect per dead connection, however many parallel calls noticed it. */
  private reconnectFrom(state: ServerState, failed: Connection, cause: unknown): Promise<Connection> {
    if (state.connection !== failed) return Promise.resolve(state.connection);
    state.reconnecting ??= (async () => {
      try {
        if (cause !== undefined) {
          this.options.logger.warn({ server: state.name, err: cause }, "MCP connection lost; reconnecting");
          await this.options.onConnectionLost?.(state.name, cause);
        }
        await failed.close().catch(() => undefined);
        const { connection } = await this.open(state.name);
        let listed: Tool[];
        try {
          listed = await listAllTools(connection.client);
        } catch (error) {
          await connection.close().catch(() => undefined);
          throw error;
        }
        if (this.closed) {
          await connection.close();
          throw new AppError("invalid_state", "MCP clients were closed while reconnecting");
        }
        this.repin(state, listed);
        state.connection = connection;
        state.stale = false;
        return connection;
      } finally {
        state.reconnecting = undefined;
      }
    })();
    return state.reconnecting;
  }

  private repin(state: ServerState, listed: Tool[]): void {
    const tools = new Map<string, Tool>();
    for (const tool of listed) {
      const pin = state.pins.get(tool.name);
      if (pin === undefined) {
        this.options.logger.warn({ server: state.name, tool: tool.name }, "MCP server offers a tool that was not there at start; not exposing it");
        continue;
      }
      if (pin !== toolDefinitionHash(tool)) {
        if (!state.refused.has(tool.name)) this.options.logger.error({ server: state.name, tool: tool.name }, "MCP tool definition changed since it was pinned; refusing it");
        state.refused.add(tool.name);
      }
      if (!state.refused.has(tool.name)) tools.set(tool.name, tool);
    }
    state.tools = tools;
  }

  private async open(name: McpServerName): Promise<{ connection: Connection; kind: McpTransportKind }> {
    const { config, workspace, runId } = this.options;
    const clientInfo = { name: "event-planner-agent", version: "1.0.0" };
    const url = config.mcp.urls[name];
    if (url !== undefined) {
      if (!config.mcp.authToken) throw new AppError("config_invalid", `MCP_AUTH_TOKEN must be set to reach MCP server ${name} at ${url}`);
      const headers: Record<string, string> = { authorization: `Bearer ${config.mcp.authToken}`, [WORKSPACE_HEADER]: workspace.id };
      if (runId !== undefined) headers[RUN_HEADER] = runId;
      const client = new Client(clientInfo, { jsonSchemaValidator: sharedSchemaValidator });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
      return { connection: track(client, () => client.close()), kind: "http" };
    }
    if (this.options.transport === "stdio") {
      // The child reads its workspace from the environment; stdio has no way to carry a run id.
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [BIN, "mcp", name, "--stdio"],
        env: { ...processEnv(), ...this.options.stdioEnv, EVENT_PLANNER_WORKSPACE: workspace.name },
        stderr: "inherit",
      });
      const client = new Client(clientInfo, { jsonSchemaValidator: sharedSchemaValidator });
      await client.connect(transport);
      return { connection: track(client, () => client.close()), kind: "stdio" };
    }
    const { handle, logger } = this.options;
    if (!handle) throw new AppError("config_invalid", `MCP server ${name} runs in-process, which needs a database handle`);
    const definition = (this.options.definitions ?? buildMcpServer)(name, { config, logger });
    const { client, close } = await connectInMemory(definition, toolContextFor(handle, workspace, logger, runId), { clientName: clientInfo.name });
    return { connection: track(client, close), kind: "in-process" };
  }
}

function track(client: Client, close: () => Promise<void>): Connection {
  const connection: Connection = { client, close, closed: false };
  client.onclose = () => {
    connection.closed = true;
  };
  return connection;
}

async function listAllTools(client: Client): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tools;
}

async function call(connection: Connection, tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await connection.client.callTool({ name: tool, arguments: args })) as CallToolResult;
}

function describe(server: McpServerName, tool: Tool): McpToolDescriptor {
  return {
    name: `${server}${TOOL_NAMESPACE_SEPARATOR}${tool.name}`,
    server,
    tool: tool.name,
    ...(tool.title !== undefined ? { title: tool.title } : {}),
    description: tool.description ?? "",
    inputSchema: tool.inputSchema,
    ...(tool.outputSchema !== undefined ? { outputSchema: tool.outputSchema } : {}),
    ...(tool.annotations !== undefined ? { annotations: tool.annotations } : {}),
  };
}
