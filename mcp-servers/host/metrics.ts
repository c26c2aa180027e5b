import { Counter, Histogram, type Registry } from "prom-client";

export type ToolOutcome = "ok" | "replayed" | "tool_error" | "internal_error";

export interface ToolMetrics {
  observe(server: string, tool: string, outcome: ToolOutcome, seconds: number): void;
}

/** Calls by tool and outcome, and their duration, on the given registry. */
export function createToolMetrics(registry: Registry): ToolMetrics {
  const calls = new Counter({
    name: "mcp_tool_calls_total",
    help: "MCP tool calls by server, tool and outcome",
    labelNames: ["server", "tool", "outcome"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "mcp_tool_call_duration_seconds",
    help: "MCP tool call duration in seconds",
    labelNames: ["server", "tool"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    observe(server, tool, outcome, seconds) {
      calls.inc({ server, tool, outcome });
      duration.observe({ server, tool }, seconds);
    },
  };
}

export const noToolMetrics: ToolMetrics = { observe: () => undefined };
