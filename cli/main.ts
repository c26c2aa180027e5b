import { Command, CommanderError } from "commander";
import { isAppError } from "../lib/errors.js";
import { fromDatabaseError } from "../drizzle/errors.js";
import { registerApi } from "./commands/api.js";
import { registerEvals } from "./commands/evals.js";
import { registerKeys } from "./commands/keys.js";
import { registerMcp } from "./commands/mcp.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerSandbox } from "./commands/sandbox.js";
import { registerPlan } from "./commands/plan.js";
import { registerServe } from "./commands/serve.js";
import { registerWorker } from "./commands/worker.js";

export function buildProgram(): Command {
  const program = new Command()
    .name("event-planner")
    .description("An AI agent service that plans events. Configuration comes from the environment (see README).")
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerApi(program);
  registerMigrate(program);
  registerKeys(program);
  registerMcp(program);
  registerPlan(program);
  registerWorker(program);
  registerSandbox(program);
  registerEvals(program);
  return program;
}

/** Exit codes: 0 done, 1 the command failed, 2 bad usage or configuration. */
export async function run(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help text).
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    const appError = isAppError(error) ? error : fromDatabaseError(error);
    if (appError.code === "config_invalid") {
      process.stderr.write(`${appError.message}\n`);
      process.exitCode = 2;
      return;
    }
    const detail = appError.code === "internal" && error instanceof Error ? `: ${error.message}` : "";
    process.stderr.write(`event-planner: ${appError.code}: ${appError.message}${detail}\n`);
    process.exitCode = 1;
  }
}
