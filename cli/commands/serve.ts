import type { Command } from "commander";
import { createApiKey } from "../../domain/api-keys.js";
import { ensureWorkspace } from "../../domain/workspaces.js";
import { apiKeys } from "../../drizzle/schema/index.js";
import type { DatabaseHandle } from "../../drizzle/client.js";
import { createMetricsRegistry } from "../../lib/metrics.js";
import { createRuntime, describeDatabase, openDatabase } from "../runtime.js";
import { assertRedisReachable, onShutdown, startApiServer, startWorkerProcess } from "../services.js";

/** On a database with no API key at all, make one for the default workspace so a new user can begin. */
async function firstKey(handle: DatabaseHandle, workspaceName: string): Promise<string | undefined> {
  const workspace = await ensureWorkspace(handle.db, workspaceName);
  const [any] = await handle.db.select({ id: apiKeys.id }).from(apiKeys).limit(1);
  if (any) return undefined;
  const { token } = await createApiKey({ db: handle.db, workspaceId: workspace.id, actor: { kind: "system", id: "serve" } }, { name: "first key" });
  return token;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("API + worker + all MCP servers in one process (the default for a new user)")
    .action(async () => {
      const runtime = createRuntime({ logTo: "stdout" });
      const { config, logger } = runtime;
      await assertRedisReachable(config.redisUrl);
      const handle = await openDatabase(runtime);
      const token = await firstKey(handle, config.workspace);
      // MCP servers run in-process inside the worker's runs: the in-memory transport, one owner of PGlite.
      // One registry: the API's /metrics shows the worker's run and queue metrics too.
      const registry = createMetricsRegistry("serve");
      const worker = startWorkerProcess(runtime, handle, registry);
      const api = await startApiServer(runtime, handle, worker.queue, registry).catch(async (error: unknown) => {
        await worker.close();
        await handle.close();
        throw error;
      });
      logger.info({ port: config.port, database: describeDatabase(config), model: config.llm.provider }, "serving");
      const lines = [`event-planner is running on http://localhost:${config.port} (${describeDatabase(config)}, model: ${config.llm.provider}).`];
      if (token) {
        lines.push(
          `First start: an API key for workspace "${config.workspace}" (shown once, keep it):`,
          `  ${token}`,
          `Try: curl -s -X POST http://localhost:${config.port}/v1/conversations -H "Authorization: Bearer ${token}"`,
        );
      }
      process.stdout.write(`${lines.join("\n")}\n`);
      onShutdown(runtime, async () => {
        await api.close();
        await worker.close();
        await handle.close();
      });
    });
}
