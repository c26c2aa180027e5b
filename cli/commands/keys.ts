import type { Command } from "commander";
import { createApiKey } from "../../domain/api-keys.js";
import { ensureWorkspace } from "../../domain/workspaces.js";
import { createRuntime, openDatabase } from "../runtime.js";

export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("manage API keys");
  keys
    .command("create")
    .description("create an API key for a workspace (created if new) and print it once")
    .requiredOption("--workspace <name>", "workspace name, e.g. acme")
    .option("--name <label>", "label for the key", "default")
    .option("--json", "print { workspace, keyId, apiKey } as JSON")
    .action(async (options: { workspace: string; name: string; json?: boolean }) => {
      const runtime = createRuntime();
      const handle = await openDatabase(runtime);
      try {
        const workspace = await ensureWorkspace(handle.db, options.workspace);
        const ctx = { db: handle.db, workspaceId: workspace.id, actor: { kind: "system" as const, id: "cli" } };
        const { token, apiKey } = await createApiKey(ctx, { name: options.name });
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ workspace: workspace.name, keyId: apiKey.id, apiKey: token })}\n`);
        } else {
          process.stderr.write(`API key ${apiKey.id} for workspace "${workspace.name}". It is shown once: store it now.\n`);
          process.stdout.write(`${token}\n`);
        }
      } finally {
        await handle.close();
      }
    });
}
