import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../domain/workspaces.js";
import type { Database, DatabaseDriver } from "../../drizzle/client.js";
import { createLogger } from "../../lib/logger.js";
import { createMetricsRegistry } from "../../lib/metrics.js";
import { createTestDatabase, DRIVERS, type TestDatabase } from "../../test/db.js";
import { startMcpHttpServer, type McpHttpServer } from "./http.js";
import { connectInMemory } from "./in-memory.js";
import type { McpServerDefinition, McpServerName } from "./server.js";
import { callOk, connectHttpClient, connectStdioClient, testToolContext } from "./testing.js";
import { findConnectionWorkspace, toolContextFor } from "./workspace.js";

/**
 * The issue-3 conformance suite, for any of our MCP servers, over every transport (in-memory,
 * stdio through the real CLI, Streamable HTTP) against both drivers. Cases go through tools only,
 * so the stdio child process can own its own embedded database.
 */

export const TRANSPORTS = ["in-memory", "stdio", "http"] as const;
export type TransportName = (typeof TRANSPORTS)[number];
const TOKEN = "conformance-token-0123456789";

export interface Connection {
  client: Client;
  close: () => Promise<void>;
}

/** A client acting for `workspace`, the way the transport under test learns it. One at a time. */
export type Connect = (workspace: string) => Promise<Connection>;

export type Ids = Record<string, string>;

export interface ConformanceCase {
  tool: string;
  good: (ids: Ids) => Record<string, unknown>;
  remember?: (result: Record<string, unknown>, ids: Ids) => void;
  bad: (ids: Ids) => Record<string, unknown>;
  /** What the bad call's error must name. */
  field: RegExp;
}

export interface ConformanceOptions {
  server: McpServerName;
  /** The definition served in-process (in-memory and HTTP); the stdio child builds its own from its environment. */
  definition: () => McpServerDefinition;
  /** Every tool in the order a planner uses them, each with good and bad input. */
  cases: ConformanceCase[];
  /** A side-effect call to repeat with one key, and how to count what it did (must count 1). */
  idempotency: { tool: string; args: Record<string, unknown>; count: (client: Client) => Promise<number> };
  /** What workspace A did must be invisible or refused to workspace B. */
  isolation: (connect: Connect) => Promise<void>;
  /** Environment for the stdio child (credentials left out means the sandbox backend). */
  stdioEnv?: Record<string, string>;
  /** Rows the good cases need that no tool creates (e.g. a conversation that came from Slack), made before the calls. */
  prepare?: (db: Database, workspaceName: string) => Promise<void>;
  /** Extra tests over the same connections. */
  extra?: (connect: Connect) => void;
}

let keyCounter = 0;
/** A fresh idempotency key for one call. */
export const freshKey = (label: string) => `${label}-${++keyCounter}-${Date.now().toString(36)}`;

export const firstOf = (value: unknown): Record<string, unknown> => (value as Record<string, unknown>[])[0] ?? {};

