/**
 * The seed's pattern, rebuilt as the baseline for MCP tool-call overhead: an HTTP wrapper that, for
 * every tool call, spawns the MCP server as a fresh process over stdio, sends it one request and
 * returns its answer (docs: ../shared/seeds/docker-mcp-architecture.md, `mcp-servers/postgres/server.js`).
 * Unlike the seed it does the MCP handshake first, which a conforming server requires.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { BIN, cliEnv } from "./processes.js";

function callOnce(server: string, tool: string, args: unknown, env: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "mcp", server, "--stdio"], { env: cliEnv(env), stdio: ["pipe", "pipe", "ignore"] });
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const message = JSON.parse(line) as { id?: number; result?: unknown; error?: unknown };
        if (message.id === 1) {
          child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
          child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: tool, arguments: args } })}\n`);
        } else if (message.id === 2) {
          child.stdin.end();
          child.kill("SIGTERM");
          resolve(message);
        }
      }
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`MCP child exited (${code}) before answering`)));
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "seed-wrapper", version: "0" } } })}\n`);
  });
}

export interface SpawnWrapper {
  url: string;
  close(): Promise<void>;
}

/** `POST /mcp/tools/:tool` with the arguments as the JSON body, as in the seed. */
export async function startSpawnWrapper(server: string, env: Record<string, string>): Promise<SpawnWrapper> {
  const http: Server = createServer((req, res) => {
    const tool = /^\/mcp\/tools\/([a-z_]+)$/.exec(req.url ?? "")?.[1];
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (!tool) {
        res.writeHead(404).end();
        return;
      }
      callOnce(server, tool, body ? JSON.parse(body) : {}, env).then(
        (answer) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer)),
        (error: unknown) => res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) })),
      );
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => http.close(() => resolve())) };
}
