import { Argument, type Command, Option } from "commander";
import { ensureWorkspace } from "../../domain/workspaces.js";
import { AppError } from "../../lib/errors.js";
import { createMetricsRegistry } from "../../lib/metrics.js";
import { startMcpHttpServer } from "../../mcp-servers/host/http.js";
import { MCP_SERVER_NAMES, type McpServerName } from "../../mcp-servers/host/server.js";
import { serveStdio } from "../../mcp-servers/host/stdio.js";
import { findConnectionWorkspace, toolContextFor } from "../../mcp-servers/host/workspace.js";
import { buildMcpServer } from "../../mcp-servers/registry.js";
import { createRuntime, openDatabase } from "../runtime.js";

interface McpOptions {
  stdio?: boolean;
  http?: boolean;
  port: string;
  bind: string;
}

/** Resolve on the first SIGTERM/SIGINT, so a container stop shuts down gracefully. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => resolve(signal);
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

export function registerMcp(program: Command): void {
  program
    .command("mcp")
    .description("serve one MCP server over stdio or Streamable HTTP")
    .addArgument(new Argument("<server>", "server name").choices(MCP_SERVER_NAMES))
    .addOption(new Option("--stdio", "serve over stdin/stdout (logs go to stderr); acts for EVENT_PLANNER_WORKSPACE").conflicts("http"))
    .addOption(new Option("--http", "serve Streamable HTTP at /mcp (needs MCP_AUTH_TOKEN), plus /healthz and /metrics"))
    .option("--port <n>", "HTTP port", "3001")
    .option("--bind <address>", "HTTP bind address (0.0.0.0 in a container)", "127.0.0.1")
    .action(async (name: McpServerName, options: McpOptions) => {
      if (!options.stdio && !options.http) throw new AppError("validation_failed", "Choose a transport: --stdio or --http --port N", { field: "transport" });
      const runtime = createRuntime({ logTo: "stderr" });
      const logger = runtime.logger.child({ mcpServer: name });
      const definition = buildMcpServer(name, { config: runtime.config, logger });
      const handle = await openDatabase(runtime);
      try {
        if (options.stdio) {
          const workspace = await ensureWorkspace(handle.db, runtime.config.workspace);
          const { closed } = await serveStdio(definition, toolContextFor(handle, workspace, logger));
          logger.info({ workspace: workspace.name }, "MCP server listening on stdio");
          await Promise.race([closed, untilSignal()]);
          return;
        }
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AppError("validation_failed", `--port must be an integer from 0 to 65535 (got "${options.port}")`, { field: "port" });
        if (!runtime.config.mcp.authToken) throw new AppError("config_invalid", "Invalid configuration: MCP_AUTH_TOKEN is required to serve MCP over HTTP");
        const http = await startMcpHttpServer(
          {
            definition,
            authToken: runtime.config.mcp.authToken,
            allowedHosts: runtime.config.mcp.allowedHosts,
            allowedOrigins: runtime.config.mcp.allowedOrigins,
            registry: createMetricsRegistry(`mcp-${name}`),
            logger,
            resolveContext: async (reference, runId) => toolContextFor(handle, await findConnectionWorkspace(handle, reference), logger, runId),
          },
          { port, host: options.bind },
        );
        const address = http.server.address();
        logger.info({ address }, "MCP server listening on HTTP at /mcp");
        process.stderr.write(`MCP ${name} server listening on http://${options.bind}:${typeof address === "object" && address ? address.port : port}/mcp\n`);
        const signal = await untilSignal();
        logger.info({ signal }, "shutting down");
        await http.close();
      } finally {
        await handle.close();
      }
    });
}
