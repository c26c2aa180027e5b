import type { Command } from "commander";
import { createMetricsRegistry } from "../../lib/metrics.js";
import { RunQueue, redisConnection } from "../../workers/run-queue.js";
import { createRuntime, describeDatabase, openDatabase } from "../runtime.js";
import { assertRedisReachable, onShutdown, startApiServer } from "../services.js";

export function registerApi(program: Command): void {
  program
    .command("api")
    .description("the HTTP API alone: stores requests and hands runs to the workers through Redis")
    .action(async () => {
      const runtime = createRuntime({ logTo: "stdout" });
      await assertRedisReachable(runtime.config.redisUrl);
      const handle = await openDatabase(runtime);
      const queue = new RunQueue(redisConnection(runtime.config.redisUrl), runtime.config.queuePrefix);
      const registry = createMetricsRegistry("api");
      const api = await startApiServer(runtime, handle, queue, registry);
      runtime.logger.info({ port: runtime.config.port, database: describeDatabase(runtime.config) }, "API listening");
      onShutdown(runtime, async () => {
        await api.close();
        await queue.close();
        await handle.close();
      });
    });
}
