import type { Command } from "commander";
import { ensureWorkspace } from "../../domain/workspaces.js";
import { createRuntime, describeDatabase, openDatabase } from "../runtime.js";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("API + worker + all MCP servers in one process (the default for a new user)")
    .action(async () => {
      const runtime = createRuntime({ logTo: "stdout" });
      const handle = await openDatabase(runtime);
      try {
        await ensureWorkspace(handle.db, runtime.config.workspace);
      } finally {
        await handle.close();
      }
      runtime.logger.info({ database: describeDatabase(runtime.config) }, "database migrated and catalogue seeded");
      process.stdout.write(
        [
          `event-planner: the database is ready (${describeDatabase(runtime.config)}).`,
          "Not built yet: the agent loop (issue 5), the HTTP API and workers (issue 6), the web UI (issue 7). The MCP servers run alone: `event-planner mcp <name> --stdio`.",
          "Until then, `event-planner keys create --workspace NAME` and `event-planner sandbox outbox` work against this database.",
          "",
        ].join("\n"),
      );
    });
}
