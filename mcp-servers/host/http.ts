import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Registry } from "prom-client";
import { AppError, isAppError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import type { ToolContext } from "./context.js";
import { createToolMetrics } from "./metrics.js";
import { createMcpServer, type McpServerDefinition } from "./server.js";

/** Headers our MCP client sets; the bearer token is what makes them trustworthy. */
export const WORKSPACE_HEADER = "x-event-planner-workspace";
export const RUN_HEADER = "x-event-planner-run";

export interface McpHttpOptions {
  definition: McpServerDefinition;
  /** Bearer token every /mcp request must carry. */
  authToken: string;
  /** Host names (without port) a request may be addressed to; anything else is a DNS-rebinding attempt. */
  allowedHosts: readonly string[];
  /** Browser origins allowed to call; a request with any other Origin header is refused. */
  allowedOrigins: readonly string[];
  maxBodyBytes?: number;
  /** The tool context for the workspace (and run) named by the connection's headers. */
  resolveContext(workspace: string, runId: string | undefined): Promise<ToolContext>;
  registry: Registry;
  logger: Logger;
}

export interface McpHttpServer {
  server: Server;
  url: string;
  close: (graceMs?: number) => Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

function rpcError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { jsonrpc: "2.0", error: { code: -32000, message }, id: null }, headers);
}

function sameSecret(presented: string, expected: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function hostName(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return undefined;
  }
}

/** Why a request may not reach the MCP endpoint, or undefined when it may. */
function refusal(req: IncomingMessage, options: McpHttpOptions): { status: number; message: string } | undefined {
  const host = hostName(req.headers.host);
  if (!host || !options.allowedHosts.includes(host)) return { status: 403, message: `Host ${req.headers.host ?? "(none)"} is not allowed` };
  const origin = req.headers.origin;
  if (origin !== undefined && !options.allowedOrigins.includes(origin)) return { status: 403, message: `Origin ${origin} is not allowed` };
  const [scheme, token] = (req.headers.authorization ?? "").split(" ");
  if (scheme?.toLowerCase() !== "bearer" || !token || !sameSecret(token, options.authToken)) return { status: 401, message: "A valid bearer token is required" };
  return undefined;
}

async function handleMcp(req: IncomingMessage, res: ServerResponse, options: McpHttpOptions, metrics: ReturnType<typeof createToolMetrics>): Promise<void> {
  const refused = refusal(req, options);
  if (refused) return rpcError(res, refused.status, refused.message, refused.status === 401 ? { "www-authenticate": 'Bearer realm="mcp"' } : {});
  // Stateless: every request is self-contained, so there is no stream to open or session to end.
  if (req.method !== "POST") return rpcError(res, 405, "Method not allowed: this server is stateless, use POST", { allow: "POST" });
  const workspace = req.headers[WORKSPACE_HEADER];
  if (typeof workspace !== "string" || workspace.length === 0) return rpcError(res, 400, `The ${WORKSPACE_HEADER} header is required`);
  const runHeader = req.headers[RUN_HEADER];
  let ctx: ToolContext;
  try {
    ctx = await options.resolveContext(workspace, typeof runHeader === "string" ? runHeader : undefined);
  } catch (error) {
    if (isAppError(error) && (error.code === "not_found" || error.code === "validation_failed")) return rpcError(res, 403, `Unknown workspace ${workspace}`);
    throw error;
  }
  const server = createMcpServer(options.definition, ctx, metrics);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: options.maxBodyBytes ?? 1_000_000 });
  res.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res);
}

/**
 * Streamable HTTP at /mcp (stateless: a fresh McpServer per request), plus /healthz and /metrics.
 * Refuses wrong Host/Origin (403, DNS rebinding) and missing or wrong bearer tokens (401).
 */
export async function startMcpHttpServer(options: McpHttpOptions, listen: { port: number; host?: string }): Promise<McpHttpServer> {
  if (options.authToken.length < 16) throw new AppError("config_invalid", "MCP_AUTH_TOKEN must be set (16+ characters) to serve MCP over HTTP");
  const metrics = createToolMetrics(options.registry);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const handled =
      path === "/healthz" && req.method === "GET"
        ? Promise.resolve(sendJson(res, 200, { status: "ok", server: options.definition.name }))
        : path === "/metrics" && req.method === "GET"
          ? options.registry.metrics().then((text) => void res.writeHead(200, { "content-type": options.registry.contentType }).end(text))
          : path === "/mcp"
            ? handleMcp(req, res, options, metrics)
            : Promise.resolve(sendJson(res, 404, { error: { code: "not_found", message: `No route ${path}` } }));
    handled.catch((error: unknown) => {
      options.logger.error({ err: error, path }, "MCP HTTP request failed");
      if (!res.headersSent) rpcError(res, 500, "Internal server error");
      else res.end();
    });
  });
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(listen.port, listen.host ?? "0.0.0.0", resolve));
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${address.port}`,
    // Stop accepting, let in-flight calls finish, then cut whatever is left.
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
