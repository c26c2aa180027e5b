import type { Command } from "commander";
import { createMetricsRegistry } from "../../lib/metrics.js";
import { createRuntime, describeDatabase, openDatabase } from "../runtime.js";
import { assertRedisReachable, onShutdown, startMetricsServer, startWorkerProcess } from "../services.js";

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description("the queue worker alone: takes planning runs off Redis and works on them (scale by running more)")
    .action(async () => {
      const runtime = createRuntime({ logTo: "stdout" });
      await assertRedisReachable(runtime.config.redisUrl);
      const handle = await openDatabase(runtime);
      if (runtime.config.database.kind === "pglite") {
        runtime.logger.warn("worker on embedded PGlite: the API cannot share this database from another process; use `serve`, or set DATABASE_URL");
      }
      const registry = createMetricsRegistry("worker");
      const worker = startWorkerProcess(runtime, handle, registry);
      const metricsServer = await startMetricsServer(runtime.config.worker.metricsPort, registry);
      runtime.logger.info({ database: describeDatabase(runtime.config), concurrency: runtime.config.worker.concurrency }, "worker started");
      onShutdown(runtime, async () => {
        metricsServer.close();
        await worker.close();
        await handle.close();
      });
    });
}
