import type { Config } from "../../lib/config.js";
import type { Logger } from "../../lib/logger.js";
import { createAnthropicModel } from "./anthropic.js";
import { OfflineModel } from "./offline/offline-model.js";
import type { ModelClient } from "./types.js";

export interface ModelChoice {
  client: ModelClient;
  provider: "anthropic" | "offline";
}

export const OFFLINE_ANNOUNCEMENT = "No ANTHROPIC_API_KEY: using the offline planner, a deterministic rule-based baseline (set ANTHROPIC_API_KEY for Claude).";

/** Claude when there is a key (or LLM_PROVIDER=anthropic), else the offline planner, said out loud. */
export function selectModel(config: Pick<Config, "llm">, logger: Logger): ModelChoice {
  if (config.llm.provider === "anthropic") return { client: createAnthropicModel(config), provider: "anthropic" };
  logger.warn({ provider: "offline" }, OFFLINE_ANNOUNCEMENT);
  return { client: new OfflineModel(), provider: "offline" };
}
