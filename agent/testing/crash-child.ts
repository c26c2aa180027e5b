/**
 * A process that works on one run and, when asked, dies by SIGKILL right after the Nth progress
 * event of a kind: a crash at an exact step boundary, with no chance to clean up. Tests start it
 * with `node --import tsx`, then resume the run in a fresh one.
 *
 * Env: the product's own (DATABASE_URL, ANTHROPIC_*), plus RUN_ID, WORKSPACE_ID and optionally
 * KILL_AT=`<event type>:<n>` (e.g. `tool_call:1`). Prints the run's status as JSON when it survives.
 */
import { z } from "zod";
import { createDatabase } from "../../drizzle/client.js";
import { loadConfig } from "../../lib/config.js";
import { uuid } from "../../lib/formats.js";
import { createLogger } from "../../lib/logger.js";
import { RunEvents, type RunEvent } from "../events.js";
import { executeRun } from "../execute.js";
import { selectModel } from "../model/select.js";

const env = z
  .object({
    RUN_ID: uuid,
    WORKSPACE_ID: uuid,
    KILL_AT: z
      .string()
      .regex(/^[a-z_]+:\d+$/)
      .optional(),
  })
  .parse(process.env);

const config = loadConfig(process.env);
const logger = createLogger({ level: "warn" });
const handle = await createDatabase(config);
const events = new RunEvents();
if (env.KILL_AT) {
  const [type, nth] = env.KILL_AT.split(":") as [RunEvent["type"], string];
  let seen = 0;
  events.subscribe((event) => {
    if (event.type === type && ++seen === Number(nth)) process.kill(process.pid, "SIGKILL");
  });
}
const run = await executeRun({ handle, config, logger, model: selectModel(config, logger), workspaceId: env.WORKSPACE_ID, runId: env.RUN_ID, events });
process.stdout.write(`${JSON.stringify({ status: run.status })}\n`);
await handle.close();