function text(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

export function describeMcpConformance(options: ConformanceOptions): void {
  // A stdio child on embedded PGlite costs seconds per connection. The stdio transport is the same
  // host code for every server and the drivers are covered by the other transports, so that
  // pairing runs for the postgres server only (whose tools are the database).
  const combinations = DRIVERS.flatMap((driver) => TRANSPORTS.map((transport) => ({ driver, transport }))).filter(
    ({ driver, transport }) => options.server === "postgres" || !(driver === "pglite" && transport === "stdio"),
  );
  describe.each(combinations)(`${options.server} MCP conformance [$driver, $transport]`, ({ driver, transport }: { driver: DatabaseDriver; transport: TransportName }) => {
    // Each stdio connection spawns the CLI (seconds on a busy machine; more with its own embedded
    // PGlite). For the integration servers the calls below run the same host code as in-memory and
    // HTTP, so over stdio they only prove the CLI serves the server: its tool list. The postgres
    // server gets every case over stdio on Postgres, and its tool list and calls on PGlite (the
    // idempotency and isolation cases there are the same SQL as on the other PGlite transports).
    const everyCase = transport !== "stdio" || (options.server === "postgres" && driver === "postgres");
    const callsToo = everyCase || options.server === "postgres";
    let database: TestDatabase;
    let http: McpHttpServer | undefined;
    let stdioDataDir: string | undefined;

    beforeAll(async () => {
      database = await createTestDatabase(driver);
      if (transport === "http") {
        const logger = createLogger({ level: "silent" });
        http = await startMcpHttpServer(
          {
            definition: options.definition(),
            authToken: TOKEN,
            allowedHosts: ["127.0.0.1"],
            allowedOrigins: [],
            registry: createMetricsRegistry("conformance"),
            logger,
            resolveContext: async (reference, runId) => toolContextFor(database.handle, await findConnectionWorkspace(database.handle, reference), logger, runId),
          },
          { port: 0, host: "127.0.0.1" },
        );
      }
      // The stdio child owns its embedded database; with Postgres it shares the test's database.
      if (transport === "stdio" && driver === "pglite") stdioDataDir = mkdtempSync(path.join(tmpdir(), "ept-stdio-"));
    });
    afterAll(async () => {
      await http?.close();
      await database.drop();
      if (stdioDataDir) rmSync(stdioDataDir, { recursive: true, force: true });
    });

    const connect: Connect = async (workspace) => {
      if (transport === "stdio") {
        const env: Record<string, string> = driver === "postgres" ? { DATABASE_URL: database.url ?? "" } : { EVENT_PLANNER_DATA_DIR: stdioDataDir ?? "" };
        return connectStdioClient(options.server, { ...options.stdioEnv, ...env, EVENT_PLANNER_WORKSPACE: workspace });
      }
      const row = await ensureWorkspace(database.db, workspace);
      if (transport === "http") return connectHttpClient(http?.url ?? "", TOKEN, row.id);
      return connectInMemory(options.definition(), testToolContext(database.handle, { db: database.db, workspaceId: row.id, actor: { kind: "agent" } }));
    };

    it("lists every tool with a description, input and output schemas and accurate annotations", async () => {
      const definition = options.definition();
      const { client, close } = await connect("conf-list");
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual(definition.tools.map((t) => t.name).sort());
        for (const tool of tools) {
          const declared = definition.tools.find((t) => t.name === tool.name);
          expect(tool.title, tool.name).toBeTruthy();
          expect(tool.description?.length, tool.name).toBeGreaterThan(40);
          expect(tool.inputSchema.type, tool.name).toBe("object");
          expect(tool.outputSchema?.type, tool.name).toBe("object");
          const hints = tool.annotations ?? {};
          for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
            expect(typeof hints[hint], `${tool.name}.${hint}`).toBe("boolean");
            expect(hints[hint], `${tool.name}.${hint} as declared`).toBe(declared?.annotations[hint]);
          }
          // Read-only tools never destroy; state-changing tools take a key, so they are safe to retry.
          if (hints.readOnlyHint) expect(hints.destructiveHint, tool.name).toBe(false);
          expect(hints.readOnlyHint, tool.name).toBe(!declared?.sideEffect);
          if (declared?.sideEffect) expect(hints.idempotentHint, tool.name).toBe(true);
          const takesKey = (tool.inputSchema.required ?? []).includes("idempotency_key");
          expect(takesKey, `${tool.name} idempotency_key`).toBe(Boolean(declared?.sideEffect));
        }
      } finally {
        await close();
      }
    });

    if (!callsToo) return;

    it("calls every tool with good input, and with bad input gets a tool error naming the field", async () => {
      expect(options.cases.map((c) => c.tool).sort()).toEqual(options.definition().tools.map((t) => t.name).sort());
      await options.prepare?.(database.db, "conf-calls");
      const { client, close } = await connect("conf-calls");
      const ids: Ids = {};
      try {
        for (const step of options.cases) {
          const result = await callOk(client, step.tool, step.good(ids));
          step.remember?.(result, ids);
          const failure = (await client.callTool({ name: step.tool, arguments: step.bad(ids) })) as CallToolResult;
          expect(failure.isError, `${step.tool} bad input`).toBe(true);
          expect(text(failure), step.tool).toMatch(step.field);
        }
      } finally {
        await close();
      }
    });

    if (!everyCase) return;

    it("acts once for a repeated idempotency key", async () => {
      const { client, close } = await connect("conf-idempotency");
      try {
        const args = { ...options.idempotency.args, idempotency_key: "conformance-same-key" };
        const first = await callOk(client, options.idempotency.tool, args);
        const second = await callOk(client, options.idempotency.tool, args);
        expect(second).toEqual(first);
        expect(await options.idempotency.count(client)).toBe(1);
      } finally {
        await close();
      }
    });

    it("keeps workspaces apart through the tools", () => options.isolation(connect));

    options.extra?.(connect);
  });
}
