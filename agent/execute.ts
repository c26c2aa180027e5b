/**
 * Work on one run with everything it needs wired up: its workspace, the model chosen by config,
 * and MCP clients opened for this run (so the servers' ledger records the run). The worker and
 * `event-planner plan` both come through here.
 */
import { getWorkspace } from "../domain/workspaces.js";
import type { DatabaseHandle } from "../drizzle/client.js";
import type { Run } from "../drizzle/schema/index.js";
import type { Config } from "../lib/config.js";
import type { Logger } from "../lib/logger.js";
import type { RunEvents } from "./events.js";
import { runAgent } from "./loop.js";
import { McpClientManager } from "./mcp/manager.js";
import type { ModelChoice } from "./model/select.js";

export interface ExecuteRunInput {
  handle: DatabaseHandle;
  config: Config;
  logger: Logger;
  model: ModelChoice;
  workspaceId: string;
  runId: string;
  events?: RunEvents;
  /** Shutdown: stop at the next step boundary (see AgentDeps.stop). */
  stop?: AbortSignal;
}

export async function executeRun({ handle, config, logger, model, workspaceId, runId, events, stop }: ExecuteRunInput): Promise<Run> {
  const workspace = await getWorkspace(handle.db, workspaceId);
  const mcp = await McpClientManager.connect({ config, logger, workspace, handle, runId });
  try {
    return await runAgent({ db: handle.db, config, logger: logger.child({ runId }), model: model.client, provider: model.provider, mcp, ...(events ? { events } : {}), ...(stop ? { stop } : {}) }, { workspace, runId });
  } finally {
    await mcp.close();
  }
}
