import { request } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createMetricsRegistry } from "../../lib/metrics.js";
import { createLogger } from "../../lib/logger.js";
import { newWorkspaceContext } from "../../test/context.js";
import { describeEachDriver } from "../../test/db.js";
import type { DomainContext } from "../../domain/context.js";
import { postgresServer } from "../postgres/server.js";
import { startMcpHttpServer, WORKSPACE_HEADER, type McpHttpServer } from "./http.js";
import { callOk, connectHttpClient } from "./testing.js";
import { findConnectionWorkspace, toolContextFor } from "./workspace.js";

const TOKEN = "conformance-token-0123456789";
const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } };

describeEachDriver("MCP over Streamable HTTP: security and operations", (t) => {
  let http: McpHttpServer;
  let ctx: DomainContext;

  beforeAll(async () => {
    ctx = await newWorkspaceContext(t().db, "http");
    const logger = createLogger({ level: "silent" });
    http = await startMcpHttpServer(
      {
        definition: postgresServer,
        authToken: TOKEN,
        allowedHosts: ["127.0.0.1", "localhost"],
        allowedOrigins: ["https://planner.example"],
        maxBodyBytes: 64_000,
        registry: createMetricsRegistry("mcp-test"),
        logger,
        resolveContext: async (reference, runId) => toolContextFor(t().handle, await findConnectionWorkspace(t().handle, reference), logger, runId),
      },
      { port: 0, host: "127.0.0.1" },
    );
  });
  afterAll(() => http.close());

  function post(headers: Record<string, string>, body: unknown = INIT): Promise<Response> {
    return fetch(`${http.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", [WORKSPACE_HEADER]: ctx.workspaceId, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  it("answers 401 without a token or with a wrong one", async () => {
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    expect((await post({ authorization: TOKEN })).status).toBe(401);
    const response = await post({});
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("answers 403 to a foreign Origin or Host (DNS rebinding), even with the token", async () => {
    expect((await post({ authorization: `Bearer ${TOKEN}`, origin: "https://evil.example" })).status).toBe(403);
    expect((await post({ authorization: `Bearer ${TOKEN}`, origin: "https://planner.example" })).status).toBe(200);
    // fetch will not send a forged Host header; a DNS-rebinding browser would, so use node:http.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${http.url}/mcp`, { method: "POST", headers: { host: "evil.example", authorization: `Bearer ${TOKEN}`, [WORKSPACE_HEADER]: ctx.workspaceId } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(JSON.stringify(INIT));
    });
    expect(status).toBe(403);
  });

  it("needs a known workspace from the connection, never from the arguments", async () => {
    const missing = await fetch(`${http.url}/mcp`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify(INIT) });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toMatch(WORKSPACE_HEADER);
    expect((await post({ authorization: `Bearer ${TOKEN}`, [WORKSPACE_HEADER]: "00000000-0000-0000-0000-000000000000" })).status).toBe(403);
    expect((await post({ authorization: `Bearer ${TOKEN}`, [WORKSPACE_HEADER]: "no-such-workspace" })).status).toBe(403);
  });

  it("is stateless (GET is 405) and refuses an oversized body with 413", async () => {
    expect((await fetch(`${http.url}/mcp`, { headers: { authorization: `Bearer ${TOKEN}`, [WORKSPACE_HEADER]: ctx.workspaceId } })).status).toBe(405);
    const big = await post({ authorization: `Bearer ${TOKEN}` }, JSON.stringify({ ...INIT, padding: "x".repeat(100_000) }));
    expect(big.status).toBe(413);
    expect((await post({ authorization: `Bearer ${TOKEN}` }, "{not json")).status).toBe(400);
  });

  it("serves /healthz and counts tool calls by tool and outcome on /metrics", async () => {
    expect(await (await fetch(`${http.url}/healthz`)).json()).toEqual({ status: "ok", server: "postgres" });
    const { client, close } = await connectHttpClient(http.url, TOKEN, ctx.workspaceId);
    await callOk(client, "list_events", {});
    await client.callTool({ name: "get_event", arguments: { eventId: "00000000-0000-0000-0000-000000000000" } });
    await close();
    const metrics = await (await fetch(`${http.url}/metrics`)).text();
    expect(metrics).toMatch(/mcp_tool_calls_total\{[^}]*tool="list_events"[^}]*outcome="ok"[^}]*\} 1/);
    expect(metrics).toMatch(/mcp_tool_calls_total\{[^}]*tool="get_event"[^}]*outcome="tool_error"[^}]*\} 1/);
    expect(metrics).toMatch(/mcp_tool_call_duration_seconds_bucket/);
  });
});
