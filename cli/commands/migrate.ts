import type { Command } from "commander";
import { createRuntime, describeDatabase, openDatabase } from "../runtime.js";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("apply database migrations and seed the venue/vendor catalogue (safe to run again)")
    .action(async () => {
      const runtime = createRuntime();
      const handle = await openDatabase(runtime);
      await handle.close();
      process.stdout.write(`Migrations applied to ${describeDatabase(runtime.config)}.\n`);
    });
}
